"""Prevalence with Wilson score intervals, as polars expressions."""

from __future__ import annotations

import polars as pl

Z_95 = 1.959963984540054

PREVALENCE_COLUMNS = (
    "prevalence",
    "prevalence_lo",
    "prevalence_hi",
    "post_prevalence",
    "post_prevalence_lo",
    "post_prevalence_hi",
)
"""Added by `with_prevalence`: proportions 0–1, with Wilson 95% bounds."""

AUTHOR_DAY_COUNTS = ("n_author_days", "n_marked_author_days")
"""The author-days (author × day pairs) and marked author-days that a published row's
`prevalence` is taken over (transforms.publish): a week's or 8-week period's share on an
average day, comparable with daily shares; on a day row they equal `n_authors` and
`n_marked_authors`. Adjusted shares correct the same share, over the same counts
(transforms.quantify.with_adjusted_prevalence)."""


def wilson(
    successes: pl.Expr, trials: pl.Expr, *, z: float = Z_95
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Proportion `successes / trials` and its Wilson score interval `(estimate, low, high)`.

    All three are proportions in 0–1, null where `trials` is 0 or null. The Wilson interval
    stays inside 0–1 and keeps a sensible width when the count is 0 or equals `trials`.
    """
    n = trials.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / (1 + z2 / n)
    valid = n > 0
    return (
        pl.when(valid).then(p),
        pl.when(valid).then((centre - half).clip(0.0, 1.0)),
        pl.when(valid).then((centre + half).clip(0.0, 1.0)),
    )


def with_prevalence(daily: pl.DataFrame, *, z: float = Z_95) -> pl.DataFrame:
    """Add author- and post-level prevalence with 95% Wilson intervals to Daily aggregates.

    `prevalence` (the default, among authors) is `n_marked_authors / n_authors`;
    `post_prevalence` (the reference paper's) is `n_marked / n_scored`. Each gets `_lo` and
    `_hi` columns. The input is not modified.
    """
    authors = wilson(pl.col("n_marked_authors"), pl.col("n_authors"), z=z)
    posts = wilson(pl.col("n_marked"), pl.col("n_scored"), z=z)
    return daily.with_columns(
        authors[0].alias("prevalence"),
        authors[1].alias("prevalence_lo"),
        authors[2].alias("prevalence_hi"),
        posts[0].alias("post_prevalence"),
        posts[1].alias("post_prevalence_lo"),
        posts[2].alias("post_prevalence_hi"),
    )
