"""Syndromic-surveillance aberration detection (EARS C1, C2, C3 and a CUSUM): the statistics,
and the alert methods `ears_c1`, `ears_c2`, `ears_c3`, `cusum` built on them.

EARS (CDC's Early Aberration Reporting System), on period t with a 7-period baseline (days
for daily series; weeks for weekly ones, where EARS has no season: it compares with the 7
weeks before and so reads every seasonal rise as an aberration):

- C1: baseline days t−7…t−1; C1(t) = (y(t) − mean) / sd; flag when C1 > 3.
- C2: baseline days t−9…t−3 (a 2-day guard band); C2(t) likewise; flag when C2 > 3.
- C3: C3(t) = Σ max(0, C2(s) − 1) for s = t−2…t; flag when C3 > 2.

`sd` is the sample standard deviation (n − 1); it is floored at `min_sd` so that a flat
baseline does not divide by zero. Days with a missing value are never flagged and a baseline
needs every one of its 7 days.

CUSUM (one-sided, on standardised values): S(t) = max(0, S(t−1) + z(t) − k) with z(t) the
C2-style standardisation, `k` = 0.5; flag when S(t) > `h` = 4; S restarts at 0 the day after a
flag and does not move on missing days.

As alert methods, a period is flagged when its statistic passes the alert level; flagged
periods within 2 days (1 week) merge. `peak` is the flagged period with the highest
statistic, `peak_value` the value of `y` there, and `threshold` the value of `y` that would
have brought the statistic to its alert level, given the periods before (for C3 once the two
periods before already sum past the level, the value from which a period adds to C3:
baseline mean + 1 sd).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.frequency import Frequency
from forecasting.method import Detection, SeriesMethod
from forecasting.wording import day_name, percent, period_span, share_phrase

EARS_BASELINE_DAYS = 7
EARS_THRESHOLDS = {"ears_c1": 3.0, "ears_c2": 3.0, "ears_c3": 2.0}


def ears_baseline(
    y: np.ndarray, *, lag: int, days: int = EARS_BASELINE_DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd of y over days t−lag−days+1 … t−lag (NaN when any is missing)."""
    n = len(y)
    mean = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    if n < lag + days:
        return mean, sd
    windows = sliding_window_view(y, days)[: n - lag - days + 1]
    complete = np.isfinite(windows).all(axis=1)
    with np.errstate(invalid="ignore"):
        mean[lag + days - 1 :] = np.where(complete, windows.mean(axis=1), np.nan)
        sd[lag + days - 1 :] = np.where(complete, windows.std(axis=1, ddof=1), np.nan)
    return mean, sd


def ears_c1(y: np.ndarray, *, min_sd: float = 1e-6) -> np.ndarray:
    """C1 statistic per day (NaN where undefined): baseline days t−7 … t−1."""
    mean, sd = ears_baseline(np.asarray(y, dtype=float), lag=1)
    return (np.asarray(y, dtype=float) - mean) / np.maximum(sd, min_sd)


def ears_c2(y: np.ndarray, *, min_sd: float = 1e-6) -> np.ndarray:
    """C2 statistic per day (NaN where undefined): baseline days t−9 … t−3."""
    mean, sd = ears_baseline(np.asarray(y, dtype=float), lag=3)
    return (np.asarray(y, dtype=float) - mean) / np.maximum(sd, min_sd)


def ears_c3(y: np.ndarray, *, min_sd: float = 1e-6) -> np.ndarray:
    """C3 statistic per day: the sum of max(0, C2 − 1) over days t−2 … t (NaN if any is)."""
    c2 = np.maximum(ears_c2(y, min_sd=min_sd) - 1, 0)
    out = np.full(len(c2), np.nan)
    if len(c2) >= 3:
        out[2:] = sliding_window_view(c2, 3).sum(axis=1)
    return out


