"""Synthetic weekly surveillance seasons, like influenza-like-illness rates, with the truth a
CDC-style rule would draw from them. Used to tune and measure alert methods without any real
surveillance data.

Each region has a baseline rate with a summer trough, multiplicative noise, a return-to-school
bump in September, and per season an epidemic of random timing (peak in weeks 10–24 of the
season, which starts in ISO week 40), size (peak 1.5–6 times the baseline; some seasons mild)
and growth (a Gaussian rise over 2–5 weeks of standard deviation, a fall up to 1.8 times
slower); the sd of the log noise is drawn per region from `noise`. Truth, as CDC's regional onset rule: the baseline is the
mean + 2 sd of the non-epidemic weeks of the previous 3 seasons; the onset is the first of 3
consecutive weeks at or above it; the high period lasts while the rate stays at or above it.
Which weeks are non-epidemic (`quiet`):

- `base` (strict): the planted epidemic is below 5% of the base rate;
- `lab` (CDC's own definition, the planted epidemic standing in for laboratory positives):
  runs of 2 or more consecutive weeks each holding less than 2% of its season's planted
  epidemic. Its baseline takes in the shoulders of epidemics, as CDC's does, so its onsets
  come later in the rise than `base`'s.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from forecasting.peaks import high_runs, onset_baseline

FIRST_MONDAY = dt.date(2001, 10, 1)


def region_series(
    rng: np.random.Generator,
    seasons: int,
    noise: tuple[float, float] = (0.04, 0.09),
    trend: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(observed weekly rate, planted epidemic share of it, the rate it would have without
    epidemics or noise, the sd of its log noise) of one region; with `trend`, its base rate
    grows or shrinks (sign drawn per region) by that share a year, compounded."""
    weeks = 52 * seasons
    t = np.arange(weeks)
    growth = (1 + trend) ** (rng.choice([-1.0, 1.0]) * t / 52) if trend else 1.0
    base = rng.uniform(0.8, 2.5) * growth * (1 + 0.1 * np.cos(2 * np.pi * (t - 20) / 52))
    week_of_season = t % 52
    bump = rng.uniform(0.05, 0.2) * np.exp(-0.5 * ((week_of_season - 1) / 1.5) ** 2)
    epidemic = np.zeros(weeks)
    for season in range(seasons):
        peak_at = season * 52 + rng.integers(10, 25)
        height = rng.uniform(0.5, 5.0)
        rise = rng.uniform(2.0, 5.0)
        fall = rise * rng.uniform(1.0, 1.8)
        d = t - peak_at
        epidemic += height * np.exp(-0.5 * np.where(d < 0, d / rise, d / fall) ** 2)
    clean = base * (1 + bump + epidemic)
    sd = rng.uniform(*noise)
    noisy = clean * np.exp(rng.normal(0, sd, weeks))
    return noisy, epidemic, base * (1 + bump), sd


def quiet_weeks(planted: np.ndarray, quiet: str = "base") -> np.ndarray:
    """Which weeks are non-epidemic by the `quiet` rule of the module docstring."""
    if quiet == "base":
        return planted < 0.05
    if quiet != "lab":
        raise ValueError(f"quiet is 'base' or 'lab', not {quiet!r}")
    totals = np.add.reduceat(planted, np.arange(0, len(planted), 52))
    low = planted < 0.02 * np.repeat(totals, 52)[: len(planted)]
    pair = low[1:] & low[:-1]
    return low & (np.concatenate([[False], pair]) | np.concatenate([pair, [False]]))


def cdc_truth(
    y: np.ndarray, planted: np.ndarray, days: list[dt.date], quiet: str = "base"
) -> list[dict]:
    """High periods by the CDC-style rule of the module docstring (from the 4th season)."""
    out = []
    weeks = len(y)
    above = np.zeros(weeks, dtype=bool)
    calm = quiet_weeks(planted, quiet)
    for t in range(3 * 52, weeks):
        season = t // 52
        past = slice((season - 3) * 52, season * 52)
        above[t] = y[t] >= onset_baseline(y[past][calm[past]])
    for start, end in high_runs(above):
        peak = start + int(np.argmax(y[start : end + 1]))
        out.append({"start": days[start], "end": days[end], "peak": days[peak]})
    return out


