"""End to end on the sparse forum sample: one series once, weeks instead of holes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import warehouse
from transforms.series import left_out_reason, same_series
from warehouse import forecast_queries, queries

pytestmark = pytest.mark.slow


def test_alerts_and_forecasts_are_made_once_per_underlying_series(forum_run):
    con = warehouse.open_published(forum_run[0])
    try:
        same = same_series(queries.current_daily(con))
        alerts, forecasts = forecast_queries.alerts(con), forecast_queries.forecasts(con)
    finally:
        con.close()
    duplicates = same.filter(pl.col("same_as").is_not_null()).get_column("unique_id")
    assert duplicates.len() > 0
    assert not alerts["unique_id"].is_in(duplicates.implode()).any()
    assert not forecasts["unique_id"].is_in(duplicates.implode()).any()
    waves = alerts.filter(pl.col("method") != "data_event").select("unique_id", "start", "method")
    assert waves.is_unique().all()


def test_the_sparse_forum_is_published_by_weeks_not_holes(forum_run):
    timelines = pl.read_csv(forum_run[0] / "exports" / "timelines.csv", try_parse_dates=True)
    assert {"grain", "period_start", "period_end", "status", "same_as"} <= set(timelines.columns)
    top = timelines.filter(
        (pl.col("region") == "all") & (pl.col("lang") == "all") & (pl.col("marker") == "stress")
    )
    assert (top["status"] == "published").all()
    assert "iso_week" in set(top["grain"])
    withheld = timelines.filter(pl.col("status") == "withheld")
    assert withheld["prevalence"].is_null().all()


def test_a_series_whose_days_fall_below_k_is_forecast_by_its_weeks(forum_run):
    data_dir, _ = forum_run
    con = warehouse.open_published(data_dir)
    try:
        forecasts = forecast_queries.forecasts(con)
    finally:
        con.close()
    stress = forecasts.filter(pl.col("unique_id") == "stress|all|all")
    assert stress.height == 2 and (stress["ds"].dt.weekday() == 1).all()
    assert stress["ds"].min() == date(2025, 3, 10)
    exported = pl.read_csv(data_dir / "exports" / "forecasts.csv")
    assert set(exported.filter(pl.col("unique_id") == "stress|all|all")["grain"]) == {"iso_week"}
    assert exported["grain"].null_count() == 0


def test_a_series_with_no_grain_or_too_few_periods_is_skipped_with_its_reason(forum_run):
    data_dir, summary = forum_run
    con = warehouse.open_published(data_dir)
    try:
        forecast = set(forecast_queries.forecasts(con)["unique_id"])
        basis = queries.forecast_basis(con, marker="suicide_risk", region="all", lang="all")
    finally:
        con.close()
    (reason,) = [why for why in summary.not_forecast if "below k = 11" in why]
    assert summary.not_forecast[reason] > 0 and reason == left_out_reason(k=11)
    assert "below k = 11" in summary.describe()
    # suicide_risk is below k in most weeks: taken by 8-week periods, of which 9 weeks hold one
    series, grain, _ = basis
    assert grain == "iso_8week" and series["ds"].to_list() == [date(2025, 1, 6)]
    assert "suicide_risk|all|all" not in forecast
    # counted by its cause, as day series are, not under its own sentence (fixes12)
    assert summary.not_forecast["too short a history"] > 0
    assert not any("of history" in why for why in summary.not_forecast)
