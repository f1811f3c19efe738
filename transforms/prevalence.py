"""Prevalence with Wilson score intervals, as polars expressions."""

from __future__ import annotations

import polars as pl

from transforms.contracts import POST_CLUSTER_SUMS, POST_CLUSTERS

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


EFFECTIVE_TRIALS = "effective_trials"
"""The column of published rows that holds the trials their author share's interval is taken
over: `n_authors` on a day row; `effective_trials` of its author-days on a week's or 8-week
period's row. Adjusted shares take the flagged share's binomial variance over the same
(transforms.quantify.with_adjusted_prevalence)."""


def effective_trials(
    marked_days: pl.Expr,
    days: pl.Expr,
    authors: pl.Expr,
    sums: tuple[pl.Expr, pl.Expr, pl.Expr] | None,
) -> pl.Expr:
    """The effective number of independent trials behind a period's author-day share
    `p = marked_days / days` (`n_marked_author_days / n_author_days` over `authors` distinct
    authors), with authors, not their days, as the independent units: the share is a ratio
    estimator `sum f_i / sum d_i` over authors `i`, and with `sums` (the cell's CLUSTER_SUMS:
    `sum d_i²`, `sum f_i²`, `sum f_i d_i`) its linearised variance is

        V = n / (n - 1) × sum (f_i - p d_i)² / (sum d_i)²        (n = authors)

    and the effective size `p (1 - p) / V` (Kish), at most `days` (never more trials than
    author-days). It may be below `authors`: a few authors with many days weigh more than
    many with one. Decided apart: `days` where `sums` is None or null (rows counted before
    the sums existed: the interval as if days were independent) or where `V` is 0 with
    `0 < p < 1`; `authors` where `p` is 0 or 1 (no spread to measure: each author one trial)
    or fewer than 2 authors; null where `days` is 0 or null. Float64."""
    n_days = days.cast(pl.Float64)
    n = authors.cast(pl.Float64)
    p = marked_days.cast(pl.Float64) / n_days
    if sums is None:
        return pl.when(n_days > 0).then(n_days)
    d2, f2, fd = (s.cast(pl.Float64) for s in sums)
    spread = (f2 - 2 * p * fd + p * p * d2).clip(lower_bound=0.0)
    variance = n / (n - 1) * spread / (n_days * n_days)
    kish = (p * (1 - p) / variance).clip(upper_bound=n_days)
    return (
        pl.when(n_days.is_null() | (n_days <= 0))
        .then(None)
        .when(d2.is_null() | f2.is_null() | fd.is_null())
        .then(n_days)
        .when((p <= 0) | (p >= 1) | (n < 2))
        .then(n)
        .when(spread <= 0)
        .then(n_days)
        .otherwise(kish)
    )


def effective_posts() -> pl.Expr:
    """The effective number of independent trials behind a period cell's post share
    `n_marked / n_scored`, with its authors, not their posts, as the independent units:
    `effective_trials` over the cell's scored and marked posts, its POST_CLUSTERS (its
    authors and its posts without an author, each a cluster of its own; its `n_authors` where
    null: rows counted before POST_CLUSTERS existed) and its POST_CLUSTER_SUMS; `n_scored`
    where the cell has no author (every post its own) or its sums are null (rows counted before
    they existed). Float64, null where `n_scored` is 0."""
    scored = pl.col("n_scored")
    clusters = pl.coalesce(pl.col(POST_CLUSTERS), pl.col("n_authors"))
    sums = tuple(pl.col(c) for c in POST_CLUSTER_SUMS)
    trials = effective_trials(pl.col("n_marked"), scored, clusters, sums)
    return pl.when(pl.col("n_authors") > 0).then(trials).otherwise(scored.cast(pl.Float64))


def wilson(
    successes: pl.Expr, trials: pl.Expr, *, z: float = Z_95
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Proportion `successes / trials` and its Wilson score interval `(estimate, low, high)`.

    All three are proportions in 0–1, null where `trials` is 0 or null. The Wilson interval
    stays inside 0–1, holds the estimate (`low <= estimate <= high`, exactly: at a count of 0
    or of `trials` rounding would otherwise leave a bound a hair past it), and keeps a sensible
    width when the count is 0 or equals `trials`.
    """
    n = trials.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / (1 + z2 / n)
    valid = n > 0
    return (
        pl.when(valid).then(p),
        pl.when(valid).then(pl.min_horizontal(centre - half, p).clip(0.0, 1.0)),
        pl.when(valid).then(pl.max_horizontal(centre + half, p).clip(0.0, 1.0)),
    )


def with_prevalence(daily: pl.DataFrame, *, z: float = Z_95) -> pl.DataFrame:
    """Add author- and post-level prevalence with 95% Wilson intervals to Daily aggregates.

    `prevalence` (the default, among authors) is `n_marked_authors / n_authors`;
    `post_prevalence` (the reference paper's) is `n_marked / n_scored`. Each gets `_lo` and
    `_hi` columns. The post share's interval is taken over `effective_posts` where `daily`
    has POST_CLUSTER_SUMS and POST_CLUSTERS (period cells: authors, not their posts, as the independent units),
    else over `n_scored` (day cells: posts as independent trials). The input is not modified.
    """
    authors = wilson(pl.col("n_marked_authors"), pl.col("n_authors"), z=z)
    if {*POST_CLUSTER_SUMS, POST_CLUSTERS} <= set(daily.columns):
        trials = effective_posts()
        posts = wilson(pl.col("n_marked") / pl.col("n_scored") * trials, trials, z=z)
    else:
        posts = wilson(pl.col("n_marked"), pl.col("n_scored"), z=z)
    return daily.with_columns(
        authors[0].alias("prevalence"),
        authors[1].alias("prevalence_lo"),
        authors[2].alias("prevalence_hi"),
        posts[0].alias("post_prevalence"),
        posts[1].alias("post_prevalence_lo"),
        posts[2].alias("post_prevalence_hi"),
    )
