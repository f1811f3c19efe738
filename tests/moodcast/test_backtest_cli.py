"""`moodcast backtest` end to end: on a small CSV, and as the warehouse's selection step."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

import warehouse
from benchmarks.small_run import AS_OF
from forecasting.backtest import MODELS
from moodcast.cli import main
from moodcast.config import load_settings
from moodcast.run import daily_run
from warehouse import forecast_queries

KEYS = [
    "model",
    "window",
    "mape",
    "smape",
    "mase",
    "hit_rate_2",
    "hit_rate_3",
    "hit_rate_7",
    "peak_precision_2",
    "peak_precision_3",
    "peak_precision_7",
    "onset_hit_rate_3",
    "onset_precision_3",
]


def _invoke(args):
    return CliRunner().invoke(main, args, obj={"beam_args": []}, catch_exceptions=False)


@pytest.fixture
def small_csv(tmp_path):
    rng = np.random.default_rng(11)
    t = np.arange(80)
    frames = [
        pl.DataFrame(
            {
                "unique_id": name,
                "ds": [dt.date(2024, 3, 4) + dt.timedelta(int(i)) for i in t],
                "y": 40
                + 5 * np.sin(2 * np.pi * t / 7)
                + 15 * np.exp(-((t - 66) ** 2) / 8)
                + rng.normal(0, 1, len(t)),
            }
        )
        for name in ("searches", "survey")
    ]
    path = tmp_path / "series.csv"
    pl.concat(frames).write_csv(path)
    return path


def test_backtest_json_has_every_model_and_selected_per_window(small_csv):
    result = _invoke(
        [
            "backtest",
            "--series",
            str(small_csv),
            "--windows",
            "7,14,all",
            "--test-periods",
            "21",
            "--refit-every",
            "7",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(list(row) == KEYS for row in rows)
    assert {(row["model"], row["window"]) for row in rows} == {
        (model, window) for model in (*MODELS, "selected") for window in (7, 14, "all")
    }
    assert all(row["mase"] is not None and row["mase"] > 0 for row in rows)


def test_backtest_prints_a_table_without_json_and_writes_every_prediction(small_csv, tmp_path):
    out = tmp_path / "predictions.parquet"
    result = _invoke(
        ["backtest", "--series", str(small_csv), "--windows", "all", "--test-periods", "14",
         "--predictions", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split("\t") == KEYS and len(lines) == 1 + len(MODELS) + 1
    assert "Naive" in {line.split("\t")[0] for line in lines}
    assert "MASE scale" in result.stderr
    predictions = pl.read_parquet(out)
    assert predictions.columns == ["unique_id", "window", "model", "cutoff", "ds", "lead", "yhat"]
    assert set(predictions["model"]) == set(MODELS)
    assert (predictions["ds"] > predictions["cutoff"]).all()


def test_backtest_by_lead_compares_every_model_with_persistence_at_each_lead(small_csv):
    result = _invoke(
        ["backtest", "--series", str(small_csv), "--windows", "all", "--test-periods", "14",
         "--horizon", "3", "--by-lead", "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(list(row) == ["window", "lead", "model", "mase"] for row in rows)
    assert {(row["model"], row["lead"]) for row in rows} == {
        (model, lead) for model in (*MODELS, "selected") for lead in (1, 2, 3)
    }
    naive = {row["lead"]: row["mase"] for row in rows if row["model"] == "Naive"}
    assert all(value > 0 for value in naive.values())


def test_backtest_says_what_to_fix(small_csv, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,day,value\na,2024-01-01,1\n")
    result = CliRunner().invoke(main, ["backtest", "--series", str(bad)], obj={"beam_args": []})
    assert result.exit_code == 4 and "unique_id, ds, y" in result.output
    result = CliRunner().invoke(
        main,
        ["backtest", "--series", str(small_csv), "--test-periods", "80"],
        obj={"beam_args": []},
    )
    assert result.exit_code == 4 and "shorter --test-periods" in result.output
    result = CliRunner().invoke(
        main,
        ["backtest", "--series", str(small_csv), "--horizon", "3", "--peak-lead", "5"],
        obj={"beam_args": []},
    )
    assert result.exit_code == 2 and "peak_lead must be between 1 and horizon" in result.output
    result = CliRunner().invoke(main, ["backtest"], obj={"beam_args": []})
    assert result.exit_code == 2 and "exactly one of" in result.output


@pytest.mark.slow
def test_selection_is_stored_and_the_next_run_publishes_only_the_chosen_models(
    published_run, small_corpus, tmp_path
):
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir)
    result = _invoke(
        [
            "backtest",
            "--warehouse",
            "--data-dir",
            str(data_dir),
            "--history",
            "28",
            "--test-periods",
            "14",
            "--refit-every",
            "20",  # one fit per series, model and window: 20 origins (14 + 7 − 1), one refit
        ]
    )
    assert result.exit_code == 0, result.output
    con = warehouse.open_published(data_dir)
    try:
        scores, chosen = forecast_queries.backtests(con), forecast_queries.model_choice(con)
    finally:
        con.close()
    assert scores.height > 0 and set(scores["window"]) == {"7", "14", "21", "all"}
    assert set(chosen["status"]) <= {"selected", "default"} and "selected" in set(chosen["status"])

    daily_run(
        [str(small_corpus / "posts.jsonl")],
        settings=load_settings(data_dir),
        as_of=AS_OF,
        beam_args=[],
    )
    con = warehouse.open_published(data_dir)
    try:
        forecasts, published = forecast_queries.forecasts(con), forecast_queries.model_choice(con)
    finally:
        con.close()
    assert forecasts.group_by("unique_id").agg(pl.col("model").n_unique())["model"].max() == 1
    models = dict(forecasts.select("unique_id", "model").unique().iter_rows())
    for row in published.iter_rows(named=True):
        if row["unique_id"] in models:
            assert models[row["unique_id"]] == row["model"], row
    selected = published.filter(pl.col("status") == "selected")
    before = chosen.filter(pl.col("status") == "selected").select("unique_id", "model")
    assert (
        selected.select("unique_id", "model")
        .sort("unique_id")
        .equals(before.join(selected.select("unique_id"), on="unique_id").sort("unique_id"))
    )


def test_weekly_backtests_take_the_year_as_season_and_daily_reading_is_refused(tmp_path):
    from tests.forecasting.weekly import weekly_frame, weekly_seasons

    y, days, _ = weekly_seasons(np.random.default_rng(3), seasons=3)
    path = tmp_path / "weekly.csv"
    weekly_frame({"flu": y}, days).write_csv(path)
    args = ["backtest", "--series", str(path), "--windows", "all", "--test-periods", "8",
            "--horizon", "2", "--refit-every", "8", "--jobs", "1"]  # fmt: skip
    weekly = _invoke([*args, "--freq", "W"])
    assert weekly.exit_code == 0, weekly.output
    assert "(lag 52)" in weekly.stderr
    as_daily = CliRunner().invoke(main, args, obj={"beam_args": []})
    assert as_daily.exit_code == 4 and "looks weekly; pass --freq W" in as_daily.output
