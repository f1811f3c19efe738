"""The reference paper's peak rule and its peak hit rate, with peak precision beside it.

Tommasel et al. (2021) find high-prevalence points by smoothing each timeline over one week,
taking its gradient, averaging the gradient over a dimension's markers and keeping the peaks
whose prominence is above the 80th percentile of all peak prominences (`paper_peaks`).

Forecast peaks are scored as the paper does (`peak_counts`): the rule runs once on the whole
forecast timeline of an evaluation span (one forecast per day, each made the same lead before
its day; see forecasting.backtest) and once on the actual timeline of the same span, each
timeline on its own: its own smoothing, gradient and 80th-percentile prominence bar; no actual
value enters the forecast timeline. Then

- hit rate ±k: the share of real peaks (peaks of the actual timeline) with a predicted peak
  (a peak of the forecast timeline) at most k days before or after them;
- peak precision ±k: the share of predicted peaks with a real peak at most k days away.

Hit rate alone rewards a forecast that peaks everywhere, hence precision beside it.

Onsets (`onset_counts`), as CDC's regional onset rule: a period at or above a baseline taken
from earlier periods (`onset_baseline`: their mean + 2 sd) is high, and an onset is the first
period of a run of ONSET_RUN or more high periods (`high_runs`) after a period that is not
high. Real and predicted onsets are matched as peaks are, at ±ONSET_TOLERANCE periods. Neither
depends on a season length.
"""

from __future__ import annotations

import numpy as np

from forecasting.alerts import rolling_mean
from forecasting.method import runs

HIT_TOLERANCES = (2, 3, 7)
"""The paper's ±k days (periods, for an external series)."""

ONSET_RUN = 3
"""High periods in a row that make an onset (CDC's three weeks)."""

ONSET_TOLERANCE = 3
"""A predicted onset hits a real one at most this many periods before or after it."""


