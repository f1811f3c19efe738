"""Alert methods besides the default rule, each turned into alert periods.

Every method makes ALERT_SCHEMA rows with the period machinery of `forecasting.alerts`
(runs of flagged days, merged across gaps of at most `max_gap_days`, kept with at least
`min_days` flagged days), its severity bands (`peak_value / threshold − 1`: medium from 0.5,
high from 1.0) and its wording of the population statistic. The methods:

- `paper_peaks` (Tommasel et al. 2021): per dimension × region × language, each marker's
  share is smoothed over 7 days and differentiated, the gradients are averaged over the
  dimension's markers, and the peaks whose prominence is above the 80th percentile are kept
  (`forecasting.peaks`). The period is the stretch of rising average around the peak;
  `peak_value` is the peak's prominence and `threshold` the 80th-percentile prominence, both
  in share per day. Dimension alerts use `unique_id` `dimension:<name>|<region>|<lang>` and
  `marker` `dimension:<name>` (a colon cannot occur in a marker name).
- `forecast_exceedance`: a forecast (its `mean`, or the top of its 80% range with
  `statistic="hi_80"`) above a threshold from the observed history: a percentile of the daily
  share, or its mean + k·sd, over the trailing year (days t−365 … t−1). Over the forecast
  horizon the threshold is the one of the first forecast day; over observed days the method
  reads the one-step-ahead in-sample forecasts (`fitted`), i.e. the warning it would have
  given the day before.
- `ears_c1`, `ears_c2`, `ears_c3`, `cusum` (`forecasting.aberration`): a day is flagged when
  its statistic passes the alert level. `peak` is the flagged day with the highest statistic,
  `peak_value` the daily share there, and `threshold` the daily share that would have brought
  the statistic to its alert level on that day, given the days before (for C3 once the two
  days before already sum past the level, the share from which a day adds to C3: baseline
  mean + 1 sd).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.aberration import EARS_THRESHOLDS, _baseline, cusum, ears_c2
from forecasting.alerts import (
    DEFAULT_RULE,
    Basis,
    Subject,
    day_name,
    day_span,
    forecasts_by_series,
    merge_periods,
    ordinal,
    percent,
    runs,
    share_phrase,
    trailing_percentile,
)
from forecasting.peaks import dimension_gradient, peak_prominences
from forecasting.series import regular_daily, validate_series
from transforms.contracts import ALERT_SCHEMA, split_series_id
from transforms.markers import Marker

ALERT_METHODS = (
    "trailing_p90",
    "paper_peaks",
    "forecast_exceedance",
    "ears_c1",
    "ears_c2",
    "ears_c3",
    "cusum",
)
"""Every method `moodcast run` can write (`alert_methods` setting); `trailing_p90` is the default
rule of `forecasting.alerts` (with its `trailing_p90_forecast` horizon alerts)."""

DEFAULT_METHODS = ("trailing_p90",)

_EARS_NAMES = {"ears_c1": "EARS C1", "ears_c2": "EARS C2", "ears_c3": "EARS C3", "cusum": "CUSUM"}


@dataclass(frozen=True)
class MethodRules:
    """Parameters of the non-default methods (see the module docstring).

    `dimensions` maps a dimension to its markers (e.g. from `transforms.markers`); without it
    `paper_peaks` makes no alerts.
    """

    dimensions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    peak_window_days: int = 7
    peak_percentile: float = 80.0
    exceedance_statistic: Literal["mean", "hi_80"] = "mean"
    exceedance_threshold: Literal["percentile", "mean_sd"] = "percentile"
    exceedance_percentile: float = 95.0
    exceedance_k: float = 2.0
    exceedance_baseline_days: int = 365
    exceedance_min_baseline_values: int = 28
    exceedance_min_days: int = 3
    ears_min_days: int = 1
    cusum_k: float = 0.5
    cusum_h: float = 4.0
    max_gap_days: int = 2

    def __post_init__(self) -> None:
        if self.exceedance_statistic not in ("mean", "hi_80"):
            raise ValueError("exceedance_statistic must be 'mean' or 'hi_80'")
        if self.exceedance_threshold not in ("percentile", "mean_sd"):
            raise ValueError("exceedance_threshold must be 'percentile' or 'mean_sd'")


DEFAULT_METHOD_RULES = MethodRules()


def check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """`methods` as a tuple, or ValueError naming an unknown one and the known ones."""
    if isinstance(methods, str):
        raise ValueError(f'give a list of method names, e.g. ["{methods}"], not a string')
    unknown = sorted(set(methods) - set(ALERT_METHODS))
    if unknown:
        raise ValueError(
            f"unknown alert method(s) {', '.join(unknown)}; known: {', '.join(ALERT_METHODS)}"
        )
    return tuple(methods)


def marker_dimensions(markers: Iterable[Marker]) -> dict[str, tuple[str, ...]]:
    """Dimension → its markers' names (sorted), from the markers' `dimensions`."""
    found: dict[str, set[str]] = {}
    for marker in markers:
        for dimension in marker.dimensions:
            found.setdefault(dimension, set()).add(marker.name)
    return {dimension: tuple(sorted(names)) for dimension, names in sorted(found.items())}


def method_alerts(
    series: pl.DataFrame,
    *,
    methods: Sequence[str],
    run_id: str,
    forecasts: pl.DataFrame | None = None,
    fitted: pl.DataFrame | None = None,
    rules: MethodRules = DEFAULT_METHOD_RULES,
    basis: Basis = "authors",
) -> pl.DataFrame:
    """Alert periods of the non-default `methods` (`trailing_p90` is ignored here), as
    ALERT_SCHEMA rows sorted by `unique_id`, `start`, `method`.

    `series` follows SERIES_SCHEMA (missing days count as missing); `forecasts`
    (FORECAST_SCHEMA, one model per series) and `fitted` (FITTED_SCHEMA) feed
    `forecast_exceedance` only. Raises ValueError on an unknown method.
    """
    check_methods(methods)
    frame = regular_daily(validate_series(series))
    rows: list[dict] = []
    if frame.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    parts = frame.partition_by("unique_id", as_dict=True, maintain_order=True)
    ears = [m for m in methods if m in _EARS_NAMES]
    if ears or "forecast_exceedance" in methods:
        ahead = forecasts_by_series(forecasts, frame["ds"].max())
        before = _fitted_by_series(fitted)
        for (uid,), part in parts.items():
            subject = Subject(uid, *split_series_id(uid), basis)
            days = part["ds"].to_list()
            y = part["y"].fill_null(np.nan).to_numpy().astype(float)
            for method in ears:
                rows.extend(_ears_alerts(subject, days, y, method, rules))
            if "forecast_exceedance" in methods:
                rows.extend(
                    _exceedance_alerts(subject, days, y, ahead.get(uid), before.get(uid), rules)
                )
    if "paper_peaks" in methods:
        rows.extend(_paper_alerts(frame, rules, basis))
    return (
        pl.DataFrame(rows, schema={k: v for k, v in ALERT_SCHEMA.items() if k != "run_id"})
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(ALERT_SCHEMA.keys())
        .sort("unique_id", "start", "method")
    )


def ears_bar(y: np.ndarray, method: str, *, rules: MethodRules = DEFAULT_METHOD_RULES):
    """(statistic, flagged, bar) per day for an EARS method or `cusum`: the statistic of
    `forecasting.aberration`, whether it passes its alert level, and the daily share that
    would have brought it to that level (see the module docstring)."""
    y = np.asarray(y, dtype=float)
    if method == "cusum":
        mean, sd = _baseline(y, lag=3)
        sd = np.maximum(sd, 1e-6)
        stat = cusum(y, k=rules.cusum_k, h=rules.cusum_h)
        before = np.concatenate([[0.0], stat[:-1]])
        before = np.where(before > rules.cusum_h, 0.0, before)
        bar = mean + np.maximum(rules.cusum_h + rules.cusum_k - before, 0.0) * sd
        flagged = np.isfinite(y) & np.isfinite(mean) & (stat > rules.cusum_h)
        return stat, flagged, bar
    lag = 1 if method == "ears_c1" else 3
    mean, sd = _baseline(y, lag=lag)
    sd = np.maximum(sd, 1e-6)
    level = EARS_THRESHOLDS[method]
    if method == "ears_c3":
        excess = np.maximum(ears_c2(y) - 1, 0)
        stat = np.full(len(y), np.nan)
        if len(y) >= 3:
            stat[2:] = sliding_window_view(excess, 3).sum(axis=1)
        rest = np.full(len(y), np.nan)
        if len(y) >= 3:
            rest[2:] = excess[:-2] + excess[1:-1]
        bar = mean + (1 + np.maximum(level - rest, 0.0)) * sd
    else:
        stat = (y - mean) / sd
        bar = mean + level * sd
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(stat) & np.isfinite(y) & (stat > level)
    return stat, flagged, bar


def _ears_alerts(
    subject: Subject, days: list[dt.date], y: np.ndarray, method: str, rules: MethodRules
) -> list[dict]:
    stat, flagged, bar = ears_bar(y, method, rules=rules)
    rows = []
    for lo, hi in _periods(flagged, rules.ears_min_days, rules.max_gap_days):
        peak = lo + int(np.argmax(np.where(flagged[lo : hi + 1], stat[lo : hi + 1], -np.inf)))
        value, threshold = float(y[peak]), float(bar[peak])
        baseline = "the 7 days before" if method == "ears_c1" else "the 7 days ending 3 days before"
        reason = (
            f"The daily {share_phrase(subject)} reached {percent(value)} on {day_name(days[peak])}, "
            f"above the {percent(threshold)} that {_EARS_NAMES[method]} counts as unusual "
            f"against {baseline}, {day_span(days[lo], days[hi])}."
        )
        rows.append(_row(subject, days, (lo, hi, peak), value, threshold, method, reason))
    return rows


def _exceedance_alerts(
    subject: Subject,
    days: list[dt.date],
    y: np.ndarray,
    ahead: pl.DataFrame | None,
    before: pl.DataFrame | None,
    rules: MethodRules,
) -> list[dict]:
    n_obs = len(y)
    horizon = 0 if ahead is None else ahead.height
    threshold = _history_threshold(np.concatenate([y, np.full(horizon, np.nan)]), rules)
    if horizon:
        threshold[n_obs:] = threshold[n_obs]
    column = rules.exceedance_statistic
    stat = np.full(n_obs + horizon, np.nan)
    if before is not None:
        by_day = dict(zip(before["ds"].to_list(), before[column].to_list(), strict=True))
        stat[:n_obs] = [by_day.get(day, np.nan) for day in days]
    if horizon:
        stat[n_obs:] = ahead[column].to_numpy().astype(float)
    all_days = days + ([] if ahead is None else ahead["ds"].to_list())
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(stat) & np.isfinite(threshold) & (stat > threshold)
    # Observed and horizon periods stay apart: one is a past warning, the other a forecast.
    flagged_obs, flagged_ahead = flagged.copy(), flagged.copy()
    flagged_obs[n_obs:] = False
    flagged_ahead[:n_obs] = False
    what = "top of the 80% range of the forecast" if column == "hi_80" else "forecast"
    bar_words = (
        f"the {ordinal(rules.exceedance_percentile)} percentile of the past year"
        if rules.exceedance_threshold == "percentile"
        else f"the past year's mean plus {rules.exceedance_k:g} standard deviations"
    )
    rows = []
    for mask, future in ((flagged_obs, False), (flagged_ahead, True)):
        for lo, hi in _periods(mask, rules.exceedance_min_days, rules.max_gap_days):
            peak = lo + int(np.argmax(np.where(mask[lo : hi + 1], stat[lo : hi + 1], -np.inf)))
            value, bar = float(stat[peak]), float(threshold[peak])
            when = day_span(all_days[lo], all_days[hi])
            if future:
                reason = (
                    f"The {what} for the daily {share_phrase(subject, forecast=True)} reaches "
                    f"{percent(value)}, above {bar_words} ({percent(bar)}), {when}."
                )
            else:
                reason = (
                    f"The day-ahead {what} for the daily {share_phrase(subject)} reached "
                    f"{percent(value)}, above {bar_words} ({percent(bar)}), {when}."
                )
            method = "forecast_exceedance_forecast" if future else "forecast_exceedance"
            rows.append(_row(subject, all_days, (lo, hi, peak), value, bar, method, reason))
    return rows


def _history_threshold(y: np.ndarray, rules: MethodRules) -> np.ndarray:
    """Per day t, the threshold from the observed days t−baseline_days … t−1."""
    if rules.exceedance_threshold == "percentile":
        return trailing_percentile(
            y,
            baseline_days=rules.exceedance_baseline_days + 1,
            exclude_days=1,
            percentile=rules.exceedance_percentile,
            min_values=rules.exceedance_min_baseline_values,
        )
    days = rules.exceedance_baseline_days
    padded = np.concatenate([np.full(days, np.nan), y])
    windows = sliding_window_view(padded, days)[: len(y)]
    enough = np.isfinite(windows).sum(axis=1) >= rules.exceedance_min_baseline_values
    out = np.full(len(y), np.nan)
    if enough.any():
        chosen = windows[enough]
        out[enough] = np.nanmean(chosen, axis=1) + rules.exceedance_k * np.nanstd(
            chosen, axis=1, ddof=1
        )
    return out


def _paper_alerts(frame: pl.DataFrame, rules: MethodRules, basis: Basis) -> list[dict]:
    """`paper_peaks` periods of every dimension × region × language with data."""
    if not rules.dimensions:
        return []
    first, last = frame["ds"].min(), frame["ds"].max()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    timelines: dict[tuple[str, str, str], np.ndarray] = {}
    for (uid,), part in frame.partition_by("unique_id", as_dict=True).items():
        y = np.full(len(days), np.nan)
        y[[index[d] for d in part["ds"].to_list()]] = part["y"].fill_null(np.nan).to_numpy()
        timelines[split_series_id(uid)] = y
    cells = sorted({(region, lang) for _, region, lang in timelines})
    rows = []
    for dimension, markers in sorted(rules.dimensions.items()):
        for region, lang in cells:
            rows_here = [
                timelines[(m, region, lang)] for m in markers if (m, region, lang) in timelines
            ]
            if not rows_here:
                continue
            subject = Subject(
                f"dimension:{dimension}|{region}|{lang}",
                f"dimension:{dimension}",
                region,
                lang,
                basis,
            )
            rows.extend(_dimension_alerts(subject, days, np.vstack(rows_here), markers, rules))
    return rows


def _dimension_alerts(
    subject: Subject,
    days: list[dt.date],
    timelines: np.ndarray,
    markers: Sequence[str],
    rules: MethodRules,
) -> list[dict]:
    gradient = dimension_gradient(timelines, window=rules.peak_window_days)
    peaks, prominences, bar = peak_prominences(gradient, percentile=rules.peak_percentile)
    spans = []
    for peak, prominence in zip(peaks.tolist(), prominences.tolist(), strict=True):
        lo = hi = peak
        while lo > 0 and np.isfinite(gradient[lo - 1]) and gradient[lo - 1] > 0:
            lo -= 1
        while hi + 1 < len(days) and np.isfinite(gradient[hi + 1]) and gradient[hi + 1] > 0:
            hi += 1
        spans.append((lo, hi, peak, prominence))
    rows = []
    for lo, hi in merge_periods([(lo, hi) for lo, hi, _, _ in spans], rules.max_gap_days):
        peak, prominence = max(
            ((p, q) for a, b, p, q in spans if lo <= a and b <= hi), key=lambda pq: pq[1]
        )
        names = ", ".join(m.replace("_", " ") for m in markers)
        label = f"the markers of '{subject.marker.removeprefix('dimension:')}' ({names})"
        reason = (
            f"The {rules.peak_window_days}-day average {share_phrase(subject, label=label)} "
            f"rose by {float(gradient[peak]) * 100:.2f} percentage points a day (averaged over "
            f"those markers) on {day_name(days[peak])}, one of the sharpest rises of this series "
            f"(in the top {100 - rules.peak_percentile:g}% by prominence), "
            f"{day_span(days[lo], days[hi])}."
        )
        rows.append(
            _row(
                subject, days, (lo, hi, peak), float(prominence), float(bar), "paper_peaks", reason
            )
        )
    return rows


def _periods(flagged: np.ndarray, min_days: int, max_gap_days: int) -> list[tuple[int, int]]:
    """Runs of flagged days merged across gaps, kept with at least `min_days` flagged."""
    return [
        (lo, hi)
        for lo, hi in merge_periods(runs(flagged), max_gap_days)
        if flagged[lo : hi + 1].sum() >= min_days
    ]


def _row(
    subject: Subject,
    days: list[dt.date],
    span: tuple[int, int, int],
    value: float,
    threshold: float,
    method: str,
    reason: str,
) -> dict:
    lo, hi, peak = span
    return {
        "unique_id": subject.unique_id,
        "marker": subject.marker,
        "region": subject.region,
        "lang": subject.lang,
        "start": days[lo],
        "end": days[hi],
        "peak": days[peak],
        "peak_value": value,
        "threshold": threshold,
        "method": method,
        "severity": DEFAULT_RULE.severity(value, threshold),
        "reason": reason,
    }


def _fitted_by_series(fitted: pl.DataFrame | None) -> dict[str, pl.DataFrame]:
    if fitted is None or fitted.height == 0:
        return {}
    return {
        uid: part
        for (uid,), part in fitted.sort("unique_id", "ds")
        .partition_by("unique_id", as_dict=True, maintain_order=True)
        .items()
    }
