"""The trailing-percentile alert rule: high-prevalence periods, observed and forecast.

The rule, day by day (all parameters in `TrailingP90Rule`):

1. Signal: the 7-day trailing mean of the observed `y` (days t−6..t), defined when at least 5
   of the 7 days are observed. Suppressed days are left out, never filled.
2. Threshold: the 90th percentile of that same 7-day mean over the trailing year (days
   t−364..t−7, so the current window never raises its own bar), defined once at least 28
   such values exist.
3. A day is *above* when the signal exceeds the threshold, and *strong* when it also exceeds
   it by at least 15% (relative) and 0.1 percentage points (absolute).
4. Strong days separated by at most 2 other days form the core of a period; the period then
   extends forward over the following above days, and backward over the preceding above days
   while the signal was still rising (so it starts where the rise crossed the threshold).
   Periods within 2 days of each other merge; a period with fewer than 3 strong days is
   dropped.
5. Peak: the observed day of the period with the highest signal; `threshold` is the
   threshold on the period's first day; severity comes from `peak_value / threshold − 1`:
   low below 0.5, medium from 0.5, high from 1.0 (the peak at least doubles the threshold).

Over the forecast horizon the signal is the projected 7-day mean: observed days where known,
the alert model's forecast means after. The threshold stays the one of observed days only,
the same steps apply, and the part of a period after the last observed day (with at least 3
strong days of its own) becomes a forecast alert (method `trailing_p90_forecast`). With
`horizon_statistic="hi_80"` the projection is instead the top of its 80% range (daily forecast
errors treated as independent): more sensitive to a rise that is just starting, but noisier,
since a past wave widens a model's intervals for months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.series import regular_daily, validate_series
from transforms.contracts import (
    ALERT_SCHEMA,
    ALL,
    FORECAST_SCHEMA,
    UNKNOWN_REGION,
    conform,
    split_series_id,
)

Basis = Literal["authors", "posts"]

_Z80 = 1.2815515655446004
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class TrailingP90Rule:
    """Parameters of the trailing-percentile rule (see the module docstring for the steps).

    Fractions are relative (`min_excess=0.15` is 15% above the threshold) except
    `min_excess_points`, a prevalence difference (0.001 is 0.1 percentage points).
    `horizon_statistic` is what forecast alerts project: the forecast `mean` or its `hi_80`.
    """

    window_days: int = 7
    min_observed_days: int = 5
    baseline_days: int = 365
    percentile: float = 90.0
    min_baseline_values: int = 28
    min_excess: float = 0.15
    min_excess_points: float = 0.001
    min_strong_days: int = 3
    max_gap_days: int = 2
    medium_from: float = 0.5
    high_from: float = 1.0
    horizon_statistic: Literal["mean", "hi_80"] = "mean"

    def __post_init__(self) -> None:
        if self.horizon_statistic not in ("mean", "hi_80"):
            raise ValueError(
                f"horizon_statistic must be 'mean' or 'hi_80', not {self.horizon_statistic!r}"
            )
        if not 0 < self.percentile < 100:
            raise ValueError(f"percentile must lie between 0 and 100, not {self.percentile}")
        if not 1 <= self.min_observed_days <= self.window_days < self.baseline_days:
            raise ValueError(
                "need 1 ≤ min_observed_days ≤ window_days < baseline_days, got "
                f"{self.min_observed_days}, {self.window_days}, {self.baseline_days}"
            )

    @property
    def method(self) -> str:
        """The `method` of observed alerts, e.g. `trailing_p90`."""
        return f"trailing_p{self.percentile:g}"

    @property
    def forecast_method(self) -> str:
        """The `method` of forecast-horizon alerts, e.g. `trailing_p90_forecast`."""
        return f"{self.method}_forecast"

    def severity(self, peak_value: float, threshold: float) -> str:
        """`low`, `medium` or `high` from the relative exceedance `peak_value / threshold − 1`."""
        if threshold <= 0:
            return "high"
        excess = peak_value / threshold - 1
        if excess >= self.high_from:
            return "high"
        if excess >= self.medium_from:
            return "medium"
        return "low"


DEFAULT_RULE = TrailingP90Rule()
"""The rule with the defaults tuned on synthetic series (see the module docstring)."""


def rolling_mean(y: np.ndarray, *, window_days: int, min_observed_days: int) -> np.ndarray:
    """Trailing mean of the non-NaN values of `y` over `window_days` days ending on each day.

    NaN where fewer than `min_observed_days` of the window are present (and on the first
    `window_days − 1` days).
    """
    present = np.isfinite(y)
    sums = np.concatenate([[0.0], np.cumsum(np.where(present, y, 0.0))])
    counts = np.concatenate([[0], np.cumsum(present)])
    out = np.full(len(y), np.nan)
    if len(y) < window_days:
        return out
    window_sums = sums[window_days:] - sums[:-window_days]
    window_counts = counts[window_days:] - counts[:-window_days]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(window_counts >= min_observed_days, window_sums / window_counts, np.nan)
    out[window_days - 1 :] = means
    return out


def trailing_percentile(
    signal: np.ndarray, *, baseline_days: int, exclude_days: int, percentile: float, min_values: int
) -> np.ndarray:
    """Per day t, the `percentile` of the non-NaN `signal` over days t−baseline_days+1 …
    t−exclude_days; NaN where fewer than `min_values` values are present."""
    length = baseline_days - exclude_days
    out = np.full(len(signal), np.nan)
    if length < 1 or len(signal) == 0:
        return out
    padded = np.concatenate([np.full(baseline_days - 1, np.nan), signal])
    windows = sliding_window_view(padded, length)[: len(signal)]
    enough = np.isfinite(windows).sum(axis=1) >= max(min_values, 1)
    if enough.any():
        out[enough] = np.nanpercentile(windows[enough], percentile, axis=1)
    return out


def alert_periods(
    signal: np.ndarray, threshold: np.ndarray, *, rule: TrailingP90Rule
) -> list[tuple[int, int]]:
    """Periods (first, last day index, inclusive) where `signal` is high against `threshold`,
    following steps 3–4 of the module docstring. NaN in either means neither above nor strong.
    """
    above, strong = _above_and_strong(signal, threshold, rule=rule)
    cores = merge_periods(runs(strong), rule.max_gap_days)
    extended = []
    for first, last in cores:
        while first > 0 and above[first - 1] and signal[first - 1] < signal[first]:
            first -= 1
        while last + 1 < len(signal) and above[last + 1]:
            last += 1
        extended.append((first, last))
    return [
        (first, last)
        for first, last in merge_periods(extended, rule.max_gap_days)
        if strong[first : last + 1].sum() >= rule.min_strong_days
    ]


def _above_and_strong(
    signal: np.ndarray, threshold: np.ndarray, *, rule: TrailingP90Rule
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3 of the module docstring, day by day: the `above` and `strong` masks."""
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(signal) & np.isfinite(threshold)
        above = valid & (signal > threshold)
        strong = (
            above
            & (signal > threshold * (1 + rule.min_excess))
            & (signal - threshold >= rule.min_excess_points)
        )
    return above, strong


