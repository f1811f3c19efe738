"""The rolling-origin protocol, model choice and the chosen-model forecast, over every model."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from forecasting.backtest import MODELS, BacktestConfig, backtest
from forecasting.chosen import forecast_chosen, published_choice
from forecasting.scoring import ONSET_RATES, SCORE_SCHEMA, mase_by_lead
from forecasting.selection import (
    SELECTED,
    choose_models,
    summarise,
    summarise_by_lead,
    to_backtests,
)
from forecasting.series import prepare_series
from transforms.contracts import BACKTEST_SCHEMA, FORECAST_SCHEMA, MODEL_CHOICE_SCHEMA

CONFIG = BacktestConfig(windows=("7", "14", "all"), history=70, test_periods=21, refit_every=7)


def _series(n: int = 120, ids: tuple[str, ...] = ("a|all|en", "b|all|en")) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    days = [dt.date(2025, 1, 1) + dt.timedelta(i) for i in range(n)]
    frames = []
    for i, uid in enumerate(ids):
        t = np.arange(n)
        y = 0.05 + 0.01 * i + 0.005 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.001, n)
        frames.append(pl.DataFrame({"unique_id": uid, "ds": days, "y": y}))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def result():
    return backtest(_series(), config=CONFIG)


def test_every_model_is_scored_on_every_series_and_window(result):
    scores = result.scores
    assert scores.schema == pl.Schema(SCORE_SCHEMA)
    assert result.failures.is_empty()
    assert scores.height == 2 * 3 * len(MODELS)
    assert set(scores["model"]) == set(MODELS)
    for column in ("mape", "smape", "mase"):
        assert scores[column].is_not_null().all() and (scores[column] >= 0).all(), column
    assert (scores["n_scored"] == CONFIG.test_periods).all()


def test_seasonal_naive_mase_matches_a_hand_computed_scale():
    frame = _series(ids=("a|all|en",))
    scores = backtest(frame, config=CONFIG).scores.filter(
        (pl.col("model") == "SeasonalNaive") & (pl.col("window") == "all")
    )
    y = frame.tail(CONFIG.history + CONFIG.test_size)["y"].to_numpy()
    start = len(y) - (CONFIG.test_periods + CONFIG.horizon - 1)
    scale = np.mean(np.abs(y[7:start] - y[: start - 7]))
    errors = []
    for origin in range(len(y) - CONFIG.test_size, len(y) - CONFIG.horizon + 1):
        for lead in range(1, CONFIG.horizon + 1):
            day = origin + lead - 1
            if start <= day < start + CONFIG.test_periods:
                errors.append(abs(y[day] - y[origin - 7 + lead - 1]))
    assert len(errors) == CONFIG.test_periods * CONFIG.horizon
    assert scores["mase"][0] == pytest.approx(np.mean(errors) / scale)


def test_persistence_is_in_every_table_scored_on_the_same_scale_and_never_selected(result):
    naive = result.scores.filter(pl.col("model") == "Naive")
    assert naive.height == 2 * 3 and naive["mase"].is_not_null().all()
    frame = result.frame.filter(pl.col("unique_id") == "a|all|en")
    y = frame["y"].to_numpy()
    start = len(y) - (CONFIG.test_periods + CONFIG.horizon - 1)
    scale = np.mean(np.abs(y[7:start] - y[: start - 7]))
    mine = result.predictions.filter(
        (pl.col("unique_id") == "a|all|en")
        & (pl.col("model") == "Naive")
        & (pl.col("window") == "all")
    ).join(frame.select("ds", "y"), on="ds")
    in_span = mine.filter(
        pl.col("ds").is_in(frame["ds"][start : start + CONFIG.test_periods].implode())
    )
    expected = (in_span["y"] - in_span["yhat"]).abs().mean() / scale
    row = naive.filter((pl.col("unique_id") == "a|all|en") & (pl.col("window") == "all"))
    assert row["mase"][0] == pytest.approx(expected)
    summary = summarise(result.scores, windows=CONFIG.windows)
    assert "Naive" in set(summary["model"])
    chosen = choose_models(result, ["a|all|en", "b|all|en"], run_id="r")
    assert "Naive" not in set(chosen["model"])


def test_mase_by_lead_averages_to_the_overall_mase_and_persistence_is_the_lagged_value(result):
    leads = mase_by_lead(result.frame, result.predictions, config=CONFIG)
    assert set(leads["lead"]) == set(range(1, CONFIG.horizon + 1))
    overall = leads.group_by("unique_id", "window", "model").agg(pl.col("mase").mean())
    joined = overall.join(result.scores, on=["unique_id", "window", "model"])
    assert joined.height == result.scores.height
    assert joined["mase"].to_numpy() == pytest.approx(joined["mase_right"].to_numpy())
    frame = result.frame.filter(pl.col("unique_id") == "b|all|en")
    y = frame["y"].to_numpy()
    start = len(y) - (CONFIG.test_periods + CONFIG.horizon - 1)
    scale = np.mean(np.abs(y[7:start] - y[: start - 7]))
    span = np.arange(start, start + CONFIG.test_periods)
    for lead in (1, CONFIG.horizon):
        row = leads.filter(
            (pl.col("unique_id") == "b|all|en")
            & (pl.col("window") == "all")
            & (pl.col("model") == "Naive")
            & (pl.col("lead") == lead)
        )
        assert row["mase"][0] == pytest.approx(np.mean(np.abs(y[span] - y[span - lead])) / scale)


def test_the_selected_model_by_lead_is_the_one_chosen_on_all_leads(result):
    leads = mase_by_lead(result.frame, result.predictions, config=CONFIG)
    summary = summarise_by_lead(result.scores, leads, windows=CONFIG.windows)
    assert summary["window"].unique(maintain_order=True).to_list() == list(CONFIG.windows)
    one = result.scores.filter(pl.col("unique_id") == "a|all|en")
    chosen = choose_models(result, ["a|all|en"], run_id="r")
    mine = leads.filter(pl.col("unique_id") == "a|all|en")
    alone = summarise_by_lead(one, mine, windows=CONFIG.windows)
    model = chosen["model"][0]
    for lead in range(1, CONFIG.horizon + 1):
        picked = alone.filter((pl.col("window") == "all") & (pl.col("lead") == lead)).select(
            "model", "mase"
        )
        values = dict(picked.iter_rows())
        assert values[SELECTED] == pytest.approx(values[model])


def test_every_forecast_comes_from_before_its_origin_at_every_lead():
    config = replace(CONFIG, windows=("all",))
    frame = _series(ids=("a|all|en",))
    result = backtest(frame, config=config)
    predictions = result.predictions
    assert (
        (predictions["ds"] - predictions["cutoff"]).dt.total_days() == predictions["lead"]
    ).all()
    span = result.frame["ds"].to_list()[-(config.test_periods + config.horizon - 1) :][
        : config.test_periods
    ]
    per_day = predictions.filter(pl.col("ds").is_in(span)).group_by("model", "ds").len()
    assert (per_day["len"] == config.horizon).all()
    assert per_day.height == len(MODELS) * config.test_periods

    cut = span[len(span) // 2]
    changed = frame.with_columns(
        pl.when(pl.col("ds") >= cut).then(pl.col("y") * 3).otherwise(pl.col("y")).alias("y")
    )
    before = pl.col("cutoff") < cut
    again = backtest(changed, config=config).predictions
    assert again.filter(before).sort(pl.all()).equals(predictions.filter(before).sort(pl.all()))
    assert (
        not again.filter(~before).sort(pl.all()).equals(predictions.filter(~before).sort(pl.all()))
    )


def test_suppressed_days_are_never_scored():
    last_scored = pl.col("ds").max() - dt.timedelta(days=CONFIG.horizon - 1)
    frame = _series(ids=("a|all|en",)).with_columns(
        pl.when(pl.col("ds") == last_scored).then(None).otherwise(pl.col("y")).alias("y")
    )
    scores = backtest(frame, config=CONFIG).scores
    assert (scores["n_scored"] == CONFIG.test_periods - 1).all()


def test_the_peak_lead_is_checked_against_the_horizon():
    assert BacktestConfig().lead == 7 and BacktestConfig(peak_lead=1).lead == 1
    with pytest.raises(ValueError, match="peak_lead"):
        BacktestConfig(horizon=3, peak_lead=5)


def test_summary_has_a_selected_row_per_window_and_the_contract_keys(result):
    summary = summarise(result.scores, windows=CONFIG.windows)
    assert summary.columns == [
        *(k for k in BACKTEST_SCHEMA if k not in ("unique_id", "run_id")),
        *ONSET_RATES,
    ]
    assert summary.filter(pl.col("model") == SELECTED)["window"].to_list() == ["7", "14", "all"]
    best = result.scores.group_by("unique_id", "window").agg(pl.col("mase").min())
    selected = summary.filter(pl.col("model") == SELECTED).sort("window")
    expected = best.group_by("window").agg(pl.col("mase").mean()).sort("window")
    assert selected["mase"].to_list() == pytest.approx(expected["mase"].to_list())
    assert to_backtests(result.scores, run_id="r").columns == list(BACKTEST_SCHEMA)


def test_a_short_series_is_not_backtested_and_gets_the_default_model(result):
    frame = pl.concat([_series(), _series(n=20, ids=("short|all|en",))])
    short = backtest(frame, config=CONFIG)
    assert short.too_short == ("short|all|en",)
    choice = choose_models(short, frame["unique_id"].unique().to_list(), run_id="r")
    assert choice.columns == list(MODEL_CHOICE_SCHEMA)
    row = choice.filter(pl.col("unique_id") == "short|all|en").row(0, named=True)
    assert row["status"] == "default" and row["mase"] is None and "too short" in row["reason"]
    assert set(choice.filter(pl.col("unique_id") != "short|all|en")["status"]) == {"selected"}


def test_the_model_choice_names_the_models_that_failed_in_the_backtest(result):
    failed = replace(
        result,
        failures=pl.DataFrame(
            {
                "unique_id": ["a|all|en", "a|all|en", "a|all|en"],
                "model": ["MSTL", "AutoARIMA", "AutoARIMA"],
                "window": ["all", "all", "7"],
                "error": ["ValueError: x", "LinAlgError: y", "LinAlgError: y"],
            }
        ),
    )
    choice = choose_models(failed, ["a|all|en", "b|all|en"], run_id="r")
    reasons = dict(zip(choice["unique_id"], choice["reason"], strict=True))
    assert reasons["a|all|en"].endswith(" AutoARIMA, MSTL failed in the backtest.")
    assert "failed" not in reasons["b|all|en"]


@pytest.mark.parametrize("model", [m for m in MODELS if m != "Naive"])
def test_the_daily_run_can_publish_every_model(model):
    prepared = prepare_series(_series(n=60))
    choice = pl.DataFrame(
        {
            "unique_id": ["a|all|en", "b|all|en"],
            "model": [model, model],
            "status": ["selected", "selected"],
            "reason": ["chosen.", "chosen."],
            "mase": [0.5, 0.5],
            "run_id": ["r", "r"],
        }
    )
    output, published = forecast_chosen(
        prepared.fit, prepared.history, choice, run_id="r", horizon=14
    )
    assert output.forecasts.schema == pl.Schema(FORECAST_SCHEMA)
    assert output.forecasts.height == 2 * 14
    assert set(output.forecasts["model"]) == {model}
    values = output.forecasts.select("lo_95", "lo_80", "mean", "hi_80", "hi_95").to_numpy()
    assert (np.diff(values, axis=1) >= 0).all() and (values >= 0).all() and (values <= 1).all()
    assert published["status"].to_list() == ["selected", "selected"]


def test_published_choice_reads_the_best_stored_score_else_the_default(result):
    stored = to_backtests(result.scores, run_id="r")
    choice = published_choice(stored, ["a|all|en", "b|all|en", "new|all|en"], run_id="r2")
    by_id = {row["unique_id"]: row for row in choice.iter_rows(named=True)}
    assert by_id["new|all|en"]["status"] == "default"
    best = stored.filter((pl.col("unique_id") == "a|all|en") & (pl.col("window") == "all"))
    assert by_id["a|all|en"]["mase"] == pytest.approx(best["mase"].min())
    assert by_id["a|all|en"]["status"] == "selected"


def test_a_series_shorter_than_two_seasons_falls_back_and_says_so():
    prepared = prepare_series(_series(n=10, ids=("a|all|en",)))
    choice = published_choice(pl.DataFrame(schema=BACKTEST_SCHEMA), ["a|all|en"], run_id="r")
    output, published = forecast_chosen(prepared.fit, prepared.history, choice, run_id="r")
    row = published.row(0, named=True)
    assert row["status"] == "fallback" and "10 days of history, fewer than 14" in row["reason"]
    assert output.forecasts.height == 14
