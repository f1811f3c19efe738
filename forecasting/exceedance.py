"""`forecast_exceedance`: a forecast above a threshold from the observed history.

The statistic is a forecast (its `mean`, or the top of its 80% range with
`statistic="hi_80"`); the threshold is a percentile of the observed `y`, or its mean + k·sd,
over the trailing year (periods t−year … t−1; a year is 365 days or 52 weeks), once
`min_baseline_values` values exist. Over the forecast horizon the threshold is the one of the
first forecast period; over observed periods the method reads the one-step-ahead in-sample
forecasts (`fitted`), i.e. the warning it would have given the period before. Observed and
horizon periods stay apart (`forecast_exceedance` and `forecast_exceedance_forecast`): one is
a past warning, the other a forecast. It needs a run's forecasts, so it cannot be replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.alerts import trailing_percentile
from forecasting.frequency import Frequency
from forecasting.method import (
    AlertContext,
    AlertMethod,
    Detection,
    Span,
    alert_row,
    detection_periods,
    relative_severity,
)
from forecasting.wording import ordinal, percent, period_span, share_phrase, subject_of


@dataclass(frozen=True)
class ForecastExceedance(AlertMethod):
    """The method with its parameters (see the module docstring)."""

    statistic: Literal["mean", "hi_80"] = "mean"
    threshold: Literal["percentile", "mean_sd"] = "percentile"
    percentile: float = 95.0
    k: float = 2.0
    min_baseline_values: int = 28
    min_periods: int = 3
    name = "forecast_exceedance"
    reads_fitted = True

    def __post_init__(self) -> None:
        if self.statistic not in ("mean", "hi_80"):
            raise ValueError("exceedance_statistic must be 'mean' or 'hi_80'")
        if self.threshold not in ("percentile", "mean_sd"):
            raise ValueError("exceedance_threshold must be 'percentile' or 'mean_sd'")

    def alerts(self, frame: pl.DataFrame, context: AlertContext) -> list[dict]:
        rows = []
        for (uid,), part in frame.partition_by(
            "unique_id", as_dict=True, maintain_order=True
        ).items():
            y = part["y"].fill_null(np.nan).to_numpy().astype(float)
            ahead, before = context.forecasts.get(uid), context.fitted.get(uid)
            rows.extend(self._series(uid, part["ds"].to_list(), y, ahead, before, context))
        return rows

    def history_threshold(self, y: np.ndarray, freq: Frequency) -> np.ndarray:
        """Per period t, the threshold from the observed periods t−year … t−1."""
        year, least = freq.year, min(self.min_baseline_values, freq.year // 2)
        if self.threshold == "percentile":
            return trailing_percentile(
                y, baseline=year + 1, exclude=1, percentile=self.percentile, min_values=least
            )
        padded = np.concatenate([np.full(year, np.nan), y])
        windows = sliding_window_view(padded, year)[: len(y)]
        enough = np.isfinite(windows).sum(axis=1) >= least
        out = np.full(len(y), np.nan)
        if enough.any():
            chosen = windows[enough]
            out[enough] = np.nanmean(chosen, axis=1) + self.k * np.nanstd(chosen, axis=1, ddof=1)
        return out

    def _series(self, uid, days, y, ahead, before, context) -> list[dict]:
        freq, subject = context.freq, subject_of(uid, context.basis)
        n_obs = len(y)
        horizon = 0 if ahead is None else ahead.height
        threshold = self.history_threshold(np.concatenate([y, np.full(horizon, np.nan)]), freq)
        if horizon:
            threshold[n_obs:] = threshold[n_obs]
        stat = np.full(n_obs + horizon, np.nan)
        if before is not None:
            by_day = dict(
                zip(before["ds"].to_list(), before[self.statistic].to_list(), strict=True)
            )
            stat[:n_obs] = [by_day.get(day, np.nan) for day in days]
        if horizon:
            stat[n_obs:] = ahead[self.statistic].to_numpy().astype(float)
        all_days = days + ([] if ahead is None else ahead["ds"].to_list())
        with np.errstate(invalid="ignore"):
            flagged = np.isfinite(stat) & np.isfinite(threshold) & (stat > threshold)
        rows = []
        observed, forecast = flagged.copy(), flagged.copy()
        observed[n_obs:], forecast[:n_obs] = False, False
        for future, mask in ((False, observed), (True, forecast)):
            det = Detection(value=stat, threshold=threshold, strong=mask)
            for lo, hi in detection_periods(
                det, min_strong=self.min_periods, max_gap=freq.periods(2)
            ):
                peak = lo + int(np.argmax(np.where(mask[lo : hi + 1], stat[lo : hi + 1], -np.inf)))
                span = Span(lo, hi, peak, relative_severity(stat[peak], threshold[peak]))
                reason = self._reason(subject, freq, all_days, det, span, future=future)
                method = f"{self.name}_forecast" if future else self.name
                rows.append(alert_row(subject, all_days, span, det, method, reason))
        return rows

    def _reason(self, subject, freq, days, det, span, *, future: bool) -> str:
        what = "top of the 80% range of the forecast" if self.statistic == "hi_80" else "forecast"
        bar_words = (
            f"the {ordinal(self.percentile)} percentile of the past year"
            if self.threshold == "percentile"
            else f"the past year's mean plus {self.k:g} standard deviations"
        )
        value, bar = float(det.value[span.peak]), float(det.threshold[span.peak])
        when = period_span(freq, days[span.first], days[span.last])
        every = "weekly" if freq.weekly else "daily"
        if future:
            return (
                f"The {what} for the {every} {share_phrase(subject, forecast=True)} reaches "
                f"{percent(value)}, above {bar_words} ({percent(bar)}), {when}."
            )
        ahead = "week" if freq.weekly else "day"
        return (
            f"The {ahead}-ahead {what} for the {every} {share_phrase(subject)} reached "
            f"{percent(value)}, above {bar_words} ({percent(bar)}), {when}."
        )
