"""The one conversion from Daily aggregates to the Series contract."""

from __future__ import annotations

from typing import Literal

import polars as pl

from transforms.contracts import SERIES_SCHEMA
from transforms.privacy import DEFAULT_K, is_suppressed

Basis = Literal["authors", "posts"]


def to_series(daily: pl.DataFrame, *, basis: Basis = "authors", k: int = DEFAULT_K) -> pl.DataFrame:
    """Daily aggregates → Series (`unique_id` = `marker|region|lang`, `ds`, `y`).

    `y` is the prevalence among authors (`basis="authors"`, the default) or among scored posts
    (`basis="posts"`), a proportion in 0–1. Days whose cell is suppressed at `k` keep their row
    with `y` null, so nothing downstream ever sees a suppressed value. Rows are sorted by
    `unique_id`, `ds`. Several marker versions of one series are not expected here: pass the
    current version's rows only.
    """
    if basis == "authors":
        y = pl.col("n_marked_authors") / pl.col("n_authors")
    elif basis == "posts":
        y = pl.col("n_marked") / pl.col("n_scored")
    else:
        raise ValueError(f"basis must be 'authors' or 'posts', not {basis!r}")
    return (
        daily.select(
            pl.concat_str(["marker", "region", "lang"], separator="|").alias("unique_id"),
            pl.col("day").alias("ds"),
            pl.when(is_suppressed(k=k)).then(None).otherwise(y).cast(pl.Float64).alias("y"),
        )
        .cast(SERIES_SCHEMA)
        .sort("unique_id", "ds")
    )


POST_COUNT_SCHEMA = {"region": pl.String, "lang": pl.String, "ds": pl.Date, "n_posts": pl.Int64}
"""Posts counted per local day and cell (`region`, `lang`, with the `all` roll-ups): how much
data stands behind a day's prevalence. Post counts are not author counts, so they carry no
small-cell risk of their own beyond what the Daily aggregate already publishes."""


def to_post_counts(daily: pl.DataFrame) -> pl.DataFrame:
    """Daily aggregates → POST_COUNT_SCHEMA rows sorted by `region`, `lang`, `ds`.

    A cell's post count is the same for every marker that was evaluated there; the largest
    over its markers is taken, so a marker with no source for a language cannot lower it.
    """
    return (
        daily.group_by("region", "lang", pl.col("day").alias("ds"))
        .agg(pl.col("n_posts").max())
        .cast(POST_COUNT_SCHEMA)
        .select(POST_COUNT_SCHEMA.keys())
        .sort("region", "lang", "ds")
    )
