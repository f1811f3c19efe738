"""`moodcast alerts replay|score` end to end on small CSVs."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
from click.testing import CliRunner

from moodcast.cli import main
from tests.forecasting.weekly import weekly_frame, weekly_seasons


def _invoke(args):
    return CliRunner().invoke(main, args, obj={"beam_args": []}, catch_exceptions=False)


def _files(tmp_path):
    y, days, onsets = weekly_seasons(np.random.default_rng(5))
    series = tmp_path / "ili.csv"
    weekly_frame({"north": y, "south": y * 1.1}, days).write_csv(series)
    truth = tmp_path / "truth.csv"
    pl.DataFrame(
        [
            {"unique_id": uid, "start": days[o], "end": days[o + 8], "peak": days[o + 5]}
            for uid in ("north", "south")
            for o in onsets
        ]
    ).write_csv(truth)
    return series, truth, days


def test_replay_prints_issued_alerts_and_score_reads_them(tmp_path):
    series, truth, days = _files(tmp_path)
    result = _invoke(
        ["alerts", "replay", "--series", str(series), "--freq", "W", "--methods", "mem,cdc_baseline",
         "--reporting-delay", "1", "--from", days[52].isoformat(), "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and set(rows[0]) == {"unique_id", "method", "start", "end", "issued_on", "severity"}
    assert {r["method"] for r in rows} == {"mem", "cdc_baseline"}
    assert all(r["issued_on"] >= days[52].isoformat() for r in rows)
    replayed = tmp_path / "replay.json"
    replayed.write_text(result.stdout)
    scored = _invoke(
        ["alerts", "score", "--alerts", str(replayed), "--truth", str(truth), "--series",
         str(series), "--from", days[52].isoformat(), "--json"]
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    by_method = {row["method"]: row for row in json.loads(scored.stdout)}
    assert set(by_method) == {"mem", "cdc_baseline"}
    assert 0 < by_method["cdc_baseline"]["onsets_flagged"] <= 1
    assert by_method["cdc_baseline"]["series_years"] > 8


def test_default_method_and_table_output(tmp_path):
    series, _, _ = _files(tmp_path)
    result = _invoke(["alerts", "replay", "--series", str(series)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split("\t")[:2] == ["unique_id", "method"]
    assert "week periods" in result.stderr


def test_weekly_data_read_as_daily_and_daily_only_methods_fail_clearly(tmp_path):
    series, _, _ = _files(tmp_path)
    as_daily = _invoke(["alerts", "replay", "--series", str(series), "--freq", "D"])
    assert as_daily.exit_code != 0 and "looks weekly; pass --freq W" in as_daily.output
    days = pl.DataFrame(
        {
            "unique_id": "a",
            "ds": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 3, 1), eager=True),
        }
    ).with_columns(y=pl.lit(0.1))
    daily = tmp_path / "daily.csv"
    days.write_csv(daily)
    mem = _invoke(["alerts", "replay", "--series", str(daily), "--methods", "mem"])
    assert mem.exit_code != 0 and "pass a weekly series" in mem.output
    unknown = _invoke(["alerts", "replay", "--series", str(daily), "--methods", "mem2"])
    assert unknown.exit_code != 0 and "known:" in unknown.output


def test_dates_off_the_weekly_grid_are_named(tmp_path):
    series, _, days = _files(tmp_path)
    frame = pl.read_csv(series, try_parse_dates=True)
    slipped = frame.with_columns(
        ds=pl.when(pl.int_range(pl.len()) == 30).then(pl.col("ds") + pl.duration(days=1))
        .otherwise(pl.col("ds"))
    )  # fmt: skip
    slipped.write_csv(series)
    for freq in ([], ["--freq", "W"], ["--freq", "D"]):
        result = _invoke(["alerts", "replay", "--series", str(series), *freq])
        assert result.exit_code != 0
        assert f"'north' has ds {days[30] + dt.timedelta(days=1)} (a Tuesday)" in result.output


def test_series_a_method_could_not_judge_are_named(tmp_path):
    series, _, _ = _files(tmp_path)
    frame = pl.read_csv(series, try_parse_dates=True)
    short = frame.tail(6).with_columns(unique_id=pl.lit("new-region"))
    pl.concat([frame, short]).write_csv(series)
    result = _invoke(["alerts", "replay", "--series", str(series), "--methods", "early,mem"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warned) == 2 and all("on 1 series" in w and "'new-region'" in w for w in warned)


def test_missing_weeks_are_replayed_and_daily_data_is_not_read_as_weekly(tmp_path):
    series, _, _ = _files(tmp_path)
    frame = pl.read_csv(series, try_parse_dates=True)
    holed = tmp_path / "holed.csv"
    frame.filter(pl.int_range(pl.len()) % 10 != 3).write_csv(holed)
    result = _invoke(
        ["alerts", "replay", "--series", str(holed), "--reporting-delay", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert {row["unique_id"] for row in json.loads(result.stdout)} == {"north", "south"}
    daily = tmp_path / "daily.csv"
    pl.DataFrame(
        {
            "unique_id": "a",
            "ds": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 3, 1), eager=True),
        }
    ).with_columns(y=pl.lit(0.1)).write_csv(daily)
    as_weekly = _invoke(["alerts", "replay", "--series", str(daily), "--freq", "W"])
    assert as_weekly.exit_code != 0 and "the series is not weekly" in as_weekly.output


def test_series_mostly_zero_are_named(tmp_path):
    series, _, _ = _files(tmp_path)
    frame = pl.read_csv(series, try_parse_dates=True)
    rare = frame.filter(pl.col("unique_id") == "north").with_columns(
        unique_id=pl.lit("rare"),
        y=pl.Series(np.random.default_rng(1).poisson(0.2, frame.height // 2), dtype=pl.Float64),
    )
    pl.concat([frame, rare]).write_csv(series)
    result = _invoke(["alerts", "replay", "--series", str(series)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warned) == 1 and "1 series are zero in more than half" in warned[0]
    assert "'rare'" in warned[0]
