"""The trailing-percentile alert method (`trailing_p90`): high periods, observed and forecast.

The rule, period by period (all parameters in `TrailingP90Rule`, in periods of the series'
frequency; `RULES` holds the daily and the weekly defaults):

1. Signal: the trailing mean of the observed `y` over `window` periods (t−window+1 … t),
   defined when at least `min_observed` of them are observed. Suppressed periods are left
   out, never filled. Daily: 7 days, 5 needed; weekly: the week itself.
2. Threshold: the `percentile` (90th) of that same signal over the trailing `baseline`
   periods (a year) ending `window` periods before t, so the current window never raises its
   own bar; defined once at least `min_baseline_values` such values exist.
3. A period is *above* when the signal exceeds the threshold, and *strong* when it exceeds it
   by at least `min_excess` (15%, relative: the margin means the same for a share, a
   percentage or an index).
4. Periods as in forecasting.method, with `min_strong` strong periods, gaps of `max_gap`, and
   the period extended backward over the preceding above periods while the signal was still
   rising (its `start` is where the rise crossed the threshold, which may be before the run
   that first raised it: see `issued_on`). Severity from `peak_value / threshold − 1`.

Over the forecast horizon the signal is the projected trailing mean: observed periods where
known, the alert model's forecast means after. The threshold stays the one of observed
periods only, the same steps apply, and the part of a period after the last observed one
(with at least `min_strong` strong periods of its own) becomes a forecast alert (method
`trailing_p90_forecast`). With `horizon_statistic="hi_80"` the projection is instead the top of
its 80% range (forecast errors treated as independent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.frequency import DAY, Frequency, regular
from forecasting.method import (
    AlertContext,
    Detection,
    SeriesMethod,
    Span,
    alert_row,
    detection_periods,
    relative_severity,
)
from forecasting.series import validate_series
from forecasting.wording import (
    Basis,
    Subject,
    day_name,
    ordinal,
    percent,
    period_span,
    share_phrase,
    subject_of,
)
from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA, conform

_Z80 = 1.2815515655446004


@dataclass(frozen=True)
class TrailingP90Rule:
    """Parameters of the trailing-percentile rule, in periods (see the module docstring).

    `min_excess` is relative (0.15 is 15% above the threshold). `horizon_statistic` is what
    forecast alerts project: the forecast `mean` or its `hi_80`.
    """

    window: int = 7
    min_observed: int = 5
    baseline: int = 365
    percentile: float = 90.0
    min_baseline_values: int = 28
    min_excess: float = 0.15
    min_strong: int = 3
    max_gap: int = 2
    horizon_statistic: Literal["mean", "hi_80"] = "mean"

    def __post_init__(self) -> None:
        if self.horizon_statistic not in ("mean", "hi_80"):
            raise ValueError(
                f"horizon_statistic must be 'mean' or 'hi_80', not {self.horizon_statistic!r}"
            )
        if not 0 < self.percentile < 100:
            raise ValueError(f"percentile must lie between 0 and 100, not {self.percentile}")
        if not 1 <= self.min_observed <= self.window < self.baseline:
            raise ValueError(
                "need 1 ≤ min_observed ≤ window < baseline, got "
                f"{self.min_observed}, {self.window}, {self.baseline}"
            )
        if self.min_excess < 0 or self.min_strong < 1 or self.max_gap < 0:
            raise ValueError("need min_excess ≥ 0, min_strong ≥ 1 and max_gap ≥ 0")

    @property
    def method(self) -> str:
        """The `method` of observed alerts, e.g. `trailing_p90`."""
        return f"trailing_p{self.percentile:g}"


DEFAULT_RULE = TrailingP90Rule()
"""The daily rule, tuned on synthetic series."""

WEEKLY_RULE = TrailingP90Rule(
    window=1, min_observed=1, baseline=52, min_baseline_values=13, min_strong=1, max_gap=1
)
"""The weekly rule: the week's own value against the 90th percentile of the past year."""


def rolling_mean(y: np.ndarray, *, window: int, min_observed: int) -> np.ndarray:
    """Trailing mean of the non-NaN values of `y` over `window` periods ending on each one.

    NaN where fewer than `min_observed` of the window are present (and on the first
    `window − 1` periods).
    """
    present = np.isfinite(y)
    sums = np.concatenate([[0.0], np.cumsum(np.where(present, y, 0.0))])
    counts = np.concatenate([[0], np.cumsum(present)])
    out = np.full(len(y), np.nan)
    if len(y) < window:
        return out
    window_sums = sums[window:] - sums[:-window]
    window_counts = counts[window:] - counts[:-window]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(window_counts >= min_observed, window_sums / window_counts, np.nan)
    out[window - 1 :] = means
    return out