def trailing_p90_alerts(
    series: pl.DataFrame,
    forecasts: pl.DataFrame | None = None,
    *,
    run_id: str,
    rule: TrailingP90Rule = DEFAULT_RULE,
    basis: Basis = "authors",
) -> pl.DataFrame:
    """Alert periods of every series, as ALERT_SCHEMA rows sorted by `unique_id`, `start`.

    `series` follows SERIES_SCHEMA (whole history; missing days count as suppressed).
    `forecasts` follows FORECAST_SCHEMA with at most one model per series, the one whose
    horizon the rule projects (see the module docstring); without it only observed alerts are
    made. `basis` words the reason: a share of authors (the default) or of posts.
    Peaks and values come from observed days and forecasts only, never from a suppressed day.
    """
    frame = regular_daily(validate_series(series))
    rows: list[dict] = []
    if frame.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    last_day = frame["ds"].max()
    by_series = forecasts_by_series(forecasts, last_day)
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        days = part["ds"].to_list()
        y = part["y"].fill_null(np.nan).to_numpy().astype(float)
        rows.extend(_series_alerts(uid, days, y, by_series.get(uid), rule, basis))
    return (
        pl.DataFrame(rows, schema={k: v for k, v in ALERT_SCHEMA.items() if k != "run_id"})
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(ALERT_SCHEMA.keys())
        .sort("unique_id", "start", "method")
    )


