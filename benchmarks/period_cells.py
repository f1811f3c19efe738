"""Weeks' and 8-week periods' cells built from daily cells, for the release benchmarks and the
privacy tests (which import it from here: benchmarks import nothing from tests/)."""

from __future__ import annotations

import polars as pl

from transforms.contracts import (
    CLUSTER_SUMS,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
    conform,
)
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_sums


def period_cells(daily: pl.DataFrame, week_grains=("iso_week",)) -> pl.DataFrame:
    """The weeks' and 8-week periods' cells of `daily` (ISO, or each of `week_grains`), each
    author-day a distinct author (the most a period's distinct authors can be; so each author
    has one day: CLUSTER_SUMS), post sums and clusters null (as counted before schema 11)."""
    grains = [g for week in week_grains for g in (week, EIGHT_WEEKS[week])]
    sums = pl.concat([period_sums(daily, g) for g in grains])
    return conform(
        sums.with_columns(
            pl.col("n_author_days").alias("n_authors"),
            pl.col("n_marked_author_days").alias("n_marked_authors"),
            pl.col("n_author_days").alias(CLUSTER_SUMS[0]),
            pl.col("n_marked_author_days").alias(CLUSTER_SUMS[1]),
            pl.col("n_marked_author_days").alias(CLUSTER_SUMS[2]),
            *(pl.lit(None, pl.Int64).alias(c) for c in (*POST_CLUSTER_SUMS, POST_CLUSTERS)),
            (
                pl.col("period_start")
                + pl.duration(days=pl.col("grain").replace_strict(PERIOD_DAYS) - 1)
            ).alias("period_end"),
            pl.lit("r1").alias("run_id"),
        ),
        PERIOD_SCHEMA,
        name="periods",
    )
