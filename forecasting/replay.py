"""Prospective replay of alert methods, and the scores of replayed alerts against the truth.

**Replay.** A method is run as it would have run on each past run date, one cut-off at a
time: on run date r (a period of the series) it sees the periods up to r − `reporting_delay`
and nothing later. Every alert period it shows there is matched to the alerts already issued
on the same series and method (overlapping periods continue one another); a new one is
issued on r. Runs before `first_run` happen too (what they issued is known, not reported).
Each alert ends as the last run saw it (`start`, `end`, `severity`) with the date of the
first run that raised it (`issued_on`): the last day of that run date's period, the first day
on which its data can all exist (a weekly run of the week starting Monday 23 November 2026 is
issued on Sunday 29 November), as a run's alerts are. A replayable method's detection of
period t reads nothing after t (forecasting.method), so the replay evaluates it once per
series and rebuilds the alert periods from its prefix at each cut-off: the same result as
running it from scratch every time, without refitting what it had already fitted.

**Scores**, per method, against truth high periods (`unique_id`, `start`, `end`, optional
`peak`; all dates are period starts; an `issued_on` is read as the period that holds it):

- an alert *matches* a truth period of its series when the alert period overlaps the truth
  period or the `early_window` periods before its start, and was issued by the last day of
  the truth period;
- `onsets_flagged`: the share of truth periods with a matching alert;
- `median_lead`: over flagged truth periods, the median of (the period of the first matching
  `issued_on` − truth `start`) in periods: negative is early, 0 on the onset, positive late;
- `by_onset`: the share of truth periods first flagged at lead ≤ 0;
- `before_peak`: with a `peak` column, the share of truth periods first flagged in or
  before their peak's period;
- `false_per_series_year`: alerts that match no truth period, per series-year of data;
- `precision`: the share of alerts that match a truth period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from forecasting.frequency import Frequency, regular
from forecasting.method import Detection, SeriesMethod
from forecasting.methods import DEFAULT_METHOD_RULES, DEFAULT_METHODS, MethodRules, build_method

REPLAY_SCHEMA = {
    "unique_id": pl.String,
    "method": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "issued_on": pl.Date,
    "severity": pl.String,
}
"""One replayed alert: its period as last seen, and the run date that first raised it."""

SCORE_COLUMNS = {
    "method": pl.String,
    "truth_periods": pl.Int64,
    "onsets_flagged": pl.Float64,
    "median_lead": pl.Float64,
    "by_onset": pl.Float64,
    "before_peak": pl.Float64,
    "alerts": pl.Int64,
    "false_periods": pl.Int64,
    "series_years": pl.Float64,
    "false_per_series_year": pl.Float64,
    "precision": pl.Float64,
}


class ReplayError(ValueError):
    """A replay or score cannot run; the message says what to change."""


def replay(
    series: pl.DataFrame,
    *,
    freq: Frequency,
    methods: Sequence[str] = DEFAULT_METHODS,
    first_run: dt.date | None = None,
    reporting_delay: int = 0,
    rules: MethodRules = DEFAULT_METHOD_RULES,
    on_unjudged: Callable[[str, str], None] | None = None,
) -> pl.DataFrame:
    """REPLAY_SCHEMA rows of `methods` run on every run date of `series` (long: `unique_id`,
    `ds`, `y`, any non-negative scale; periods of `freq`) from `first_run` (default: the
    first period) to its last period, each seeing the data up to `reporting_delay` periods
    before it. Sorted by `unique_id`, `method`, `start`. `on_unjudged(method, unique_id)` is
    called for every series on which a method never had a bar (too short or too sparse for
    it), so that its silence is not taken for a quiet series.

    Raises ReplayError for a method that cannot be replayed, FrequencyError for one that
    cannot run at `freq` or a `ds` off the grid.
    """
    if reporting_delay < 0:
        raise ReplayError(f"reporting_delay is a number of periods ≥ 0, not {reporting_delay}")
    built = [build_method(name, rules) for name in methods]
    for method in built:
        method.check(freq)
        if not isinstance(method, SeriesMethod):
            raise ReplayError(
                f"{method.name} cannot be replayed: it reads a run's forecasts or the whole "
                f"history; replay one of the methods that judge each series from its past"
            )
    frame = regular(series.select("unique_id", "ds", "y").sort("unique_id", "ds"), freq=freq)
    rows = []
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        days = part["ds"].to_list()
        y = part["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        first = 0 if first_run is None else int(np.searchsorted(np.array(days), first_run))
        for method in built:
            detection = method.detect(y, freq, days)
            if on_unjudged is not None and not np.isfinite(detection.threshold).any():
                on_unjudged(method.name, uid)
            for alert in _replay_one(method, detection, days, freq, first, reporting_delay):
                rows.append({"unique_id": uid, "method": method.name, **alert})
    return pl.DataFrame(rows, schema=REPLAY_SCHEMA).sort("unique_id", "method", "start")


def _replay_one(
    method: SeriesMethod,
    detection: Detection,
    days: list,
    freq: Frequency,
    first: int,
    delay: int,
) -> list[dict]:
    """The alerts of one method on one series from its `detection`, run date by run date."""
    issued: list[dict] = []
    for run in range(delay, len(days)):
        seen = run - delay + 1
        for span in method.spans(detection.head(seen), freq):
            near = [a for a in issued if a["first"] <= span.last and a["last"] >= span.first]
            if near:
                keep = min(near, key=lambda a: a["issued"])
                for other in near:
                    if other is not keep:
                        issued.remove(other)
                keep.update(first=span.first, last=span.last, severity=span.severity)
            else:
                issued.append(
                    {
                        "first": span.first,
                        "last": span.last,
                        "severity": span.severity,
                        "issued": run,
                    }
                )
    return [
        {
            "start": days[a["first"]],
            "end": days[a["last"]],
            "issued_on": freq.last_day(days[a["issued"]]),
            "severity": a["severity"],
        }
        for a in sorted(issued, key=lambda a: a["first"])
        if a["issued"] >= first
    ]


def issued_period(freq: Frequency) -> pl.Expr:
    """The first day of the period of `freq` that holds each alert's `issued_on`, on the grid
    of its `start`: the period of the run that raised it, whether `issued_on` is that period's
    last day (as replay dates alerts) or its first (as it did before)."""
    days = (pl.col("issued_on") - pl.col("start")).dt.total_days() % freq.step_days
    return pl.col("issued_on") - pl.duration(days=days)


@dataclass(frozen=True)
class Truth:
    """Truth high periods (`unique_id`, `start`, `end`, optional `peak`) and, per series, the
    span of data it was judged on (years of it count false alerts)."""

    periods: pl.DataFrame
    span_days: Mapping[str, int]


def score(
    alerts: pl.DataFrame, truth: Truth, *, freq: Frequency, early_window: int = 4
) -> pl.DataFrame:
    """SCORE_COLUMNS rows, one per method of `alerts` (REPLAY_SCHEMA), against `truth`
    (see the module docstring). Series of `alerts` missing from `truth.span_days` raise
    ReplayError."""
    missing = sorted(set(alerts["unique_id"]) - set(truth.span_days))
    if missing:
        raise ReplayError(
            f"alerts on series the truth does not cover, e.g. {missing[0]!r}: give the same "
            f"series to replay and to score"
        )
    years = sum(truth.span_days.values()) / 365.25
    step = dt.timedelta(days=freq.step_days)
    rows = []
    for method in sorted(set(alerts["method"])):
        mine = (
            alerts.filter(pl.col("method") == method)
            .with_columns(issued_period(freq).alias("issued"))
            .with_row_index("_a")
        )
        pairs = (
            truth.periods.with_row_index("_t")
            .join(mine, on="unique_id", suffix="_alert")
            .filter(
                (pl.col("start_alert") <= pl.col("end"))
                & (pl.col("end_alert") >= pl.col("start") - early_window * step)
                & (pl.col("issued") <= pl.col("end"))
            )
        )
        first = pairs.group_by("_t").agg(pl.col("issued").min(), pl.col("start").first())
        leads = (first["issued"] - first["start"]).dt.total_days() // freq.step_days
        before_peak = None
        if "peak" in truth.periods.columns and truth.periods.height:
            peaks = first.join(truth.periods.with_row_index("_t").select("_t", "peak"), on="_t")
            on_time = peaks["issued"] <= peaks["peak"]
            before_peak = float(on_time.sum() / truth.periods.height)
        matched = pairs["_a"].n_unique()
        n_truth, n_alerts = truth.periods.height, mine.height
        rows.append(
            {
                "method": method,
                "truth_periods": n_truth,
                "onsets_flagged": first.height / n_truth if n_truth else None,
                "median_lead": float(np.median(leads.to_numpy())) if first.height else None,
                "by_onset": float((leads <= 0).sum() / n_truth) if n_truth else None,
                "before_peak": before_peak,
                "alerts": n_alerts,
                "false_periods": n_alerts - matched,
                "series_years": years,
                "false_per_series_year": (n_alerts - matched) / years if years else None,
                "precision": matched / n_alerts if n_alerts else None,
            }
        )
    return pl.DataFrame(rows, schema=SCORE_COLUMNS)
