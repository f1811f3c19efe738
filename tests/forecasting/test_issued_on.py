"""`issued_on` is the last day of data an alert's first run read: for a weekly series the last
day of its latest week, never the week's first day, in a run and in a replay alike; scores
still count leads in whole periods."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting import forecast_and_alert
from forecasting.frequency import DAY, EPIWEEK, WEEK
from forecasting.replay import Truth, replay, score
from tests.forecasting.weekly import weekly_frame, weekly_seasons


def _rising_weeks(shift_days: int) -> tuple[pl.DataFrame, dt.date]:
    """Four seasons of weekly shares that end three weeks into an epidemic, on week starts
    moved by `shift_days` (0: ISO Mondays, -1: epi-week Sundays); and the last week's start."""
    y, days, onsets = weekly_seasons(np.random.default_rng(3), seasons=4)
    end = onsets[-1] + 3
    days = [d + dt.timedelta(days=shift_days) for d in days[: end + 1]]
    return weekly_frame({"flu|all|en": y[: end + 1] / 10}, days), days[-1]


@pytest.mark.parametrize(("freq", "shift_days", "weekday"), [(WEEK, 0, 7), (EPIWEEK, -1, 6)])
def test_a_weekly_runs_alerts_are_issued_on_the_last_day_of_its_latest_week(
    freq, shift_days, weekday
):
    """Before, `issued_on` was the latest `ds`, the week's first day: an alert raised on data
    up to Sunday said it was issued on the Monday before, six days before its data existed."""
    frame, last_week = _rising_weeks(shift_days)
    outcome = forecast_and_alert(
        frame, run_id="w", freq=freq, horizon_days=28, methods=["early", "cdc_baseline"]
    )
    assert outcome.alerts.height
    issued = outcome.alerts["issued_on"].unique().to_list()
    assert issued == [last_week + dt.timedelta(days=6)]
    assert issued[0].isoweekday() == weekday


def test_a_weekly_replay_dates_an_alert_by_the_last_day_of_its_run_week():
    """Before, a replayed weekly alert was dated by its run week's Monday, unlike a run's."""
    y, days, _ = weekly_seasons(np.random.default_rng(2), seasons=4)
    replayed = replay(
        weekly_frame({"flu": y}, days), freq=WEEK, methods=["early"], reporting_delay=1
    )
    assert replayed.height
    run_weeks = replayed["issued_on"] - dt.timedelta(days=6)
    assert run_weeks.is_in(days).all()
    assert (replayed["issued_on"].dt.weekday() == 7).all()


def test_scores_count_leads_in_the_periods_that_hold_issued_on():
    """A weekly alert issued on the Sunday that ends a one-week high period flags it on its
    onset (lead 0, by its peak); before, read by day, it came after the period's end (the
    period's Monday) and flagged nothing. A date on a week's first day, as replays wrote it
    before, scores the same, so leads recorded in periods stay comparable."""
    monday = dt.date(2026, 11, 23)
    truth = Truth(
        periods=pl.DataFrame({"unique_id": ["s"], "start": [monday], "end": [monday]}).with_columns(
            pl.col("start").alias("peak")
        ),
        span_days={"s": 364},
    )

    def scored(issued_on: dt.date) -> dict:
        alerts = pl.DataFrame(
            [("s", "m", monday, monday, issued_on, "low")],
            schema=["unique_id", "method", "start", "end", "issued_on", "severity"],
            orient="row",
        )
        return score(alerts, truth, freq=WEEK).row(0, named=True)

    on_sunday = scored(WEEK.last_day(monday))
    assert on_sunday["onsets_flagged"] == 1.0
    assert on_sunday["median_lead"] == 0.0
    assert on_sunday["before_peak"] == 1.0
    assert on_sunday["precision"] == 1.0
    assert scored(monday) == on_sunday
    late = scored(monday + dt.timedelta(weeks=1))
    assert late["onsets_flagged"] == 0.0


def test_a_days_last_day_is_itself():
    day = dt.date(2026, 11, 29)
    assert DAY.last_day(day) == day
    assert WEEK.last_day(dt.date(2026, 11, 23)) == day
