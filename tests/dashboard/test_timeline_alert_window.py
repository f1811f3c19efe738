"""The Timelines chart shades alerts over the period it shows only: the page cuts the timeline
to the chosen period (90 days, 1 year), and an alert begun before it is shaded from the
period's first day, so it no longer stretches the x axis back over days the chart does not
show."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from dashboard.charts import timeline_chart
from tests.dashboard.charted import early_alerts, observed_days

FIRST = date(2025, 3, 5)
"""The window's first day, a Wednesday: a weekly alert's week holding it began on 3 March."""


def _alerts(rows: list[tuple[date, date, str]]) -> pl.DataFrame:
    """Alerts of one series: (start, end, grain) each."""
    return early_alerts(rows, ("start", "end", "grain"))


def test_an_alert_begun_before_the_window_is_shaded_from_the_windows_first_day():
    """timeline_chart shaded each alert from its own `start`, so one begun 40 days before a
    90-day window drew the axis back 40 days (and one over long before, further still)."""
    alerts = _alerts(
        [
            (FIRST - timedelta(days=200), FIRST - timedelta(days=150), "day"),
            (FIRST - timedelta(days=40), FIRST + timedelta(days=3), "day"),
            (date(2025, 2, 10), date(2025, 3, 3), "iso_week"),
            (FIRST + timedelta(days=10), FIRST + timedelta(days=12), "day"),
        ]
    )
    spec = timeline_chart(observed_days(FIRST, 90), alerts, pl.DataFrame())
    shaded = spec["datasets"]["alert_periods"]
    assert shaded["start"].dt.date.tolist() == [FIRST, FIRST, FIRST + timedelta(days=10)]
    assert shaded["end_excl"].dt.date.tolist() == [
        FIRST + timedelta(days=4),
        date(2025, 3, 10),
        FIRST + timedelta(days=13),
    ], "each is shaded through its last day; the weekly one through its last week's Sunday"
    dates = [
        frame[column].min().date()
        for frame in spec["datasets"].values()
        for column in frame.columns
        if str(frame[column].dtype).startswith("datetime")
    ]
    assert min(dates) == FIRST, "no date of the chart's data lies before the window"