@dataclass(frozen=True)
class Subject:
    """Whose statistic an alert is about: a series (or dimension) in a region and language."""

    unique_id: str
    marker: str
    region: str
    lang: str
    basis: Basis


def _series_alerts(
    uid: str,
    days: list[dt.date],
    y: np.ndarray,
    forecast: pl.DataFrame | None,
    rule: TrailingP90Rule,
    basis: Basis,
) -> list[dict]:
    """Observed alerts of one series, then forecast alerts when `forecast` is given."""
    subject = Subject(uid, *split_series_id(uid), basis)
    n_obs = len(y)
    signal = rolling_mean(y, window_days=rule.window_days, min_observed_days=rule.min_observed_days)
    horizon = 0 if forecast is None else forecast.height
    threshold = trailing_percentile(
        np.concatenate([signal, np.full(horizon, np.nan)]),
        baseline_days=rule.baseline_days,
        exclude_days=rule.window_days,
        percentile=rule.percentile,
        min_values=rule.min_baseline_values,
    )
    rows = []
    for first, last in alert_periods(signal, threshold[:n_obs], rule=rule):
        observed = [i for i in range(first, last + 1) if np.isfinite(y[i])]
        if observed:
            peak = max(observed, key=lambda i: signal[i])
            rows.append(
                _alert(
                    subject,
                    days,
                    signal,
                    threshold,
                    (first, last, peak),
                    rule=rule,
                    forecast=False,
                    ongoing=last == n_obs - 1,
                )
            )
    if forecast is None or horizon == 0:
        return rows
    combined = np.concatenate([signal, _projected(y, forecast, rule)])
    all_days = days + forecast["ds"].to_list()
    for first, last in alert_periods(combined, threshold, rule=rule):
        if last < n_obs:
            continue
        first = max(first, n_obs)
        _, strong = _above_and_strong(
            combined[first : last + 1], threshold[first : last + 1], rule=rule
        )
        if strong.sum() >= rule.min_strong_days:
            peak = first + int(np.nanargmax(combined[first : last + 1]))
            rows.append(
                _alert(
                    subject,
                    all_days,
                    combined,
                    threshold,
                    (first, last, peak),
                    rule=rule,
                    forecast=True,
                    ongoing=False,
                )
            )
    return rows


def _alert(
    subject: Subject,
    days: list[dt.date],
    signal: np.ndarray,
    threshold: np.ndarray,
    span: tuple[int, int, int],
    *,
    rule: TrailingP90Rule,
    forecast: bool,
    ongoing: bool,
) -> dict:
    """One ALERT row (without `run_id`) for the period `span` = (first, last, peak) indices."""
    first, last, peak = span
    peak_value, bar = float(signal[peak]), float(threshold[first])
    return {
        "unique_id": subject.unique_id,
        "marker": subject.marker,
        "region": subject.region,
        "lang": subject.lang,
        "start": days[first],
        "end": days[last],
        "peak": days[peak],
        "peak_value": peak_value,
        "threshold": bar,
        "method": rule.forecast_method if forecast else rule.method,
        "severity": rule.severity(peak_value, bar),
        "reason": _reason(
            subject,
            peak_value,
            bar,
            days[first],
            days[last],
            ongoing=ongoing,
            forecast=forecast,
            rule=rule,
        ),
    }


def _projected(y: np.ndarray, forecast: pl.DataFrame, rule: TrailingP90Rule) -> np.ndarray:
    """The 7-day mean on each forecast day, or the top of its 80% range (`horizon_statistic`)."""
    mean = forecast["mean"].to_numpy().astype(float)
    values = np.concatenate([y, mean])
    centre = rolling_mean(
        values, window_days=rule.window_days, min_observed_days=rule.min_observed_days
    )
    if rule.horizon_statistic == "mean":
        return centre[len(y) :]
    sd = (forecast["hi_80"].to_numpy().astype(float) - mean) / _Z80
    variances = np.concatenate([np.zeros(len(y)), sd**2])
    present = np.isfinite(values)
    kernel = np.ones(rule.window_days)
    var_sums = np.convolve(np.where(present, variances, 0.0), kernel)[: len(values)]
    counts = np.convolve(present.astype(float), kernel)[: len(values)]
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = centre + _Z80 * np.sqrt(var_sums) / counts
    return np.clip(upper, 0.0, 1.0)[len(y) :]