def trailing_percentile(
    signal: np.ndarray, *, baseline: int, exclude: int, percentile: float, min_values: int
) -> np.ndarray:
    """Per period t, the `percentile` of the non-NaN `signal` over periods t−baseline+1 …
    t−exclude; NaN where fewer than `min_values` values are present."""
    length = baseline - exclude
    out = np.full(len(signal), np.nan)
    if length < 1 or len(signal) == 0:
        return out
    padded = np.concatenate([np.full(baseline - 1, np.nan), signal])
    windows = sliding_window_view(padded, length)[: len(signal)]
    enough = np.isfinite(windows).sum(axis=1) >= max(min_values, 1)
    if enough.any():
        out[enough] = np.nanpercentile(windows[enough], percentile, axis=1)
    return out


def marks(signal: np.ndarray, threshold: np.ndarray, rule: TrailingP90Rule) -> Detection:
    """Step 3: the detection of `signal` against `threshold` (NaN is neither above nor strong)."""
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(signal) & np.isfinite(threshold)
        above = valid & (signal > threshold)
        strong = above & (signal > threshold * (1 + rule.min_excess))
    return Detection(value=signal, threshold=threshold, strong=strong, above=above)


def alert_periods(
    signal: np.ndarray, threshold: np.ndarray, *, rule: TrailingP90Rule
) -> list[tuple[int, int]]:
    """Periods (first, last index, inclusive) where `signal` is high against `threshold`."""
    return detection_periods(
        marks(signal, threshold, rule),
        min_strong=rule.min_strong,
        max_gap=rule.max_gap,
        extend_back=True,
    )


@dataclass(frozen=True)
class TrailingP90(SeriesMethod):
    """The trailing-percentile method; `rules` by frequency kind (`day`, `week`)."""

    rules: dict[str, TrailingP90Rule] = field(
        default_factory=lambda: {"day": DEFAULT_RULE, "week": WEEKLY_RULE}
    )
    name = "trailing_p90"
    extend_back = True

    def rule(self, freq: Frequency) -> TrailingP90Rule:
        return self.rules["week" if freq.weekly else "day"]

    def shape(self, freq: Frequency) -> tuple[int, int]:
        rule = self.rule(freq)
        return rule.min_strong, rule.max_gap

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        rule = self.rule(freq)
        signal = rolling_mean(y, window=rule.window, min_observed=rule.min_observed)
        threshold = trailing_percentile(
            signal,
            baseline=rule.baseline,
            exclude=rule.window,
            percentile=rule.percentile,
            min_values=rule.min_baseline_values,
        )
        return marks(signal, threshold, rule)

    def reason(self, subject, freq, days, det, span) -> str:
        value, bar = float(det.value[span.peak]), float(det.threshold[span.peak])
        start, end = days[span.first], days[span.last]
        rule = self.rule(freq)
        usual = f"the usual {ordinal(rule.percentile)} percentile of {percent(bar)}"
        when = period_span(freq, start, end)
        if span.last == len(det.value) - 1:
            when = (
                f"in the latest {freq.unit} of data, {_when(freq, end)}"
                if start == end
                else f"from {_when(freq, start)} to the latest {freq.unit} of data, "
                f"{_when(freq, end)}"
            )
        return f"The {_statistic(rule, freq, subject)} rose to {percent(value)}, above {usual}, {when}."

    def alerts(self, frame: pl.DataFrame, context: AlertContext) -> list[dict]:
        rows = super().alerts(frame, context)
        if not context.forecasts:
            return rows
        for (uid,), part in frame.partition_by(
            "unique_id", as_dict=True, maintain_order=True
        ).items():
            forecast = context.forecasts.get(uid)
            if forecast is not None and forecast.height:
                y = part["y"].fill_null(np.nan).to_numpy().astype(float)
                subject = subject_of(uid, context.basis)
                rows.extend(self._ahead(subject, part["ds"].to_list(), y, forecast, context.freq))
        return rows

    def _ahead(self, subject, days, y, forecast, freq) -> list[dict]:
        """Forecast-horizon alerts of one series (see the module docstring)."""
        rule = self.rule(freq)
        n_obs, horizon = len(y), forecast.height
        observed = self.detect(y, freq, days)
        threshold = np.concatenate([observed.threshold, np.full(horizon, np.nan)])
        threshold[n_obs:] = _carried(observed.threshold)
        combined = np.concatenate([observed.value, _projected(y, forecast, rule)])
        all_days = days + forecast["ds"].to_list()
        rows = []
        for first, last in alert_periods(combined, threshold, rule=rule):
            if last < n_obs:
                continue
            first = max(first, n_obs)
            det = marks(combined, threshold, rule)
            if det.strong[first : last + 1].sum() < rule.min_strong:
                continue
            peak = first + int(np.nanargmax(combined[first : last + 1]))
            value, bar = float(combined[peak]), float(threshold[peak])
            span = Span(first, last, peak, relative_severity(value, bar))
            statistic = _statistic(rule, freq, subject, forecast=True)
            usual = f"the usual {ordinal(rule.percentile)} percentile of {percent(bar)}"
            when = period_span(freq, all_days[first], all_days[last])
            reason = (
                f"The forecast for the {statistic} could reach {percent(value)} (the top of its "
                f"80% range), above {usual}, {when}."
                if rule.horizon_statistic == "hi_80"
                else f"The forecast expects the {statistic} to reach {percent(value)}, above "
                f"{usual}, {when}."
            )
            rows.append(alert_row(subject, all_days, span, det, f"{rule.method}_forecast", reason))
        return rows


