"""`early`: a season-aware baseline combined with a short forecast, so that alerts come early
and stay quiet. For period t, reading nothing after t (parameters in `EarlyRule`, in periods;
`RULES` holds the daily and weekly ones):

1. **Level.** The trailing mean of the observed values over `window` periods (a week of days;
   a week itself for weekly series).
2. **Baseline.** The usual level (median) and its spread (1.4826 × the median absolute
   deviation, the sd of normal noise), from the levels of the `baseline` periods that end
   `guard` periods before t (so a rise under way never raises its own bar; medians resist
   past waves); with `noise_floor`, the spread is at least that many times the sd of the
   noise, estimated from the period-to-period steps of the same levels (so on a sparse,
   noisy series the bar stands clear of sampling noise, while on a smooth one the spread of
   its seasons rules). When the series has
   `seasonal_years` years before t, the centre is instead the median of the levels within
   `seasonal_window` periods of the same time of year in those years, so a rise that comes
   back every year (the return to school) is usual. The alert bar is centre + `k` sd.
3. **Forecast.** A straight line through the last `trend` levels; its projection `horizon`
   periods ahead, with the line's standard error from the baseline's spread (widened by
   √window: overlapping means have correlated errors), gives the probability that the level
   will be above the bar. Missing levels are left out of the line (it needs the current
   level and three quarters of the others), so a missing period does not stop the forecast.
4. A period is *strong* (it raises an alert) when the level is above the bar by `margin`
   (relative), or when, for `confirm` periods in a row, the level was rising, `lift` spreads
   above the centre, and projected above the bar with probability at least `probability`.
   It is *above* (it keeps an alert going) while the level is above the bar. Rising
   compares with the last level seen.
5. **Cold start.** Until `min_baseline` levels exist for step 2, the baseline is every level
   from the series' start to `guard` periods before t (at least `cold_min` of them), with no
   trimming, and the bar is centre + `cold_k` sd: wider, since it is short, but a strong
   wave a month into the data is still seen.

Periods as in forecasting.method (one strong period raises one, gaps of `max_gap`); severity
from the peak level against the bar. Tuned on the sample corpus (seed 7) and on synthetic
epidemic seasons (seeds 1, 2) only, never on real surveillance data; measured on other seeds
by benchmarks/alerts_early.py. The same-time-of-year centre raised the bar in the weeks
epidemics start in the weekly tuning, so the weekly rule leaves it off (`seasonal_years=0`):
its baseline is then the median of the last two years, whole seasons. The weekly rule's
noise floor (3 noise sds) keeps it quiet on sparse series, where a spread of a few weekly
values is mostly sampling noise: without it, it raised 2.1-2.6 false periods per series-year
on the sample's weekly series (seeds 7, 2027, 2028 and the two-year forum sample), with it
0.6-0.8 (benchmarks/alerts_early.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.alerts import rolling_mean
from forecasting.frequency import Frequency
from forecasting.method import Detection, SeriesMethod
from forecasting.wording import day_name, percent, period_span, share_phrase


@dataclass(frozen=True)
class EarlyRule:
    """Parameters of the `early` method, in periods (see the module docstring)."""

    window: int
    baseline: int
    guard: int
    k: float
    trend: int
    horizon: int
    probability: float
    margin: float
    min_baseline: int
    cold_min: int
    cold_k: float
    confirm: int
    max_gap: int
    lift: float = 0.0
    seasonal_years: int = 2
    seasonal_window: int = 6
    noise_floor: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.probability < 1:
            raise ValueError(f"probability must lie in (0, 1), not {self.probability}")
        if not 3 <= self.trend <= 62 or self.window < 1 or self.confirm < 1:
            raise ValueError("need 3 ≤ trend ≤ 62, window ≥ 1 and confirm ≥ 1")


DAILY = EarlyRule(
    window=7,
    baseline=112,
    guard=7,
    k=2.0,
    trend=10,
    horizon=7,
    probability=0.8,
    margin=0.2,
    min_baseline=21,
    cold_min=10,
    cold_k=4.0,
    confirm=3,
    max_gap=3,
    lift=1.5,
)
WEEKLY = EarlyRule(
    window=1,
    baseline=104,
    guard=4,
    k=0.75,
    trend=8,
    horizon=4,
    probability=0.5,
    margin=0.1,
    min_baseline=26,
    cold_min=8,
    cold_k=3.0,
    confirm=1,
    max_gap=1,
    lift=0.5,
    seasonal_years=0,
    noise_floor=3.0,
)


@dataclass(frozen=True)
class Early(SeriesMethod):
    """The `early` method; `rules` by frequency kind (`day`, `week`)."""

    rules: dict[str, EarlyRule] = field(default_factory=lambda: {"day": DAILY, "week": WEEKLY})
    name = "early"

    def rule(self, freq: Frequency) -> EarlyRule:
        return self.rules["week" if freq.weekly else "day"]

    def shape(self, freq: Frequency) -> tuple[int, int]:
        return 1, self.rule(freq).max_gap

    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        rule = self.rule(freq)
        level = rolling_mean(y, window=rule.window, min_observed=max(1, rule.window * 5 // 7))
        centre, bar = baselines(level, freq, rule)
        chance = exceed_probability(level, bar, (bar - centre) / rule.k, rule)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(level) & np.isfinite(bar)
            rising = np.concatenate([[False], level[1:] > _last_seen(level)[:-1]])
            high = ok & (level > bar * (1 + rule.margin))
            lifted = level > centre + rule.lift * (bar - centre) / rule.k
            heading = ok & rising & lifted & (chance >= rule.probability)
            above = ok & (level > bar)
        held = np.convolve(heading.astype(int), np.ones(rule.confirm, dtype=int))[: len(level)]
        confirmed = held >= rule.confirm
        return Detection(value=level, threshold=bar, strong=high | confirmed, above=above)

    def reason(self, subject, freq, days, det, span) -> str:
        value, bar = float(det.value[span.peak]), float(det.threshold[span.peak])
        rule = self.rule(freq)
        statistic = (
            f"{rule.window}-day average" if not freq.weekly else "weekly"
        ) + f" {share_phrase(subject)}"
        when = period_span(freq, days[span.first], days[span.last])
        first = day_name(days[span.first])
        if value > bar:
            return (
                f"The {statistic} rose to {percent(value)}, above its usual level of "
                f"{percent(bar)} (the recent norm plus {rule.k:g} standard deviations), {when}; "
                f"the rise was forecast to cross that level from {first}."
            )
        return (
            f"The {statistic} is rising towards its usual upper level of {percent(bar)} and "
            f"is forecast to pass it within {freq.describe(rule.horizon)} ({percent(value)} "
            f"now), {when}."
        )


def _last_seen(level: np.ndarray) -> np.ndarray:
    """`level` with each missing value replaced by the last one seen before it (NaN before
    the first)."""
    seen = np.where(np.isfinite(level), np.arange(len(level)), -1)
    last = np.maximum.accumulate(seen)
    return np.where(last >= 0, level[np.maximum(last, 0)], np.nan)


def baselines(level: np.ndarray, freq: Frequency, rule: EarlyRule) -> tuple[np.ndarray, np.ndarray]:
    """(centre, bar) per period, steps 2 and 5 of the module docstring. Every period's
    baseline levels are one row of a matrix (its observed levels first, in order), so the
    medians, spreads and noise of all periods come from a few whole-matrix sorts."""
    n = len(level)
    centre, bar = np.full(n, np.nan), np.full(n, np.nan)
    at = np.arange(rule.guard, n)
    if len(at) == 0:
        return centre, bar
    padded = np.concatenate([np.full(rule.baseline, np.nan), level])
    rows = sliding_window_view(padded, rule.baseline)[at - rule.guard + 1]
    order = np.argsort(~np.isfinite(rows), axis=1, kind="stable")
    recent = np.take_along_axis(rows, order, axis=1)
    count = np.isfinite(rows).sum(axis=1)
    middle = _medians(recent, count)
    spread = 1.4826 * _medians(np.abs(recent - middle[:, None]), count)
    if rule.noise_floor:
        steps = np.diff(recent, axis=1)
        usual = _medians(steps, count - 1)
        noise = 1.4826 * _medians(np.abs(steps - usual[:, None]), count - 1) / np.sqrt(2)
        spread = np.maximum(spread, rule.noise_floor * noise)
    k = np.full(len(at), rule.k)
    after_years = (
        rule.seasonal_years * freq.year + rule.seasonal_window if rule.seasonal_years else n
    )
    for i in np.flatnonzero((count >= rule.min_baseline) & (at >= after_years)):
        seasonal = _same_time_of_year(level, int(at[i]), freq, rule)
        if seasonal is not None:
            middle[i] = seasonal
    for i in np.flatnonzero((count >= rule.cold_min) & (count < rule.min_baseline)):
        cold = recent[i, : count[i]]
        middle[i], spread[i], k[i] = float(np.mean(cold)), float(np.std(cold, ddof=1)), rule.cold_k
    kept = count >= rule.cold_min
    spread = np.maximum(np.maximum(spread, 0.02 * np.abs(middle)), 1e-12)
    centre[at[kept]] = middle[kept]
    bar[at[kept]] = (middle + k * spread)[kept]
    return centre, bar


def _medians(rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The median of the first `count` values of each row (the observed ones; the rest NaN),
    as np.median takes it (the mean of the middle two of an even count); NaN where none."""
    ordered = np.sort(rows, axis=1)
    n = np.maximum(count, 1)
    pick = np.arange(len(rows))
    found = (ordered[pick, (n - 1) // 2] + ordered[pick, n // 2]) / 2
    return np.where(count > 0, found, np.nan)


def _same_time_of_year(level: np.ndarray, t: int, freq: Frequency, rule: EarlyRule):
    """The median level within `seasonal_window` periods of t's time of year in the
    `seasonal_years` years before t, or None without that much history."""
    if rule.seasonal_years == 0 or t - rule.seasonal_years * freq.year - rule.seasonal_window < 0:
        return None
    values = []
    for k in range(1, rule.seasonal_years + 1):
        at = t - k * freq.year
        values.append(level[at - rule.seasonal_window : at + rule.seasonal_window + 1])
    pooled = np.concatenate(values)
    pooled = pooled[np.isfinite(pooled)]
    if len(pooled) < rule.seasonal_window:
        return None
    return float(np.median(pooled))


def exceed_probability(
    level: np.ndarray, bar: np.ndarray, spread: np.ndarray, rule: EarlyRule
) -> np.ndarray:
    """Per period, the probability that the underlying level `horizon` periods ahead is above
    the bar: a straight line through the last `trend` levels, whose noise is the baseline's
    `spread` (step 3). Missing levels (a missing or suppressed period) are left out of the
    line, which needs the current level and at least three quarters of the `trend`. The
    periods whose trailing `trend` levels have the same missing ones (one bit each in a 64-bit
    code) share one least-squares fit, applied to all of them at once."""
    out = np.full(len(level), np.nan)
    m = rule.trend
    if len(level) < m:
        return out
    tau = np.arange(-m + 1, 1, dtype=float)
    design = np.column_stack([np.ones(m), tau])
    target = np.array([1.0, float(rule.horizon)])
    windows = sliding_window_view(level, m)
    seen = np.isfinite(windows)
    at = np.arange(m - 1, len(level))
    with np.errstate(invalid="ignore"):
        usable = (
            seen[:, -1]
            & (seen.sum(axis=1) >= max(3, m - m // 4))
            & np.isfinite(bar[at])
            & ~(spread[at] <= 0)
        )
    rows = np.flatnonzero(usable)
    if len(rows) == 0:
        return out
    codes = seen[rows] @ (1 << np.arange(m))
    _, first, which = np.unique(codes, return_index=True, return_inverse=True)
    z = np.empty(len(rows))
    for p, row in enumerate(rows[first]):
        mask = seen[row]
        mine = which == p
        pick = rows[mine]
        inverse = np.linalg.inv(design[mask].T @ design[mask])
        weight = target @ inverse @ design[mask].T
        factor = float(np.sqrt(target @ inverse @ target * rule.window))
        ahead = windows[pick][:, mask] @ weight
        z[mine] = (bar[at[pick]] - ahead) / (spread[at[pick]] * factor)
    from scipy import stats

    out[at[rows]] = stats.norm.sf(z)
    return out