def forecasts_by_series(
    forecasts: pl.DataFrame | None, last_day: dt.date
) -> dict[str, pl.DataFrame]:
    """Each series' forecast rows on consecutive days from the day after `last_day`."""
    if forecasts is None or forecasts.height == 0:
        return {}
    frame = conform(forecasts, FORECAST_SCHEMA, name="Forecast")
    models = frame.group_by("unique_id").agg(pl.col("model").n_unique().alias("n"))
    if models["n"].max() > 1:
        raise ValueError("forecasts must hold one model per series: filter to the alert model")
    out = {}
    for (uid,), part in (
        frame.sort("unique_id", "ds")
        .partition_by("unique_id", as_dict=True, maintain_order=True)
        .items()
    ):
        offsets = [(day - last_day).days for day in part["ds"].to_list()]
        if offsets == list(range(1, len(offsets) + 1)):
            out[uid] = part
    return out


def _reason(
    subject: Subject,
    value: float,
    threshold: float,
    start: dt.date,
    end: dt.date,
    *,
    ongoing: bool,
    forecast: bool,
    rule: TrailingP90Rule,
) -> str:
    """One plain sentence about a population statistic, never about a person."""
    statistic = f"{rule.window_days}-day average {share_phrase(subject, forecast=forecast)}"
    usual = f"the usual {ordinal(rule.percentile)} percentile of {percent(threshold)}"
    span = day_span(start, end)
    if forecast and rule.horizon_statistic == "hi_80":
        return (
            f"The forecast for the {statistic} could reach {percent(value)} (the top of its "
            f"80% range), above {usual}, {span}."
        )
    if forecast:
        return f"The forecast expects the {statistic} to reach {percent(value)}, above {usual}, {span}."
    if ongoing:
        span = (
            f"on {day_name(end)}, the latest day of data"
            if start == end
            else f"from {day_name(start)} to the latest day of data, {day_name(end)}"
        )
    return f"The {statistic} rose to {percent(value)}, above {usual}, {span}."


def share_phrase(subject: Subject, *, forecast: bool = False, label: str | None = None) -> str:
    """'share of authors whose posts matched 'anxiety' in us-ca (en)' and its variants: the
    population statistic of `subject`, never a person (`forecast` switches to the present;
    `label` replaces the quoted marker name, e.g. for a dimension's markers)."""
    name = label or f"'{subject.marker.replace('_', ' ')}'"
    tense = "match" if forecast else "matched"
    share = (
        f"share of authors whose posts {tense} {name}"
        if subject.basis == "authors"
        else f"share of posts that {tense} {name}"
    )
    where = {ALL: "across all regions", UNKNOWN_REGION: "where the region is unknown"}.get(
        subject.region, f"in {subject.region}"
    )
    language = "all languages" if subject.lang == ALL else subject.lang
    return f"{share} {where} ({language})"


def percent(value: float) -> str:
    points = value * 100
    return f"{points:.1f}%" if points >= 1 or points == 0 else f"{points:.2f}%"


def ordinal(number: float) -> str:
    whole = int(number)
    if whole != number:
        return f"{number:g}th"
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix}"


def day_name(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def day_span(start: dt.date, end: dt.date) -> str:
    """'on 3 March 2025', 'from 3 to 17 March 2025', 'from 28 February to 5 March 2025'."""
    if start == end:
        return f"on {day_name(start)}"
    if start.year != end.year:
        return f"from {day_name(start)} to {day_name(end)}"
    if start.month != end.month:
        return f"from {start.day} {_MONTHS[start.month - 1]} to {day_name(end)}"
    return f"from {start.day} to {day_name(end)}"


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in `mask` as (first, last) indices."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def merge_periods(periods: list[tuple[int, int]], max_gap_days: int) -> list[tuple[int, int]]:
    """Merge sorted (first, last) periods separated by at most `max_gap_days` days."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(periods):
        if merged and first - merged[-1][1] - 1 <= max_gap_days:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged
