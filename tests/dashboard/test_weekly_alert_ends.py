"""An alert by week lasts through its last week's last day (summaries.last_day) everywhere
the dashboard reads its `end`: wave folding, the charts' shading, and the Exports
download."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboard.charts import forecast_chart, timeline_chart
from dashboard.summaries import waves
from tests.dashboard.charted import early_alerts, observed_days

APP = Path(__file__).parents[2] / "dashboard"
MONDAY = date(2025, 5, 19)
LAST_MONDAY = date(2025, 6, 2)


def _alerts(rows: list[tuple[str, str, date, date, str]]) -> pl.DataFrame:
    """Alerts of one marker: (region, lang, start, end, grain) each."""
    columns = ("region", "lang", "start", "end", "grain")
    return early_alerts(rows, columns).with_columns(pl.lit("anxiety").alias("marker"))


def test_a_rollup_starting_in_the_last_week_of_a_weekly_alert_folds_into_its_wave():
    """waves compared the weekly alert's raw `end` (2 June, its last week's Monday), so an
    `all · all` alert starting on 4 June, inside that week, stayed a wave of its own."""
    alerts = _alerts(
        [
            ("us-ca", "en", MONDAY, LAST_MONDAY, "iso_week"),
            ("all", "all", date(2025, 6, 4), date(2025, 6, 10), "day"),
        ]
    )
    folded = waves(alerts)
    assert folded.select("region", "rollups", "also_in").rows() == [("us-ca", 1, "all · all")]


def test_the_timeline_shades_a_weekly_alert_through_its_last_week():
    """The shading stopped at `end` + 1 day: six days before the alert's last week ended."""
    alerts = _alerts(
        [
            ("all", "all", MONDAY, LAST_MONDAY, "iso_week"),
            ("all", "all", date(2025, 6, 20), date(2025, 6, 22), "day"),
        ]
    )
    spec = timeline_chart(observed_days(date(2025, 5, 1), 60), alerts, pl.DataFrame())
    shaded = spec["datasets"]["alert_periods"]
    assert shaded["end_excl"].dt.date.tolist() == [date(2025, 6, 9), date(2025, 6, 23)]


def test_the_forecast_chart_keeps_a_weekly_alert_whose_last_week_reaches_its_history():
    """forecast_chart left out an alert whose `end` fell before the history shown, though its
    last week reaches into it; the shading now runs from the history's first day to 8 June."""
    first = date(2025, 6, 5)
    forecast = pl.DataFrame(
        {"ds": [date(2025, 7, 10)], "mean": [0.2], "lo_80": [0.18], "hi_80": [0.22],
         "lo_95": [0.17], "hi_95": [0.23]}
    )  # fmt: skip
    alerts = _alerts([("all", "all", MONDAY, LAST_MONDAY, "iso_week")])
    spec = forecast_chart(observed_days(first, 30), forecast, alerts)
    shaded = spec["datasets"]["alert_periods"]
    assert shaded["start"].dt.date.tolist() == [first]
    assert shaded["end_excl"].dt.date.tolist() == [date(2025, 6, 9)]


def test_the_exports_alerts_view_carries_each_alerts_grain(published_run, monkeypatch):
    """The alerts view downloaded `end` without `grain`, which the data dictionary needs to
    say whether `end` is the last day or the first day of the last week (as alerts.csv)."""
    monkeypatch.setenv("MOODCAST_HOME", str(published_run[0]))
    at = AppTest.from_file(str(APP / "screens" / "exports.py"), default_timeout=60).run()
    at.radio[0].set_value("alerts").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert not preview.empty, "the small run raises alerts"
    assert "grain" in preview.columns
    assert set(preview["grain"]) <= {"day", "iso_week", "iso_8week"}
