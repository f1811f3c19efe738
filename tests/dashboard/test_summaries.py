"""The pure summaries behind the Overview: rising series and open alerts."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from dashboard.summaries import alert_subjects, most_severe, open_alerts, rising

LAST = date(2025, 3, 14)


def _days(marker: str, values: list[float | None]) -> list[dict]:
    first = LAST - timedelta(days=len(values) - 1)
    return [
        {
            "day": first + timedelta(days=i),
            "marker": marker,
            "region": "all",
            "lang": "all",
            "prevalence": value,
            "suppressed": value is None,
        }
        for i, value in enumerate(values)
    ]


def test_rising_ranks_by_the_change_of_weekly_means():
    frame = pl.DataFrame(_days("fear", [0.1] * 7 + [0.3] * 7) + _days("joy", [0.2] * 7 + [0.1] * 7))
    ranked = rising(frame, last_day=LAST)
    assert ranked.get_column("marker").to_list() == ["fear", "joy"]
    assert ranked.get_column("change").round(6).to_list() == [0.2, -0.1]


def test_a_week_with_too_few_published_days_is_left_out():
    sparse = [0.1] * 7 + [None] * 4 + [0.9] * 3
    assert rising(pl.DataFrame(_days("fear", sparse)), last_day=LAST).is_empty()


def test_open_alerts_and_the_most_severe():
    alerts = pl.DataFrame(
        {
            "marker": ["a", "b", "c"],
            "region": ["all"] * 3,
            "lang": ["all"] * 3,
            "start": [date(2025, 3, 1), date(2025, 3, 5), date(2025, 3, 8)],
            "end": [date(2025, 3, 3), date(2025, 3, 20), date(2025, 3, 20)],
            "severity": ["high", "low", "medium"],
        }
    )
    assert open_alerts(alerts, as_of=LAST).get_column("marker").to_list() == ["c", "b"]
    assert most_severe(alerts) == ("a", "all", "all")
    assert most_severe(alerts.clear()) is None


def test_dimension_and_data_event_alerts_are_named_in_words_and_have_no_marker_link():
    alerts = pl.DataFrame(
        {
            "marker": ["anxiety", "dimension:stress", "data:posts"],
            "region": ["us & ca", "all", "all"],
            "lang": ["en", "en", "all"],
            "method": ["trailing_p90", "paper_peaks", "data_event"],
        }
    )
    named = alert_subjects(alerts)
    assert named["subject"].to_list() == [
        "anxiety",
        "dimension stress (its markers together)",
        "data event: post volume changed sharply",
    ]
    assert named["series"].to_list() == [
        "timelines?marker=anxiety&region=us+%26+ca&lang=en",
        None,
        None,
    ]


def test_today_so_far_names_the_open_day_and_its_pane_time_in_the_analysis_zone():
    from datetime import UTC, datetime

    from dashboard.summaries import today_so_far

    empty = pl.DataFrame(schema={"day": pl.Date, "pane_at": pl.Datetime("us", "UTC")})
    assert today_so_far(empty, tz="UTC") is None
    open_days = pl.DataFrame(
        {"day": [LAST], "pane_at": [datetime(2025, 3, 14, 17, 30, tzinfo=UTC)]},
        schema=empty.schema,
    )
    notice = today_so_far(open_days, tz="Europe/Madrid")
    assert notice is not None and "2025-03-14 is still open" in notice
    assert "2025-03-14 18:30 (Europe/Madrid)" in notice and "provisional" in notice