def smoothed_gradient(y: np.ndarray, *, window: int = 7) -> np.ndarray:
    """The gradient of the trailing `window`-period mean of `y` (NaN where the mean is not
    defined: the first `window − 1` periods, or windows with fewer than half their values)."""
    smooth = rolling_mean(
        np.asarray(y, dtype=float), window=window, min_observed=max(1, window // 2 + 1)
    )
    if len(smooth) < 2:
        return np.full(len(smooth), np.nan)
    return np.gradient(smooth)


def prominent_peaks(signal: np.ndarray, *, percentile: float = 80.0) -> np.ndarray:
    """Indices of the local maxima of `signal` whose prominence is above the `percentile` of
    the prominences of all its local maxima (NaN counts as no peak), sorted."""
    return peak_prominences(signal, percentile=percentile)[0]


def peak_prominences(
    signal: np.ndarray, *, percentile: float = 80.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """`prominent_peaks` with what it decided on: (sorted indices, their prominences, the
    `percentile` bar of all local maxima's prominences; NaN when there is no local maximum)."""
    values = np.asarray(signal, dtype=float)
    finite = np.isfinite(values)
    none = np.array([], dtype=int)
    if finite.sum() < 3:
        return none, np.array([]), float("nan")
    filled = np.where(finite, values, np.nanmin(values))
    from scipy.signal import find_peaks

    peaks, properties = find_peaks(filled, prominence=0)
    keep = finite[peaks]
    peaks, prominences = peaks[keep], properties["prominences"][keep]
    if len(peaks) == 0:
        return none, np.array([]), float("nan")
    bar = float(np.percentile(prominences, percentile))
    chosen = prominences > bar
    order = np.argsort(peaks[chosen])
    return peaks[chosen][order].astype(int), prominences[chosen][order], bar


def dimension_gradient(timelines: np.ndarray, *, window: int = 7) -> np.ndarray:
    """The average over the rows of `timelines` (one per marker, same days; or one 1-D
    timeline) of their `smoothed_gradient`, day by day over the rows where it is defined."""
    rows = np.atleast_2d(np.asarray(timelines, dtype=float))
    gradients = np.vstack([smoothed_gradient(row, window=window) for row in rows])
    present = np.isfinite(gradients)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, gradients, 0.0).sum(axis=0) / present.sum(axis=0)


def paper_peaks(timelines: np.ndarray, *, window: int = 7, percentile: float = 80.0) -> np.ndarray:
    """The paper's high-prevalence points of one dimension.

    `timelines` is one timeline (1-D) or one row per marker of the dimension (2-D, same days);
    each is smoothed over `window` periods and differentiated, the gradients are averaged over
    the markers, and the prominent peaks of that average are returned (see `prominent_peaks`).
    """
    return prominent_peaks(dimension_gradient(timelines, window=window), percentile=percentile)


def hits(found: np.ndarray, reference: np.ndarray, *, tolerance: int) -> int:
    """How many of `found` lie within ±`tolerance` periods of some index of `reference`."""
    if len(found) == 0 or len(reference) == 0:
        return 0
    distance = np.abs(np.asarray(found)[:, None] - np.asarray(reference)[None, :]).min(axis=1)
    return int((distance <= tolerance).sum())


def peak_counts(
    actual: np.ndarray,
    forecast: np.ndarray,
    *,
    window: int = 7,
    percentile: float = 80.0,
    tolerances: tuple[int, ...] = HIT_TOLERANCES,
) -> dict[str, int]:
    """The counts behind the paper's peak hit rate and peak precision on one evaluation span.

    `actual` and `forecast` are the actual and the forecast timelines of the same
    periods (1-D, same length; NaN where the actual value is unknown). `paper_peaks` runs on
    each separately. Returns `n_real_peaks`, `n_predicted_peaks`, and per k of `tolerances`
    `n_hits_{k}` (real peaks with a predicted peak within ±k periods; hit rate ±k =
    n_hits_k / n_real_peaks) and `n_true_peaks_{k}` (predicted peaks with a real peak within
    ±k; precision ±k = n_true_peaks_k / n_predicted_peaks). A forecast with a non-finite value
    (a model that failed there) predicts no peak. Raises ValueError on different lengths.
    """
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape or actual.ndim != 1:
        raise ValueError(
            f"actual and forecast must be 1-D timelines of the same periods, not shapes "
            f"{actual.shape} and {forecast.shape}"
        )
    real = paper_peaks(actual, window=window, percentile=percentile)
    predicted = (
        paper_peaks(forecast, window=window, percentile=percentile)
        if np.isfinite(forecast).all()
        else np.array([], dtype=int)
    )
    counts = {"n_real_peaks": len(real), "n_predicted_peaks": len(predicted)}
    for k in tolerances:
        counts[f"n_hits_{k}"] = hits(real, predicted, tolerance=k)
        counts[f"n_true_peaks_{k}"] = hits(predicted, real, tolerance=k)
    return counts


def high_runs(high: np.ndarray, *, min_length: int = ONSET_RUN) -> list[tuple[int, int]]:
    """(first, last) indices of each maximal run of at least `min_length` true values."""
    return [(a, b) for a, b in runs(np.asarray(high, dtype=bool)) if b - a + 1 >= min_length]


def onset_baseline(earlier: np.ndarray) -> float:
    """The onset baseline from `earlier` periods: mean + 2 sd of their finite values (NaN
    with fewer than two)."""
    values = np.asarray(earlier, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return float("nan")
    return float(values.mean() + 2 * values.std(ddof=1))


def onsets(timeline: np.ndarray, baseline: float, *, run: int = ONSET_RUN) -> np.ndarray:
    """Indices of the onsets of `timeline` against `baseline`: first periods of runs of `run`
    or more periods at or above it, never index 0 (the period before it is unknown). NaN is
    not high; a NaN baseline gives none."""
    with np.errstate(invalid="ignore"):
        high = np.isfinite(timeline) & (np.asarray(timeline, dtype=float) >= baseline)
    return np.array([a for a, _ in high_runs(high, min_length=run) if a > 0], dtype=int)


def onset_counts(
    actual: np.ndarray,
    forecast: np.ndarray,
    *,
    baseline: float,
    tolerance: int = ONSET_TOLERANCE,
) -> dict[str, int]:
    """The counts behind the onset hit rate and precision on one evaluation span: `onsets`
    of `actual` and of `forecast` (same periods) against the same `baseline` (from periods
    before the span). Returns `n_real_onsets`, `n_predicted_onsets`, `n_onset_hits` (real
    onsets with a predicted one within ±`tolerance` periods) and `n_true_onsets` (predicted
    onsets with a real one within ±`tolerance`). A forecast with a non-finite value predicts
    no onset, as no peak in `peak_counts`."""
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape or actual.ndim != 1:
        raise ValueError(
            f"actual and forecast must be 1-D timelines of the same periods, not shapes "
            f"{actual.shape} and {forecast.shape}"
        )
    real = onsets(actual, baseline)
    predicted = (
        onsets(forecast, baseline) if np.isfinite(forecast).all() else np.array([], dtype=int)
    )
    return {
        "n_real_onsets": len(real),
        "n_predicted_onsets": len(predicted),
        "n_onset_hits": hits(real, predicted, tolerance=tolerance),
        "n_true_onsets": hits(predicted, real, tolerance=tolerance),
    }
