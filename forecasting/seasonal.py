"""The seasonal methods epidemiologists use: MEM, the CDC baseline, and Farrington.

Each reads, for period t, only seasons or years before t, so it can be replayed.

**Seasons** (MEM, CDC): a surveillance season runs from ISO week `season_start_week` (40,
early October) to the week before it a year later. In each complete past season, the
epidemic period is found with MEM's maximum accumulated rate percentage (Vega et al. 2013):
for each length r the r consecutive weeks with the largest sum, as a share of the season's
total; the epidemic lasts the first r at which adding one more week adds less than
`delta` (2.8%) of the season's total. Weeks before it are pre-epidemic, after it
post-epidemic, the others of the season non-epidemic.

**`mem`** (Moving Epidemic Method, the European standard). From the last `max_seasons` (10)
complete seasons, at least `min_seasons` (2): the `n = round(30 / seasons)` highest
pre-epidemic values of each season are pooled; the epidemic threshold is the upper limit of
their one-sided 95% interval: `point` (a single value: mean + t·sd, MEM's point limit) or
`mean` (the mean: mean + t·sd/√k, lower, so earlier). The post-epidemic threshold is the same
from post-epidemic values. A period is raised when its value passes the epidemic threshold
and lasts while it stays above the post-epidemic one. Intensity levels come from the `n`
highest epidemic values of each season (on the log scale, point limits at 40%, 90% and
97.5%): severity is low above the epidemic threshold, medium above the medium level, high
above the high level.

**`cdc_baseline`** (CDC's ILINet regional baseline): the mean + 2 sd of the non-epidemic weeks
of the last 3 complete seasons (CDC calls them non-influenza weeks and takes them from
laboratory data, which a series alone does not have: here they are the weeks outside MEM's
epidemic period). A period is raised when its value is at or above the baseline.

**`farrington`** (Farrington et al. 1996, as in R's `surveillance`): for period t, the
values of the same time of year (t − k·year ± `window` periods) in the `years` (3) years
before are fitted by a quasi-Poisson regression with a log link and a linear trend (kept
only when significant at 5% and when it does not predict above every baseline value); one
re-weighting step down-weights baseline values with Anscombe residuals above 1 (past
outbreaks). The threshold is the upper limit of the 99% prediction interval on the 2/3-power
scale: `μ (1 + (2/3)·z·√(φμ + Var μ) / μ)^(3/2)`. `y` is a rate, not a count, so the
dispersion φ is estimated freely (never floored at 1). Daily and weekly series; `years`
years of history before any threshold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from forecasting.frequency import Frequency
from forecasting.method import Detection, SeriesMethod
from forecasting.wording import day_name, percent, period_span, share_phrase

WEEKLY_ONLY = (
    "its seasons are surveillance weeks; pass a weekly series (--freq W, one value per ISO "
    "week or epi-week)"
)


def season_of(days: Sequence[dt.date], start_week: int = 40) -> np.ndarray:
    """The season (the year it starts in) of each period start in `days`."""
    out = np.empty(len(days), dtype=int)
    for i, day in enumerate(days):
        year, week, _ = (day + dt.timedelta(days=3)).isocalendar()
        out[i] = year if week >= start_week else year - 1
    return out


def epidemic_window(x: np.ndarray, delta: float = 0.028) -> tuple[int, int] | None:
    """MEM's epidemic period of one season's values `x` (NaN ignored): (first, last) index,
    or None when the season has no positive total."""
    values = np.where(np.isfinite(x), np.maximum(x, 0.0), 0.0)
    total = values.sum()
    if total <= 0:
        return None
    cums = np.concatenate([[0.0], np.cumsum(values)])
    best, share = [], []
    for r in range(1, len(values) + 1):
        sums = cums[r:] - cums[:-r]
        i = int(np.argmax(sums))
        best.append((i, i + r - 1))
        share.append(sums[i] / total)
    for r in range(1, len(share)):
        if share[r] - share[r - 1] < delta:
            return best[r - 1]
    return best[-1]


@dataclass(frozen=True)
class SeasonParts:
    """Per complete season (in order): its pre-, post-, non-epidemic and epidemic values."""

    pre: list[np.ndarray]
    post: list[np.ndarray]
    outside: list[np.ndarray]
    epidemic: list[np.ndarray]


def season_parts(x: np.ndarray, seasons: np.ndarray, complete: Sequence[int], delta: float):
    """SeasonParts of the seasons `complete` of the series `x` whose season ids are `seasons`."""
    parts = SeasonParts([], [], [], [])
    for season in complete:
        values = x[seasons == season]
        window = epidemic_window(values, delta)
        if window is None:
            continue
        first, last = window
        finite = np.isfinite(values)
        parts.pre.append(values[:first][finite[:first]])
        parts.post.append(values[last + 1 :][finite[last + 1 :]])
        parts.epidemic.append(values[first : last + 1][finite[first : last + 1]])
        parts.outside.append(np.concatenate([parts.pre[-1], parts.post[-1]]))
    return parts


def _highest(groups: list[np.ndarray], n: int) -> np.ndarray:
    picked = [np.sort(g)[-n:] for g in groups if len(g)]
    return np.concatenate(picked) if picked else np.array([])


def upper_limit(values: np.ndarray, level: float, *, limit: Literal["point", "mean"]) -> float:
    """One-sided upper limit at `level` of `values`: a single value (`point`) or their mean."""
    if len(values) < 2:
        return float("nan")
    from scipy import stats

    t = stats.t.ppf(level, len(values) - 1)
    sd = float(np.std(values, ddof=1))
    spread = sd if limit == "point" else sd / np.sqrt(len(values))
    return float(np.mean(values) + t * spread)


class _Seasonal(SeriesMethod):
    """Shared by MEM and the CDC baseline: weekly only, thresholds from past seasons."""

    frequencies = ("week", "epiweek")
    why_not = WEEKLY_ONLY
    season_start_week = 40
    delta = 0.028

    def shape(self, freq: Frequency) -> tuple[int, int]:
        return 1, 1

    def thresholds(self, parts: SeasonParts) -> tuple[float, ...]:
        raise NotImplementedError

    def season_thresholds(self, y: np.ndarray, days: Sequence[dt.date], n_out: int):
        """Per period, the `thresholds` of the seasons complete before its season."""
        seasons = season_of(days, self.season_start_week)
        out = np.full((n_out, len(y)), np.nan)
        ids = list(dict.fromkeys(seasons.tolist()))
        for k, season in enumerate(ids):
            complete = [s for s in ids[:k] if (seasons == s).sum() >= 50]
            values = self.thresholds(season_parts(y, seasons, complete, self.delta))
            out[:, seasons == season] = np.asarray(values, dtype=float)[:, None]
        return out

    def peak_reason(self, subject, freq, days, det, span, *, above: str) -> str:
        """The alert's sentence: the weekly share at the peak, in its week, `above` (how it
        stands against the threshold at the peak, named with its rule), over the span."""
        return (
            f"The weekly {share_phrase(subject)} reached {percent(float(det.value[span.peak]))} "
            f"in the week starting {day_name(days[span.peak])}, {above}, "
            f"{period_span(freq, days[span.first], days[span.last])}."
        )


@dataclass(frozen=True)
class MEM(_Seasonal):
    """The Moving Epidemic Method (see the module docstring)."""

    limit: Literal["point", "mean"] = "point"
    max_seasons: int = 10
    min_seasons: int = 2
    name = "mem"

    def thresholds(self, parts: SeasonParts) -> tuple[float, ...]:
        seasons = len(parts.pre[-self.max_seasons :])
        if seasons < self.min_seasons:
            return (np.nan,) * 4
        n = max(1, round(30 / seasons))
        pre = _highest(parts.pre[-self.max_seasons :], n)
        post = _highest(parts.post[-self.max_seasons :], n)
        epi = _highest(parts.epidemic[-self.max_seasons :], n)
        epi = np.log(epi[epi > 0])
        start = upper_limit(pre, 0.95, limit=self.limit)
        end = upper_limit(post, 0.95, limit=self.limit)
        medium, high = (float(np.exp(upper_limit(epi, q, limit="point"))) for q in (0.40, 0.90))
        return start, end if np.isfinite(end) else start, medium, high

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        start, end, medium, high = self.season_thresholds(y, days, 4)
        with np.errstate(invalid="ignore"):
            strong = np.isfinite(y) & (y > start)
            above = np.isfinite(y) & (y > np.fmin(end, start))
            level = (y > medium).astype(int) + (y > high).astype(int)
        return Detection(value=y, threshold=start, strong=strong, above=above, level=level)

    def reason(self, subject, freq, days, det, span) -> str:
        limit = "point" if self.limit == "point" else "mean"
        above = (
            f"above the epidemic threshold of {percent(float(det.threshold[span.peak]))} that "
            f"the Moving Epidemic Method ({limit} limit) sets from the pre-epidemic weeks of "
            "past seasons"
        )
        return self.peak_reason(subject, freq, days, det, span, above=above)


@dataclass(frozen=True)
class CDCBaseline(_Seasonal):
    """CDC's seasonal baseline (see the module docstring)."""

    seasons: int = 3
    k: float = 2.0
    name = "cdc_baseline"

    def thresholds(self, parts: SeasonParts) -> tuple[float, ...]:
        outside = parts.outside[-self.seasons :]
        if not outside:
            return (np.nan,)
        values = np.concatenate(outside)
        if len(values) < 2:
            return (np.nan,)
        return (float(np.mean(values) + self.k * np.std(values, ddof=1)),)

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        (baseline,) = self.season_thresholds(y, days, 1)
        with np.errstate(invalid="ignore"):
            strong = np.isfinite(y) & (y >= baseline)
        return Detection(value=y, threshold=baseline, strong=strong)

    def reason(self, subject, freq, days, det, span) -> str:
        above = (
            f"at or above the seasonal baseline of {percent(float(det.threshold[span.peak]))} "
            f"(the mean plus {self.k:g} standard deviations of the non-epidemic weeks of the "
            f"last {self.seasons} seasons)"
        )
        return self.peak_reason(subject, freq, days, det, span, above=above)


