"""The pure summaries behind the Overview: rising series and open alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from dashboard.summaries import (
    alert_subjects,
    finished_ago,
    forecast_grain,
    most_severe,
    no_open_alert,
    nothing_to_chart,
    open_alerts,
    rising,
    too_rare,
    waves,
)

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


def test_a_series_shown_by_eight_week_periods_is_not_ranked_week_on_week():
    frame = pl.DataFrame(
        _days("fear", [0.1] * 7 + [0.3] * 7) + _days("love", [0.1] * 7 + [0.3] * 7)
    )
    frame = frame.with_columns(
        pl.when(pl.col("marker") == "love").then(pl.lit("iso_8week")).otherwise(pl.lit("day"))
        .alias("grain")
    )  # fmt: skip
    assert rising(frame, last_day=LAST).get_column("marker").to_list() == ["fear"]


def test_a_week_with_a_withheld_day_is_left_out():
    """The published days of a week that holds a withheld (low) day would read high."""
    sparse = [0.1] * 7 + [None] + [0.9] * 6
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


def test_an_alert_by_week_is_open_until_its_last_period_ends():
    """`end` is the first day of an alert's last period: a week alert with `end` 6 days before
    `as_of` still covers `as_of`, an 8-week one 55 days before; a day alert ends on `end`."""
    alerts = pl.DataFrame(
        {
            "marker": ["week", "week_over", "eight", "eight_over", "day", "unknown"],
            "region": ["all"] * 6,
            "lang": ["all"] * 6,
            "start": [date(2025, 1, 1)] * 6,
            "end": [
                LAST - timedelta(days=6),
                LAST - timedelta(days=7),
                LAST - timedelta(days=55),
                LAST - timedelta(days=56),
                LAST - timedelta(days=1),
                LAST,
            ],
            "severity": ["high"] * 6,
            "grain": ["iso_week", "epi_week", "epi_8week", "iso_8week", "day", None],
        }
    )
    assert sorted(open_alerts(alerts, as_of=LAST).get_column("marker")) == [
        "eight",
        "unknown",
        "week",
    ]


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


def test_data_older_than_a_daily_schedule_leaves_them_are_called_stale():
    from dashboard.summaries import staleness

    assert staleness(LAST, today=LAST + timedelta(days=2)) is None
    assert staleness(None, today=LAST) is None
    warning = staleness(LAST, today=date(2026, 2, 10))
    assert "These data end on 14 March 2025, 333 days before today" in warning
    assert staleness(LAST, today=date(2026, 2, 10), as_of=date(2026, 2, 9)) == warning


def test_data_of_a_run_as_of_a_past_date_do_not_blame_the_schedule():
    """`moodcast demo` runs as of its sample's last day: the Overview said to check the
    scheduled run, which had just finished as told."""
    from dashboard.summaries import staleness

    warning = staleness(LAST, today=date(2026, 2, 10), as_of=LAST, ran_on=date(2026, 2, 10))
    assert warning.startswith("The latest run was as of 14 March 2025 (its --as-of), 333 days")
    assert "schedule" not in warning


def test_a_schedule_that_stopped_is_named_though_its_last_run_is_as_of_an_old_day():
    """A run without --as-of is as of the day it ran: when the daily runs stopped, the latest
    is as old as its data, and the warning was that it had been told that date."""
    from dashboard.summaries import staleness

    stopped = date(2026, 1, 31)
    warning = staleness(stopped, today=date(2026, 2, 10), as_of=stopped, ran_on=stopped)
    assert warning.startswith("These data end on 31 January 2026, 10 days before today")
    assert "--as-of" not in warning


def test_how_alerts_work_states_the_severity_cut_offs():
    from dashboard.summaries import how_alerts_work
    from forecasting.method import relative_severity

    text = how_alerts_work()
    assert "less than 50% above the threshold" in text
    assert "50% to 100% above it" in text and "100% above it or more" in text
    assert "never shown by day, only within its week or 8-week period" in text
    assert [relative_severity(v, 1.0) for v in (1.49, 1.5, 1.99, 2.0)] == [
        "low", "medium", "medium", "high"
    ]  # fmt: skip


def test_a_series_without_a_forecast_says_why():
    from dashboard.summaries import why_not_forecast

    days = [LAST - timedelta(days=i) for i in range(29, -1, -1)]
    uid = "sadness|all|en"
    mostly_hidden = pl.DataFrame(
        {"unique_id": uid, "ds": days, "y": [None if i % 2 == 0 else 0.1 for i in range(30)]}
    )
    reason = why_not_forecast(mostly_hidden, unique_id=uid, grain="day", last_day=LAST)
    assert reason.startswith("Not forecast: 50% of its last 30 days are suppressed or missing")
    short = mostly_hidden.tail(3).with_columns(y=pl.lit(0.1))
    assert "Only 3 days of history" in why_not_forecast(
        short, unique_id=uid, grain="day", last_day=LAST
    )
    fine = mostly_hidden.with_columns(y=pl.lit(0.1))
    assert "No forecast was published" in why_not_forecast(
        fine, unique_id=uid, grain="day", last_day=LAST
    )


def test_why_not_forecast_knows_weekly_series_and_series_below_k_at_both_grains():
    from dashboard.summaries import why_not_forecast

    uid = "loneliness|all|all"
    mondays = [LAST - timedelta(days=LAST.weekday() + 7 * i) for i in range(7, -1, -1)]
    weeks = pl.DataFrame(
        {"unique_id": uid, "ds": mondays, "y": [None if i % 2 else 0.01 for i in range(8)]}
    )
    reason = why_not_forecast(weeks, unique_id=uid, grain="iso_week", last_day=LAST)
    assert reason.startswith("Not forecast: 50% of its last 8 weeks are suppressed or missing")
    whole = weeks.with_columns(y=pl.lit(0.01))
    assert why_not_forecast(whole, unique_id=uid, grain="iso_week", last_day=LAST).startswith(
        "No forecast was published"
    )
    empty = weeks.clear()
    below = why_not_forecast(empty, unique_id=uid, grain=None, last_day=LAST, k=11)
    assert below.startswith("Not forecast: Its cells fall below k = 11 on more than 2% of its ")
    assert (
        "days, of its weeks (ISO week) and of its 8-week periods" in below
        and 'privacy = "dp"' in below
    )
    epi = why_not_forecast(empty, unique_id=uid, grain=None, last_day=LAST, week_grain="epi_week")
    assert "(CDC epi-week)" in epi
    copy = why_not_forecast(
        empty, unique_id="joy|unknown|en", grain="day", same_as="joy|all|all", last_day=LAST
    )
    assert "same series as joy|all|all" in copy


def test_a_wave_and_its_rollups_are_one_row_shown_by_its_most_severe_alert():
    d = date(2025, 3, 1)
    alerts = pl.DataFrame(
        {
            "marker": ["fear", "fear", "fear", "fear", "fear", "joy"],
            "region": ["us-ca", "all", "all", "uk", "us-ca", "all"],
            "lang": ["en", "en", "all", "en", "en", "all"],
            "start": [d, d + timedelta(2), d + timedelta(1), d, d + timedelta(30), d],
            "end": [
                d + timedelta(5),
                d + timedelta(9),
                d + timedelta(4),
                d + timedelta(5),
                d + timedelta(32),
                d + timedelta(5),
            ],
            "severity": ["medium", "high", "low", "low", "low", "low"],
        }
    )
    rows = waves(alerts)
    assert rows.select("marker", "region", "lang", "rollups", "also_in").rows() == [
        ("fear", "all", "en", 3, "us-ca · en; uk · en; all · all"),
        ("fear", "us-ca", "en", 0, ""),
        ("joy", "all", "all", 0, ""),
    ]
    assert rows.get_column("wave").to_list() == [0, 1, 2]
    assert waves(alerts.clear()).is_empty()


def _series(values: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(_days("calm", values)).with_columns(
        prevalence_hi=pl.col("prevalence") + 0.03
    )


def test_a_series_mostly_withheld_or_zero_throughout_is_explained_not_charted():
    mostly_gaps = too_rare(_series([None] * 8 + [0.1] * 6), k=11)
    assert mostly_gaps is not None and mostly_gaps.startswith("Too rare to chart at this grain")
    assert "8 of 14 days are withheld" in mostly_gaps and "1–10 matching authors" in mostly_gaps
    zero = too_rare(_series([0.0] * 10 + [None] * 4), k=11)
    assert zero is not None and "any of the 10 published days" in zero and "3.0%" in zero
    assert too_rare(_series([None] * 7 + [0.1] * 7), k=11) is None
    assert too_rare(_series([0.0] * 13 + [0.01]), k=11) is None
    assert too_rare(_series([0.1]).clear(), k=11) is None


def test_an_adjusted_share_of_zero_is_not_told_as_no_post_matching():
    flagged = _series([0.0] * 10).with_columns(n_marked_authors=pl.lit(12))
    adjusted = too_rare(flagged, k=11, adjusted=True)
    assert adjusted is not None and "No author's posts matched" not in adjusted
    assert adjusted.startswith("Adjusted for marker error, the share is 0 on each of the 10")
    assert "3.0%" in adjusted and "Turn off" in adjusted
    unflagged = flagged.with_columns(n_marked_authors=pl.lit(0))
    assert too_rare(unflagged, k=11, adjusted=True).startswith("No author's posts matched")


def test_a_forecast_says_whether_it_steps_by_day_or_by_which_week():
    assert forecast_grain("day") == forecast_grain(None) == "by day"
    assert forecast_grain("iso_week").startswith("by ISO week (each point on the week's first")
    assert forecast_grain("epi_week").startswith("by CDC epi-week")
    assert forecast_grain("iso_8week").startswith("by 8-week period (eight ISO weeks;")
    assert forecast_grain("epi_8week").startswith("by 8-week period (eight CDC epi-weeks;")


def test_no_open_alert_names_the_run_date_apart_from_the_data_s_last_day():
    """Regression: 'No alert period is open on 6 December 2026, the date of the data' of data
    that end 9 January 2026 (the run's date, not the data's)."""
    said = no_open_alert(date(2026, 12, 6), date(2026, 1, 9))
    assert "6 December 2026, the date of the latest run" in said
    assert "its data end on 9 January 2026" in said
    same = no_open_alert(date(2026, 1, 9), date(2026, 1, 9))
    assert same == "No alert period is open on 9 January 2026, the last day of the data."


def test_a_forecast_of_zero_beside_a_history_of_zero_is_explained_not_charted():
    """Regression: Forecasts charted such a series on one '0.000000%' tick where Timelines
    said there was nothing to chart."""
    zero = _series([0.0] * 10)
    flat = pl.DataFrame({"ds": [LAST + timedelta(days=1)], "mean": [0.0], "hi_95": [0.0]})
    said = nothing_to_chart(zero, flat, k=11)
    assert said is not None and said == too_rare(zero, k=11) and "Nothing to chart" in said
    assert nothing_to_chart(zero, flat.clear(), k=11) == said
    assert nothing_to_chart(zero, flat.with_columns(hi_95=pl.lit(0.01)), k=11) is None
    assert nothing_to_chart(_series([0.0] * 9 + [0.02]), flat, k=11) is None


def test_a_run_under_an_hour_old_is_said_in_minutes_not_0_h():
    """The Overview said 'Last run finished 0 h ago' for a run that ended minutes before."""
    now = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
    ago = [finished_ago(now - timedelta(minutes=m), now=now) for m in (0.5, 25, 59, 60, 200)]
    assert ago == ["less than a minute ago", "25 min ago", "59 min ago", "1 h ago", "3 h ago"]