def synthetic_surveillance(
    seed: int,
    *,
    regions: int = 10,
    seasons: int = 22,
    noise: tuple[float, float] = (0.04, 0.09),
    quiet: str = "base",
    trend: float = 0.0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(long series `unique_id, ds, y` on Mondays, with the hidden `z`: each week's
    log(y / rate without epidemics) / noise sd, which no method sees; truth `unique_id,
    start, end, peak` with the non-epidemic weeks of `quiet`). The series do not depend on
    `quiet`; `trend` as in `region_series`."""
    rng = np.random.default_rng(seed)
    days = [FIRST_MONDAY + dt.timedelta(weeks=i) for i in range(52 * seasons)]
    series, truth = [], []
    for r in range(regions):
        y, planted, usual, sd = region_series(rng, seasons, noise, trend)
        uid = f"region{r + 1}"
        z = np.log(y / usual) / sd
        series.append(pl.DataFrame({"unique_id": uid, "ds": days, "y": y, "z": z}))
        truth.extend({"unique_id": uid, **row} for row in cdc_truth(y, planted, days, quiet))
    return pl.concat(series), pl.DataFrame(truth)


VARIANTS = {
    "standard": "the standard curves (weekly noise sd 4-9%)",
    "noisy": "noisier curves (weekly noise sd 12-20%)",
    "gaps": "8% of weeks missing at random and a 6-week summer break every year",
    "offseason": "reported in ISO weeks 40-20 only (October-May, no summer weeks)",
    "trend": "base rate growing or shrinking 8% a year",
    "short": "2 seasons of history before the first scored season, 2 scored",
    "counts": "Poisson counts of about 2 cases a week outside epidemics (many zeros)",
    "index": "an index: each region scaled to 0-100 by its maximum and rounded",
}
"""Real-looking weekly data the project does not have, each from the same generator."""


def surveillance_variant(
    seed: int, kind: str, *, regions: int = 10, seasons: int = 12, quiet: str = "lab"
) -> tuple[pl.DataFrame, pl.DataFrame, dt.date]:
    """(long series `unique_id, ds, y`, truth as `synthetic_surveillance`'s, the first week
    scored: the truth needs 3 past seasons) of the VARIANTS `kind`. The truth is drawn from
    the rates before counting, scaling or dropping weeks: what the weeks really were."""
    if kind not in VARIANTS:
        raise ValueError(f"kind is one of {', '.join(VARIANTS)}, not {kind!r}")
    rng = np.random.default_rng(seed + 1000)
    series, truth = synthetic_surveillance(
        seed,
        regions=regions,
        seasons=5 if kind == "short" else seasons,
        noise=(0.12, 0.2) if kind == "noisy" else (0.04, 0.09),
        quiet=quiet,
        trend=0.08 if kind == "trend" else 0.0,
    )
    series = series.drop("z")
    first = FIRST_MONDAY + dt.timedelta(weeks=3 * 52)
    if kind == "short":
        series = series.filter(pl.col("ds") >= FIRST_MONDAY + dt.timedelta(weeks=52))
    elif kind == "gaps":
        week = (pl.col("ds") - FIRST_MONDAY).dt.total_days() // 7 % 52
        summer = (week >= 40) & (week < 46)
        drop = pl.Series(rng.random(series.height) < 0.08)
        series = series.filter(~summer & ~drop)
    elif kind == "offseason":
        series = series.filter(~pl.col("ds").dt.week().is_between(21, 39))
    elif kind == "counts":
        counts = rng.poisson(series["y"].to_numpy() * 1.5)
        series = series.with_columns(y=pl.Series(counts, dtype=pl.Float64))
    elif kind == "index":
        series = series.with_columns(
            y=(pl.col("y") / pl.col("y").max().over("unique_id") * 100).round(0)
        )
    return series, truth.filter(pl.col("start") >= first), first