@dataclass(frozen=True)
class Farrington(SeriesMethod):
    """The Farrington method (see the module docstring)."""

    years: int = 3
    window: int = 3
    alpha: float = 0.01
    name = "farrington"

    def shape(self, freq: Frequency) -> tuple[int, int]:
        return 1, freq.periods(2)

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        from scipy import stats

        z = stats.norm.ppf(1 - self.alpha)
        threshold = np.full(len(y), np.nan)
        for t in range(self.years * freq.year - self.window, len(y)):
            ago, values = [], []
            for k in range(1, self.years + 1):
                for d in range(-self.window, self.window + 1):
                    i = t - k * freq.year + d
                    if 0 <= i < t and np.isfinite(y[i]):
                        ago.append(i - t)
                        values.append(y[i])
            if len(values) >= 2 * self.window + 1 and np.sum(values) > 0:
                threshold[t] = farrington_limit(np.array(ago, float), np.array(values), z)
        with np.errstate(invalid="ignore"):
            strong = np.isfinite(y) & (y > threshold)
        return Detection(value=y, threshold=threshold, strong=strong)

    def reason(self, subject, freq, days, det, span) -> str:
        every = "weekly" if freq.weekly else "daily"
        return (
            f"The {every} {share_phrase(subject)} reached "
            f"{percent(float(det.value[span.peak]))} "
            f"{'in the week starting' if freq.weekly else 'on'} {day_name(days[span.peak])}, "
            f"above the {percent(float(det.threshold[span.peak]))} that the Farrington method "
            f"expects at most at this time of year (from the {self.years} years before), "
            f"{period_span(freq, days[span.first], days[span.last])}."
        )