def cusum(y: np.ndarray, *, k: float = 0.5, h: float = 4.0, min_sd: float = 1e-6) -> np.ndarray:
    """One-sided CUSUM of the C2-standardised values per day (0 where it has not started).

    The day after a value above `h` it restarts from 0; missing days leave it unchanged.
    """
    z = ears_c2(y, min_sd=min_sd)
    out = np.zeros(len(z))
    level = 0.0
    for t, value in enumerate(z):
        if level > h:
            level = 0.0
        if np.isfinite(value):
            level = max(0.0, level + value - k)
        out[t] = level
    return out


_NAMES = {"ears_c1": "EARS C1", "ears_c2": "EARS C2", "ears_c3": "EARS C3", "cusum": "CUSUM"}


def ears_bar(y: np.ndarray, method: str, *, cusum_k: float = 0.5, cusum_h: float = 4.0):
    """(statistic, flagged, bar) per period for an EARS method or `cusum`: the statistic,
    whether it passes its alert level, and the value of `y` that would have brought it to that
    level (see the module docstring)."""
    y = np.asarray(y, dtype=float)
    if method == "cusum":
        mean, sd = ears_baseline(y, lag=3)
        sd = np.maximum(sd, 1e-6)
        stat = cusum(y, k=cusum_k, h=cusum_h)
        before = np.concatenate([[0.0], stat[:-1]])
        before = np.where(before > cusum_h, 0.0, before)
        bar = mean + np.maximum(cusum_h + cusum_k - before, 0.0) * sd
        flagged = np.isfinite(y) & np.isfinite(mean) & (stat > cusum_h)
        return stat, flagged, bar
    lag = 1 if method == "ears_c1" else 3
    mean, sd = ears_baseline(y, lag=lag)
    sd = np.maximum(sd, 1e-6)
    level = EARS_THRESHOLDS[method]
    if method == "ears_c3":
        excess = np.maximum(ears_c2(y) - 1, 0)
        stat = np.full(len(y), np.nan)
        rest = np.full(len(y), np.nan)
        if len(y) >= 3:
            stat[2:] = sliding_window_view(excess, 3).sum(axis=1)
            rest[2:] = excess[:-2] + excess[1:-1]
        bar = mean + (1 + np.maximum(level - rest, 0.0)) * sd
    else:
        stat = (y - mean) / sd
        bar = mean + level * sd
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(stat) & np.isfinite(y) & (stat > level)
    return stat, flagged, bar


class Aberration(SeriesMethod):
    """`ears_c1`, `ears_c2`, `ears_c3` or `cusum` as an alert method."""

    def __init__(self, name: str, *, cusum_k: float = 0.5, cusum_h: float = 4.0) -> None:
        if name not in _NAMES:
            raise ValueError(f"unknown aberration method {name!r}; known: {', '.join(_NAMES)}")
        self.name, self.cusum_k, self.cusum_h = name, cusum_k, cusum_h

    def shape(self, freq: Frequency) -> tuple[int, int]:
        return 1, freq.periods(2)

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        stat, flagged, bar = ears_bar(y, self.name, cusum_k=self.cusum_k, cusum_h=self.cusum_h)
        return Detection(value=np.asarray(y, dtype=float), threshold=bar, strong=flagged, rank=stat)

    def reason(self, subject, freq, days, det, span) -> str:
        unit = freq.unit
        baseline = (
            f"the 7 {unit}s before"
            if self.name == "ears_c1"
            else f"the 7 {unit}s ending 3 {unit}s before"
        )
        when = day_name(days[span.peak])
        if freq.weekly:
            when = f"the week starting {when}"
        return (
            f"The {'daily' if not freq.weekly else 'weekly'} {share_phrase(subject)} reached "
            f"{percent(float(det.value[span.peak]))} on {when}, above the "
            f"{percent(float(det.threshold[span.peak]))} that {_NAMES[self.name]} counts as "
            f"unusual against {baseline}, {period_span(freq, days[span.first], days[span.last])}."
        )
