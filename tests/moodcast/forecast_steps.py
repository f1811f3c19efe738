"""The run's forecast step on a hand-written warehouse, as moodcast.run makes it."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import moodcast.run_forecast as run_forecast
from moodcast.adapting import configured_markers
from moodcast.config import load_settings
from moodcast.run_summary import RunSummary
from tests.warehouse.releases import period_cells
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import writing


def release_and_forecast(data_dir, daily: pl.DataFrame, *, today: date) -> dict[str, pl.DataFrame]:
    """In one write of `data_dir`'s warehouse, as a run on the clock's day `today` makes it:
    load `daily` and its period cells, record the release (k = 11, ISO weeks, as of `today`),
    then run the forecast step. Returns the series the step gave forecasting, by frequency
    name (the real forecast_and_alert still runs and its results are stored)."""
    settings = load_settings(data_dir)
    fitted = {}
    forecast_and_alert = run_forecast.forecast_and_alert

    def spy(series, *, freq, **options):
        fitted[freq.name] = series
        return forecast_and_alert(series, freq=freq, **options)

    days = daily["day"].unique().to_list()
    summary = RunSummary(
        run_id="r1", read=0, valid=0, dead_lettered=0, duplicates=0, filtered={}, days=0,
        series=0, alerts=0,
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as patch, writing(data_dir) as con:
        patch.setattr(run_forecast, "forecast_and_alert", spy)
        load_daily(con, daily, days=days)
        load_periods(con, period_cells(daily), days=days)
        record_release(
            con, k=11, week_grain="iso_week", privacy="suppress", as_of=today, today=today
        )
        run_forecast.forecast_step(
            con, summary, settings=settings, markers=configured_markers(settings)
        )
    return fitted
