"""The Forecasts page explains a series without a forecast on the days the run read: its day
series ends on the last day that has ended, not on the writer's day in progress."""

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from forecasting.frequency import DAY
from forecasting.series import prepare_series
from tests.moodcast.forecast_steps import release_and_forecast
from tests.warehouse.releases import daily_row
from transforms.contracts import DAILY_SCHEMA

APP = Path(__file__).parents[2] / "dashboard"
TODAY = date(2025, 3, 2)
"""The writer's clock's day, in progress."""
ENDED_DAYS = 4
"""One day fewer than a day series needs (forecasting.series.prepare_series' default
`min_history_days`); with the day in progress padded on, the page counted five."""


def _daily() -> pl.DataFrame:
    days = [TODAY - timedelta(days=i) for i in range(ENDED_DAYS + 1)]
    rows = [daily_row(day, 300, 40 + day.toordinal() % 3) for day in days]
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


def test_a_series_without_a_forecast_gives_the_runs_reason(tmp_path, monkeypatch):
    """Before, the page padded the series up to the day in progress (the warehouse's latest
    day), so four ended days read as five, one of them empty: it said a forecast would have been
    made, while the run skipped the series for its too short history."""
    fitted = release_and_forecast(tmp_path, _daily(), today=TODAY)
    run = fitted["day"].filter(pl.col("unique_id") == "sadness|all|en")
    assert run["ds"].max() == TODAY - timedelta(days=1)
    skipped = prepare_series(run, freq=DAY).skipped
    assert skipped.height == 1

    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    at = AppTest.from_file(str(APP / "screens" / "forecasts.py"), default_timeout=60)
    at.query_params.update(marker="sadness", region="all", lang="en")
    at.run()
    assert not at.exception
    assert at.info[0].value == f"Not forecast: {skipped['reason'][0]}"
