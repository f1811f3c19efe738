"""Honest inputs for alerting: complete days only, enough posts, and data events.

Three rules, all parameters in `InputRule`:

1. **Complete days.** The run ledger (`input_days`) says which local days each input covers.
   A day counts as complete when it is covered *and both of its neighbours are covered*: the
   first and last covered day of the data (an export usually starts and stops mid-day) and the
   days that border a gap in coverage (a file that stops mid-day before a missing stretch) are
   treated as possibly incomplete. Alerting sees `y` as missing on those days, like a
   suppressed day; forecasts are not affected. (The day in progress never gets here: the run
   gives forecasting the days that have ended only, moodcast.run_forecast.forecast_step.)
2. **Enough posts.** A day counts in a series only when its cell (`region` × `lang`, roll-ups
   included) has at least `min_posts_per_day` posts that day.
3. **Data events.** A sudden change in the total post volume (`all|all`) is a change in the
   data, not a wave: a complete day whose post count is at least `volume_factor` times, or at
   most 1/`volume_factor` of, the median of the `baseline_days` complete days before it (at
   least `min_baseline_days` of them) is flagged. Flagged days within `max_gap_days` merge
   into one event, stored in the alerts table with method `data_event` and `unique_id`
   `data:posts|all|all` (`marker` `data:posts`, which no marker name can take). A wave alert
   (any other method, `data_event` excepted) whose period overlaps an event or the
   `settle_days` after it is dropped: a 7-day average carries the jump for a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from forecasting.method import merge_periods, runs
from forecasting.wording import day_span
from transforms.contracts import ALERT_SCHEMA, ALL
from transforms.series import POST_COUNT_SCHEMA

DATA_EVENT = "data_event"
DATA_EVENT_ID = "data:posts|all|all"


@dataclass(frozen=True)
class InputRule:
    """Parameters of the honest-input rules (see the module docstring)."""

    min_posts_per_day: int = 20
    volume_factor: float = 2.0
    baseline_days: int = 28
    min_baseline_days: int = 7
    max_gap_days: int = 2
    settle_days: int = 7

    def __post_init__(self) -> None:
        if self.volume_factor <= 1:
            raise ValueError(f"volume_factor must be above 1, not {self.volume_factor}")
        if self.min_posts_per_day < 0:
            raise ValueError(f"min_posts_per_day must be ≥ 0, not {self.min_posts_per_day}")
        if not 1 <= self.min_baseline_days <= self.baseline_days:
            raise ValueError("need 1 ≤ min_baseline_days ≤ baseline_days")


DEFAULT_INPUTS = InputRule()


def complete_days(covered: Iterable[dt.date]) -> set[dt.date]:
    """The covered days whose previous and next day are covered too (rule 1)."""
    days = set(covered)
    one = dt.timedelta(days=1)
    return {day for day in days if day - one in days and day + one in days}


def countable(
    series: pl.DataFrame,
    *,
    complete: set[dt.date] | None,
    post_counts: pl.DataFrame | None,
    rule: InputRule = DEFAULT_INPUTS,
) -> pl.DataFrame:
    """`series` (SERIES_SCHEMA) with `y` null on days that may not count (rules 1 and 2).

    `complete=None` skips rule 1 and `post_counts=None` (POST_COUNT_SCHEMA) skips rule 2; a
    day of a cell that `post_counts` does not list has no posts and does not count. Rows are
    kept, so the days stay regular. `series` is not modified.
    """
    frame = series
    if complete is not None:
        frame = frame.with_columns(
            pl.when(pl.col("ds").is_in(sorted(complete))).then(pl.col("y")).alias("y")
        )
    if post_counts is None:
        return frame
    parts = pl.col("unique_id").str.split("|")
    counts = post_counts.cast(POST_COUNT_SCHEMA)
    return (
        frame.with_columns(parts.list.get(1).alias("_region"), parts.list.get(2).alias("_lang"))
        .join(
            counts.rename({"region": "_region", "lang": "_lang"}),
            on=["_region", "_lang", "ds"],
            how="left",
        )
        .with_columns(
            pl.when(pl.col("n_posts").fill_null(0) >= rule.min_posts_per_day)
            .then(pl.col("y"))
            .alias("y")
        )
        .select(series.columns)
    )


def data_events(
    post_counts: pl.DataFrame,
    *,
    complete: set[dt.date] | None,
    run_id: str,
    rule: InputRule = DEFAULT_INPUTS,
) -> pl.DataFrame:
    """Data events of the total post volume (rule 3), as ALERT_SCHEMA rows sorted by `start`.

    `peak` is the day furthest from its baseline (by factor), `peak_value` its post count,
    `threshold` the baseline median there; severity is `high` when the factor is at least
    twice `volume_factor`, else `medium`. Days outside `complete` are not judged.
    """
    total = (
        post_counts.cast(POST_COUNT_SCHEMA)
        .filter((pl.col("region") == ALL) & (pl.col("lang") == ALL))
        .sort("ds")
    )
    if complete is not None:
        total = total.filter(pl.col("ds").is_in(sorted(complete)))
    if total.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    first, last = total["ds"].min(), total["ds"].max()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    by_day = dict(zip(total["ds"].to_list(), total["n_posts"].to_list(), strict=True))
    n = np.array([by_day.get(day, np.nan) for day in days], dtype=float)
    median = _trailing_median(n, rule)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = n / median
        factor = np.where(ratio >= 1, ratio, 1 / ratio)
    flagged = np.isfinite(factor) & (factor >= rule.volume_factor)
    rows = []
    for lo, hi in merge_periods(runs(flagged), rule.max_gap_days):
        peak = lo + int(np.nanargmax(np.where(flagged[lo : hi + 1], factor[lo : hi + 1], -1)))
        direction = "rose" if ratio[peak] > 1 else "fell"
        rows.append(
            {
                "unique_id": DATA_EVENT_ID,
                "marker": "data:posts",
                "region": ALL,
                "lang": ALL,
                "start": days[lo],
                "end": days[hi],
                "peak": days[peak],
                "peak_value": float(n[peak]),
                "threshold": float(median[peak]),
                "method": DATA_EVENT,
                "severity": "high" if factor[peak] >= 2 * rule.volume_factor else "medium",
                "reason": (
                    f"The number of posts received a day {direction} to {int(n[peak]):,} against "
                    f"a usual {median[peak]:,.0f} ({factor[peak]:.1f} times "
                    f"{'more' if direction == 'rose' else 'fewer'}) {day_span(days[lo], days[hi])}: "
                    "a change in the data, not in the population; prevalence alerts around it "
                    "are held back."
                ),
                "issued_on": None,
                "run_id": run_id,
            }
        )
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort("start")


def without_data_events(
    alerts: pl.DataFrame, events: pl.DataFrame, *, rule: InputRule = DEFAULT_INPUTS
) -> pl.DataFrame:
    """`alerts` less the wave alerts whose period overlaps an event of `events` or the
    `settle_days` after it (rule 3); `data_event` rows themselves are kept."""
    if events.height == 0 or alerts.height == 0:
        return alerts
    keep = np.ones(alerts.height, dtype=bool)
    spans = [
        (start, end + dt.timedelta(days=rule.settle_days))
        for start, end in events.select("start", "end").iter_rows()
    ]
    for i, (start, end, method) in enumerate(alerts.select("start", "end", "method").iter_rows()):
        if method != DATA_EVENT and any(start <= hi and end >= lo for lo, hi in spans):
            keep[i] = False
    return alerts.filter(pl.Series(keep))


def _trailing_median(n: np.ndarray, rule: InputRule) -> np.ndarray:
    """Per day t, the median of the non-NaN values of days t−baseline_days … t−1."""
    out = np.full(len(n), np.nan)
    for t in range(len(n)):
        window = n[max(0, t - rule.baseline_days) : t]
        window = window[np.isfinite(window)]
        if len(window) >= rule.min_baseline_days:
            out[t] = np.median(window)
    return out
