"""Prospective replay: issued_on, reporting delay, agreement with runs from scratch, scores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.frequency import DAY, WEEK
from forecasting.methods import method_alerts
from forecasting.replay import ReplayError, Truth, replay, score
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from tests.forecasting.weekly import weekly_frame, weekly_seasons


def _step(n: int = 60, at: int = 40, factor: float = 3.0) -> pl.DataFrame:
    y = np.full(n, 1.0)
    y[at:] = factor
    y = y * (1 + 0.01 * np.sin(np.arange(n)))
    days = [dt.date(2020, 1, 6) + dt.timedelta(weeks=i) for i in range(n)]
    return pl.DataFrame({"unique_id": "s", "ds": days, "y": y})


@pytest.mark.parametrize("delay", [0, 1, 3])
def test_an_alert_is_issued_when_the_run_first_sees_it(delay):
    frame = _step()
    alerts = replay(frame, freq=WEEK, methods=["ears_c1"], reporting_delay=delay)
    onset = frame["ds"][40]
    first = alerts.sort("start").row(0, named=True)
    assert first["start"] == onset
    assert first["issued_on"] == WEEK.last_day(onset + dt.timedelta(weeks=delay))


def test_replay_matches_the_method_run_from_scratch_at_every_cut_off():
    rng = np.random.default_rng(4)
    y, _ = daily_prevalence(rng, n_days=140, authors=600, base=0.1, wave=(100, 15, 2.5))
    frame = series_frame({"anxiety|north|en": y})
    replayed = replay(frame, freq=DAY, methods=["trailing_p90"], reporting_delay=2)
    days = frame["ds"].to_list()
    first_seen: dict[tuple, dt.date] = {}
    for run in range(2, len(days)):
        seen = frame.filter(pl.col("ds") <= days[run - 2])
        for row in method_alerts(seen, methods=["trailing_p90"], run_id="r").iter_rows(named=True):
            key = next((k for k in first_seen if k[0] <= row["end"] and k[1] >= row["start"]), None)
            if key is None:
                first_seen[(row["start"], row["end"])] = days[run]
    assert replayed.height == len(first_seen) >= 1
    assert sorted(replayed["issued_on"].to_list()) == sorted(first_seen.values())
    last = method_alerts(
        frame.filter(pl.col("ds") <= days[-3]), methods=["trailing_p90"], run_id="r"
    )
    assert replayed["start"].to_list() == last["start"].to_list()
    assert (replayed["issued_on"] >= replayed["start"]).all()


def test_back_dated_starts_keep_their_later_issue_date():
    rng = np.random.default_rng(7)
    y, _ = daily_prevalence(rng, n_days=200, authors=1000, base=0.08)
    y[150:170] *= np.linspace(1.0, 3.0, 20)
    replayed = replay(series_frame({"a|b|c": y}), freq=DAY, methods=["trailing_p90"])
    row = replayed.row(0, named=True)
    assert row["issued_on"] > row["start"]


@pytest.mark.parametrize("method", ["paper_peaks", "forecast_exceedance"])
def test_methods_that_need_a_run_cannot_be_replayed(method):
    with pytest.raises(ReplayError, match="cannot be replayed"):
        replay(_step(), freq=WEEK, methods=[method])


def test_replay_from_a_date_issues_nothing_before_it():
    y, days, _ = weekly_seasons(np.random.default_rng(2))
    frame = weekly_frame({"flu": y}, days)
    later = replay(frame, freq=WEEK, methods=["cdc_baseline"], first_run=days[150])
    assert later["issued_on"].min() >= days[150]


def test_scores_count_onsets_leads_false_periods_and_precision():
    d = dt.date(2020, 1, 6)
    week = dt.timedelta(weeks=1)
    truth = Truth(
        periods=pl.DataFrame(
            {
                "unique_id": ["a", "a", "b"],
                "start": [d + 10 * week, d + 60 * week, d + 20 * week],
                "end": [d + 18 * week, d + 68 * week, d + 28 * week],
                "peak": [d + 14 * week, d + 64 * week, d + 24 * week],
            }
        ),
        span_days={"a": 2 * 364, "b": 2 * 364},
    )
    rows = [
        ("a", d + 9 * week, d + 16 * week, d + 9 * week),  # early: lead −1
        ("a", d + 62 * week, d + 66 * week, d + 63 * week),  # late: +3
        ("a", d + 40 * week, d + 41 * week, d + 40 * week),  # false
        ("b", d + 29 * week, d + 30 * week, d + 29 * week),  # after the end: false
    ]
    alerts = pl.DataFrame(
        [(u, "m", s, e, i, "low") for u, s, e, i in rows],
        schema=["unique_id", "method", "start", "end", "issued_on", "severity"],
        orient="row",
    )
    out = score(alerts, truth, freq=WEEK).row(0, named=True)
    assert out["onsets_flagged"] == pytest.approx(2 / 3)
    assert out["median_lead"] == pytest.approx(1.0)
    assert out["by_onset"] == pytest.approx(1 / 3)
    assert out["before_peak"] == pytest.approx(2 / 3)
    assert out["false_periods"] == 2
    assert out["false_per_series_year"] == pytest.approx(2 / (4 * 364 / 365.25))
    assert out["precision"] == pytest.approx(0.5)
    with pytest.raises(ReplayError, match="truth does not cover"):
        score(alerts, Truth(truth.periods, {"a": 700}), freq=WEEK)


def test_a_series_start_is_day_zero_for_daily_replay():
    frame = series_frame({"a|b|c": np.full(30, 0.1)}, start=START)
    assert replay(frame, freq=DAY, methods=["ears_c2"]).height == 0


def test_series_a_method_never_had_a_bar_on_are_reported():
    y, days, _ = weekly_seasons(np.random.default_rng(3))
    frame = weekly_frame({"long": y, "new": y[-6:]}, days)
    frame = frame.with_columns(
        ds=pl.when(pl.col("unique_id") == "new").then(pl.col("ds") + pl.duration(weeks=len(y) - 6))
        .otherwise(pl.col("ds"))
    )  # fmt: skip
    unjudged = []
    replay(
        frame, freq=WEEK, methods=["early", "mem"], on_unjudged=lambda m, u: unjudged.append((m, u))
    )
    assert sorted(unjudged) == [("early", "new"), ("mem", "new")]