def farrington_limit(time: np.ndarray, y: np.ndarray, z: float) -> float:
    """The Farrington upper limit at time 0 from baseline values `y` at (negative) `time`."""
    fit = quasi_poisson(time, y, trend=True)
    if fit is not None:
        mu0, var0, phi, p_trend = fit
        if p_trend >= 0.05 or mu0 > y.max():
            fit = None
    if fit is None:
        fit = quasi_poisson(time, y, trend=False)
        if fit is None:
            return float("nan")
        mu0, var0, phi, _ = fit
    if mu0 <= 0:
        return 0.0
    return float(mu0 * (1 + (2 / 3) * z * np.sqrt(phi * mu0 + var0) / mu0) ** 1.5)


def quasi_poisson(time: np.ndarray, y: np.ndarray, *, trend: bool, reweight: bool = True):
    """(μ at time 0, Var μ̂ there, dispersion φ, two-sided p-value of the trend; 1.0 without
    `trend`) of a quasi-Poisson log-link fit of `y` on `time` (a constant, plus a linear trend
    when `trend`), as Farrington fits it: re-weighted once when `reweight` and some Anscombe
    residual is above 1. None where `_irls` gives no coefficients (a singular system, or
    coefficients that are not finite)."""
    X = np.column_stack([np.ones_like(time), time]) if trend else np.ones((len(y), 1))
    weights = np.ones(len(y))
    for _ in range(2 if reweight else 1):
        beta = _irls(X, y, weights)
        if beta is None:
            return None
        mu = np.exp(X @ beta)
        p = X.shape[1]
        phi = max(float(np.sum(weights * (y - mu) ** 2 / mu) / max(len(y) - p, 1)), 1e-12)
        anscombe = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / (np.cbrt(mu) ** 0.5 * np.sqrt(phi))
        if not np.any(anscombe > 1):
            break
        weights = np.where(anscombe > 1, 1 / np.maximum(anscombe, 1) ** 2, 1.0)
        weights = weights * len(y) / weights.sum()
    cov = phi * np.linalg.pinv(X.T @ (X * (weights * mu)[:, None]))
    x0 = np.array([1.0, 0.0]) if trend else np.array([1.0])
    mu0 = float(np.exp(x0 @ beta))
    var0 = float(mu0**2 * (x0 @ cov @ x0))
    from scipy import stats

    p_trend = float(2 * stats.norm.sf(abs(beta[1]) / np.sqrt(cov[1, 1]))) if trend else 1.0
    return mu0, var0, phi, p_trend


def _irls(X: np.ndarray, y: np.ndarray, weights: np.ndarray, iterations: int = 25):
    """Poisson log-link coefficients by iteratively re-weighted least squares: once a step
    moves them by less than 1e-8, else after `iterations` steps. None when a step's system is
    singular, or when the coefficients after the last step are not finite."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(float(np.average(y, weights=weights)), 1e-12))
    for _ in range(iterations):
        eta = X @ beta
        mu = np.exp(eta)
        w = weights * mu
        z = eta + (y - mu) / mu
        try:
            new = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * z))
        except np.linalg.LinAlgError:
            return None
        if np.max(np.abs(new - beta)) < 1e-8:
            return new
        beta = new
    return beta if np.all(np.isfinite(beta)) else None
