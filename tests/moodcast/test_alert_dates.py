"""A run's alerts are dated by the last day of data they read: the exported `issued_on` of a
series alerted by week is the last day of its latest ended week, on or before the last ended
day, never the week's first day (a day series' is its last ended day:
tests/forecasting/test_pipeline.py)."""

from datetime import date, timedelta

import numpy as np
import polars as pl

from tests.moodcast.forecast_steps import release_and_forecast
from transforms.contracts import DAILY_SCHEMA
from warehouse.exports import export_frames
from warehouse.store import open_published

TODAY = date(2026, 12, 2)
"""The writer's clock's day, a Wednesday: the last ended day is Tuesday 1 December."""
LAST_SUNDAY = date(2026, 11, 29)
"""The last day of the last ended ISO week (Monday 23 November to Sunday 29 November)."""
FIRST = LAST_SUNDAY - timedelta(weeks=60) + timedelta(days=1)
RISE = LAST_SUNDAY - timedelta(weeks=3) + timedelta(days=1)


def _cells() -> pl.DataFrame:
    """300 authors a day in one cell, whose marked authors stay under k = 11 every day (a week
    series) and rise over the last three weeks."""
    rng = np.random.default_rng(5)
    days = [FIRST + timedelta(days=i) for i in range((TODAY - FIRST).days + 1)]
    rows = []
    for day in days:
        marked = 10 if day >= RISE else int(rng.integers(3, 6))
        rows.append(
            {
                "day": day,
                "region": "all",
                "lang": "en",
                "marker": "anxiety",
                "marker_version": "v1",
                "n_posts": 300,
                "n_scored": 300,
                "n_marked": marked,
                "n_authors": 300,
                "n_marked_authors": marked,
                "sample_rate": 1.0,
                "run_id": "r1",
            }
        )
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


def test_exported_alerts_are_issued_on_the_last_day_of_data_they_read(tmp_path):
    """Before, the week series' alert said it was issued on Monday 23 November, six days
    before the data of its week existed."""
    release_and_forecast(tmp_path / "data", _cells(), today=TODAY)
    with open_published(tmp_path / "data") as con:
        alerts = export_frames(con, k=11)["alerts"]
    assert alerts.height
    assert alerts.select("grain", "issued_on").unique().rows() == [("iso_week", LAST_SUNDAY)]
