"""benchmarks/alerts.py's detection score: a weekly alert detects a step when its week holds
a day within ±3 days of the step's start."""

from __future__ import annotations

import datetime as dt

import polars as pl

from benchmarks.alerts import score_methods


def _alert(uid: str, start: dt.date) -> dict:
    return {"unique_id": uid, "method": "early", "start": start}


def test_weekly_alerts_detect_a_step_inside_their_week_and_daily_ones_within_three_days():
    start = dt.date(2025, 2, 5)  # a Wednesday
    waves = pl.DataFrame(
        [
            {"marker": "anxiety", "region": "north", "lang": "en", "start": start},
            {"marker": "sadness", "region": "north", "lang": "en", "start": start},
        ]
    )
    ids = ["anxiety|north|en", "sadness|north|en", "anger|north|en"]
    monday = dt.date(2025, 2, 3)
    alerts = pl.DataFrame(
        [
            _alert("anxiety|north|en", monday),  # weekly: its week holds the step's start
            _alert("sadness|north|en", monday - dt.timedelta(days=1)),  # daily: 3 days early
            _alert("anger|north|en", monday),  # nothing planted: false
        ]
    )
    table = score_methods(alerts, ids, waves, {}, years=1.0, weekly=frozenset({"anxiety|north|en"}))
    early = table.filter(pl.col("method") == "early").row(0, named=True)
    assert early["detected"] == "2/2" and early["false_periods"] == 1
    late = alerts.with_columns(pl.col("start") + dt.timedelta(days=7))
    table = score_methods(late, ids, waves, {}, years=1.0, weekly=frozenset({"anxiety|north|en"}))
    assert table.filter(pl.col("method") == "early")["detected"][0] == "0/2"
