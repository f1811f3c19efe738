"""Honest inputs: complete days only, a minimum of posts, and data events."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.inputs import (
    DATA_EVENT,
    DATA_EVENT_ID,
    InputRule,
    complete_days,
    countable,
    data_events,
    without_data_events,
)
from forecasting.pipeline import forecast_and_alert
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from transforms.contracts import ALERT_SCHEMA
from transforms.series import POST_COUNT_SCHEMA

DAY = dt.timedelta(days=1)


def _counts(n: list[float], *, region: str = "all", lang: str = "all") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region": region,
            "lang": lang,
            "ds": [START + i * DAY for i in range(len(n))],
            "n_posts": [int(v) for v in n],
        },
        schema=POST_COUNT_SCHEMA,
    )


def test_first_last_and_gap_bordering_days_are_not_complete():
    covered = [START + i * DAY for i in range(10) if i != 5]
    assert complete_days(covered) == {START + i * DAY for i in (1, 2, 3, 7, 8)}


def test_days_that_do_not_count_lose_their_value_but_keep_their_row():
    frame = series_frame({"joy|north|en": np.full(6, 0.2)})
    complete = {START + i * DAY for i in range(1, 5)}
    posts = _counts([50, 50, 5, 50, 50, 50], region="north", lang="en")
    out = countable(
        frame, complete=complete, post_counts=posts, rule=InputRule(min_posts_per_day=20)
    )
    assert out.height == 6 and out.columns == frame.columns
    assert out["y"].to_list() == [None, 0.2, None, 0.2, 0.2, None]
    assert frame["y"].null_count() == 0


def test_a_doubling_of_post_volume_is_a_data_event_and_a_steady_volume_is_not():
    rng = np.random.default_rng(1)
    steady = rng.normal(500, 20, 90)
    assert data_events(_counts(steady), complete=None, run_id="r").is_empty()
    jumped = steady.copy()
    jumped[60:63] *= 3
    events = data_events(_counts(jumped), complete=None, run_id="r")
    assert events.schema == pl.Schema(ALERT_SCHEMA)
    row = events.row(0, named=True)
    assert (row["unique_id"], row["method"]) == (DATA_EVENT_ID, DATA_EVENT)
    assert (row["start"], row["end"]) == (START + 60 * DAY, START + 62 * DAY)
    assert row["peak_value"] / row["threshold"] == pytest.approx(3, rel=0.15)
    assert "a change in the data, not in the population" in row["reason"]
    dropped = steady.copy()
    dropped[70] /= 2.5
    assert data_events(_counts(dropped), complete=None, run_id="r")["start"].to_list() == [
        START + 70 * DAY
    ]


def test_wave_alerts_that_coincide_with_a_data_event_are_held_back():
    events = pl.DataFrame(
        [{"start": START + 10 * DAY, "end": START + 11 * DAY, "method": DATA_EVENT}]
    )
    alerts = pl.DataFrame(
        {
            "start": [START + 5 * DAY, START + 15 * DAY, START + 30 * DAY, START + 10 * DAY],
            "end": [START + 9 * DAY, START + 20 * DAY, START + 35 * DAY, START + 11 * DAY],
            "method": ["ears_c2", "trailing_p90", "trailing_p90", DATA_EVENT],
        }
    )
    kept = without_data_events(alerts, events, rule=InputRule(settle_days=7))
    assert kept["start"].to_list() == [START + 5 * DAY, START + 30 * DAY, START + 10 * DAY]


def test_a_volume_jump_is_reported_as_a_data_event_not_as_a_wave():
    """A new source that brings twice the posts, with a different mix, lifts a marker's share:
    the run flags the data event and holds back the wave it would otherwise read."""
    rng = np.random.default_rng(2)
    y, _ = daily_prevalence(rng, n_days=200, authors=600, base=0.1, wave=(150, 12, 2.2))
    frame = series_frame({"anxiety|all|all": y})
    n = rng.normal(600, 20, 200)
    n[148:152] *= 2.5
    posts = _counts(n)
    plain = forecast_and_alert(frame, run_id="r", horizon_days=7)
    assert (plain.alerts["method"] == "early").any()
    honest = forecast_and_alert(frame, run_id="r", horizon_days=7, post_counts=posts)
    assert honest.alerts.filter(pl.col("method") == "early").is_empty(), honest.alerts
    assert honest.alerts.filter(pl.col("method") == DATA_EVENT).height == 1
