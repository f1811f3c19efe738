"""Differentially private daily cells (the `privacy = "dp"` publishing mode), with OpenDP.

Per author and local day the release is (ε, δ)-differentially private:

1. **Contribution bounding.** Each author counts in one base cell a day (`region`, `lang`,
   never `all`): the one with most of their posts that day (ties: the first by region, then
   language). There they add at most 1 to the cell's `n_authors` and 1 to each marker's
   `n_marked_authors`: with M markers an author moves the day's vector of counts by at most
   √(M + 1) in L2 norm.
2. **Calibrated noise.** OpenDP's Gaussian mechanism, with the scale found by OpenDP's binary
   search so that the zCDP → (ε, δ) conversion meets the stated budget, adds noise to every
   count of the day's base cells at once. Noisy counts are real numbers, never clamped, so
   they are unbiased; some tiny cells come out negative.
3. **Post-processing.** Roll-ups (`region = all`, `lang = all`) are sums of noisy base cells,
   consistent by construction, with noise SD σ·√(cells summed). Prevalence is the ratio of
   noisy counts; its 95% interval adds the noise variance (delta method) to the binomial one.

Nothing is suppressed in this mode: small cells are protected by the noise, and every series
is complete, so derived statistics run on the noisy series.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from transforms.contracts import ALL
from transforms.prevalence import Z_95

DP_CELL_SCHEMA = {
    "day": pl.Date,
    "region": pl.String,
    "lang": pl.String,
    "marker": pl.String,
    "marker_version": pl.String,
    "n_authors": pl.Float64,
    "n_marked_authors": pl.Float64,
    "noise_sd": pl.Float64,
    "epsilon": pl.Float64,
    "delta": pl.Float64,
    "run_id": pl.String,
}
"""A noisy base cell (or, after `dp_release`, roll-up) of one day and marker: noisy distinct
authors of the cell and of the marker, the SD of the noise in each, and the budget spent per
author on that day."""

DP_KEYS = ("day", "region", "lang", "marker", "marker_version")

DP_RELEASE_COLUMNS = ("prevalence", "prevalence_lo", "prevalence_hi")


@dataclass(frozen=True)
class Budget:
    """(ε, δ) per author per local day; ε > 0, 0 < δ < 1."""

    epsilon: float = 1.0
    delta: float = 1e-6

    def __post_init__(self) -> None:
        if not self.epsilon > 0 or not 0 < self.delta < 1:
            raise ValueError(
                f"the DP budget needs epsilon > 0 and 0 < delta < 1, got "
                f"epsilon={self.epsilon}, delta={self.delta}"
            )

    def scale(self, n_markers: int) -> float:
        """The Gaussian noise SD that spends exactly this budget on a day of `n_markers`."""
        return _calibrate(self.epsilon, self.delta, math.sqrt(n_markers + 1))


@dataclass(frozen=True)
class DayNoise:
    """OpenDP's Gaussian measurement for one day's counts under `budget` with `n_markers`."""

    budget: Budget
    n_markers: int

    @cached_property
    def scale(self) -> float:
        return self.budget.scale(self.n_markers)

    def release(self, counts: Sequence[float]) -> list[float]:
        """`counts` plus OpenDP Gaussian noise of SD `scale` (fresh randomness each call)."""
        if not counts:
            return []
        return list(_measurement(self.scale)([float(c) for c in counts]))


def _measurement(scale: float):
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)
    return space >> dp.m.then_gaussian(scale=scale)


def _calibrate(epsilon: float, delta: float, sensitivity: float) -> float:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)

    def make(scale: float):
        gaussian = space >> dp.m.then_gaussian(scale=scale)
        return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), delta=delta)

    rough = sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
    return float(
        dp.binary_search_param(
            make, d_in=sensitivity, d_out=(epsilon, delta), bounds=(rough / 20, rough * 20)
        )
    )


def bounded_cells(author_rows: pl.DataFrame) -> pl.DataFrame:
    """AUTHOR_DAY_SCHEMA rows (transforms.aggregate) → exact contribution-bounded counts per
    day × base cell × marker: `n_authors` (authors of the cell, each in one cell a day) and
    `n_marked_authors`. Posts without an author are left out."""
    rows = author_rows.filter(pl.col("author").is_not_null() & (pl.col("n_scored") > 0))
    home = (
        rows.group_by("day", "author", "region", "lang")
        .agg(pl.col("n_posts").max().alias("_posts"))
        .sort(
            "day",
            "author",
            pl.col("_posts"),
            "region",
            "lang",
            descending=[False, False, True, False, False],
        )
        .group_by("day", "author", maintain_order=True)
        .first()
        .select("day", "author", "region", "lang")
    )
    kept = rows.join(home, on=["day", "author", "region", "lang"], how="semi")
    authors = kept.group_by("day", "region", "lang").agg(
        pl.col("author").n_unique().alias("n_authors")
    )
    marked = kept.group_by("day", "region", "lang", "marker").agg(
        pl.col("author").filter(pl.col("n_marked") > 0).n_unique().alias("n_marked_authors")
    )
    return marked.join(authors, on=["day", "region", "lang"]).sort(
        "day", "region", "lang", "marker"
    )


def noisy_day(
    bounded: pl.DataFrame,
    markers: Mapping[str, str],
    *,
    noise: DayNoise,
    run_id: str,
) -> pl.DataFrame:
    """One day's `bounded_cells` → DP_CELL_SCHEMA base cells with noise from `noise`.

    `markers` maps each marker of the job to its marker_version; every base cell that had an
    author gets a row per marker (a marker nobody matched is a true 0 plus noise, so zeros are
    not told apart from small counts). One noisy `n_authors` is drawn per cell and shared by
    its markers.
    """
    if bounded.is_empty():
        return pl.DataFrame(schema=DP_CELL_SCHEMA)
    names = sorted(markers)
    cells = bounded.select("day", "region", "lang", "n_authors").unique().sort("region", "lang")
    grid = (
        cells.join(pl.DataFrame({"marker": names}), how="cross")
        .join(
            bounded.select("day", "region", "lang", "marker", "n_marked_authors"),
            on=["day", "region", "lang", "marker"],
            how="left",
        )
        .sort("region", "lang", "marker")
        .with_columns(pl.col("n_marked_authors").fill_null(0))
    )
    noisy = noise.release(
        cells.get_column("n_authors").to_list() + grid.get_column("n_marked_authors").to_list()
    )
    noisy_authors = pl.DataFrame(
        {"region": cells["region"], "lang": cells["lang"], "_authors": noisy[: cells.height]}
    )
    return (
        grid.with_columns(pl.Series("n_marked_authors", noisy[cells.height :], pl.Float64))
        .drop("n_authors")
        .join(noisy_authors.rename({"_authors": "n_authors"}), on=["region", "lang"])
        .with_columns(
            pl.col("marker").replace_strict(markers).alias("marker_version"),
            pl.lit(noise.scale).alias("noise_sd"),
            pl.lit(noise.budget.epsilon).alias("epsilon"),
            pl.lit(noise.budget.delta).alias("delta"),
            pl.lit(run_id).alias("run_id"),
        )
        .select(DP_CELL_SCHEMA.keys())
        .cast(DP_CELL_SCHEMA)
    )


def dp_release(cells: pl.DataFrame, *, z: float = Z_95) -> pl.DataFrame:
    """Noisy base cells (DP_CELL_SCHEMA) → every cell, roll-ups added by summation, with
    `prevalence`, `prevalence_lo`, `prevalence_hi` (DP_RELEASE_COLUMNS). A roll-up's
    `noise_sd` is that of its sum. Sorted by marker, region, lang, day."""
    keys = ["day", "marker", "marker_version", "epsilon", "delta", "run_id"]
    parts = [cells.with_columns(pl.col("noise_sd").pow(2).alias("_var"))]
    for region, lang in ((ALL, None), (None, ALL), (ALL, ALL)):
        group = [
            *keys,
            *(["region"] if region is None else []),
            *(["lang"] if lang is None else []),
        ]
        summed = cells.group_by(group).agg(
            pl.col("n_authors").sum(),
            pl.col("n_marked_authors").sum(),
            pl.col("noise_sd").pow(2).sum().alias("_var"),
        )
        if region is not None:
            summed = summed.with_columns(pl.lit(region).alias("region"))
        if lang is not None:
            summed = summed.with_columns(pl.lit(lang).alias("lang"))
        parts.append(summed)
    columns = [c for c in DP_CELL_SCHEMA if c != "noise_sd"]
    rows = pl.concat([part.select(*columns, "_var") for part in parts])
    a, m, var = pl.col("n_authors"), pl.col("n_marked_authors"), pl.col("_var")
    p = m / a
    spread = (p * (1 - p) / a).clip(lower_bound=0) + var * (1 + p.pow(2)) / a.pow(2)
    half = z * spread.sqrt()
    usable = a > 0
    return (
        rows.with_columns(
            var.sqrt().alias("noise_sd"),
            pl.when(usable).then(p).alias("prevalence"),
            pl.when(usable).then(p - half).alias("prevalence_lo"),
            pl.when(usable).then(p + half).alias("prevalence_hi"),
        )
        .select(*DP_CELL_SCHEMA.keys(), *DP_RELEASE_COLUMNS)
        .sort("marker", "region", "lang", "day")
    )


def noise_interval(value: pl.Expr, sd: pl.Expr, *, z: float = Z_95) -> tuple[pl.Expr, pl.Expr]:
    """The interval `value ± z·sd` that covers a noisy count's true value with the nominal
    probability of `z` (95% by default) over repeated releases."""
    return value - z * sd, value + z * sd
