"""Syndromic-surveillance aberration detection (EARS C1, C2, C3 and a CUSUM) and the paper's
peak method, each as a daily statistic and flag that `alerts` turns into periods.

EARS (CDC's Early Aberration Reporting System), on day t with a 7-day baseline:

- C1: baseline days t−7…t−1; C1(t) = (y(t) − mean) / sd; flag when C1 > 3.
- C2: baseline days t−9…t−3 (a 2-day guard band); C2(t) likewise; flag when C2 > 3.
- C3: C3(t) = Σ max(0, C2(s) − 1) for s = t−2…t; flag when C3 > 2.

`sd` is the sample standard deviation (n − 1); it is floored at `min_sd` so that a flat
baseline does not divide by zero. Days with a missing value are never flagged and a baseline
needs every one of its 7 days.

CUSUM (one-sided, on standardised values): S(t) = max(0, S(t−1) + z(t) − k) with z(t) the
C2-style standardisation, `k` = 0.5; flag when S(t) > `h` = 4; S restarts at 0 the day after a
flag and does not move on missing days.

The paper's method (forecasting.peaks): smoothed-gradient peaks of the dimension's average,
prominence above the 80th percentile; each peak flags its own day.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

EARS_BASELINE_DAYS = 7
EARS_THRESHOLDS = {"ears_c1": 3.0, "ears_c2": 3.0, "ears_c3": 2.0}


def _baseline(
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
    mean, sd = _baseline(np.asarray(y, dtype=float), lag=1)
    return (np.asarray(y, dtype=float) - mean) / np.maximum(sd, min_sd)


def ears_c2(y: np.ndarray, *, min_sd: float = 1e-6) -> np.ndarray:
    """C2 statistic per day (NaN where undefined): baseline days t−9 … t−3."""
    mean, sd = _baseline(np.asarray(y, dtype=float), lag=3)
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