def _carried(threshold: np.ndarray) -> float:
    """The last defined threshold of the observed periods (NaN when none is)."""
    finite = threshold[np.isfinite(threshold)]
    return float(finite[-1]) if len(finite) else float("nan")


def _when(freq: Frequency, day: dt.date) -> str:
    return day_name(day) if not freq.weekly else f"the week starting {day_name(day)}"


def _statistic(rule: TrailingP90Rule, freq: Frequency, subject: Subject, *, forecast=False) -> str:
    span = (
        f"{rule.window}-{freq.unit}" if rule.window > 1 else freq.unit.replace("day", "dai") + "ly"
    )
    return f"{span} average {share_phrase(subject, forecast=forecast)}"


def trailing_p90_alerts(
    series: pl.DataFrame,
    forecasts: pl.DataFrame | None = None,
    *,
    run_id: str,
    rule: TrailingP90Rule = DEFAULT_RULE,
    basis: Basis = "authors",
    freq: Frequency = DAY,
) -> pl.DataFrame:
    """The `trailing_p90` alerts of every series, as ALERT_SCHEMA rows (`issued_on` null)
    sorted by `unique_id`, `start`: a shortcut to the method for one rule.

    `series` follows SERIES_SCHEMA at frequency `freq`; `forecasts` follows FORECAST_SCHEMA
    with at most one model per series (the one whose horizon the rule projects).
    """
    frame = regular(validate_series(series), freq=freq)
    if frame.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    method = TrailingP90(rules={"day": rule, "week": rule})
    context = AlertContext(
        freq=freq, basis=basis, forecasts=forecasts_by_series(forecasts, frame["ds"].max(), freq)
    )
    rows = method.alerts(frame, context)
    return to_alert_frame(rows, run_id=run_id)


def to_alert_frame(rows: list[dict], *, run_id: str) -> pl.DataFrame:
    """ALERT_SCHEMA rows from dicts without `run_id`, `issued_on` (null until a run or a
    replay issues them), sorted by `unique_id`, `start`, `method`."""
    schema = {k: v for k, v in ALERT_SCHEMA.items() if k not in ("run_id", "issued_on")}
    return (
        pl.DataFrame(rows, schema=schema)
        .with_columns(
            pl.lit(None, dtype=pl.Date).alias("issued_on"),
            pl.lit(run_id, dtype=pl.String).alias("run_id"),
        )
        .select(ALERT_SCHEMA.keys())
        .sort("unique_id", "start", "method")
    )


def _projected(y: np.ndarray, forecast: pl.DataFrame, rule: TrailingP90Rule) -> np.ndarray:
    """The trailing mean on each forecast period, or the top of its 80% range."""
    mean = forecast["mean"].to_numpy().astype(float)
    values = np.concatenate([y, mean])
    centre = rolling_mean(values, window=rule.window, min_observed=rule.min_observed)
    if rule.horizon_statistic == "mean":
        return centre[len(y) :]
    sd = (forecast["hi_80"].to_numpy().astype(float) - mean) / _Z80
    variances = np.concatenate([np.zeros(len(y)), sd**2])
    present = np.isfinite(values)
    kernel = np.ones(rule.window)
    var_sums = np.convolve(np.where(present, variances, 0.0), kernel)[: len(values)]
    counts = np.convolve(present.astype(float), kernel)[: len(values)]
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = centre + _Z80 * np.sqrt(var_sums) / counts
    return np.clip(upper, 0.0, 1.0)[len(y) :]


def forecasts_by_series(
    forecasts: pl.DataFrame | None, last: dt.date, freq: Frequency = DAY
) -> dict[str, pl.DataFrame]:
    """Each series' forecast rows on consecutive periods of `freq` from the one after `last`.

    Raises ValueError when a series has forecasts of more than one model."""
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
        offsets = [(day - last).days for day in part["ds"].to_list()]
        if offsets == [freq.step_days * (i + 1) for i in range(len(offsets))]:
            out[uid] = part
    return out
