"""Cells the privacy tests build: regions' daily cells with their roll-up, and the weeks' and
8-week periods' cells of daily cells."""

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import polars as pl

from transforms.contracts import (
    ALL,
    CLUSTER_SUMS,
    DAILY_SCHEMA,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
    conform,
)
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_sums


def region_days(
    cell: Callable[[str, date], tuple[int, int] | None],
    regions: Iterable[str],
    first: date,
    days: int,
) -> pl.DataFrame:
    """Daily cells (DAILY_SCHEMA, marker `m`, language `en`) of `regions` and their roll-up,
    `days` days from `first`; `cell` gives a region's authors and flagged authors on a day,
    None where it has none."""
    rows = []
    for day in (first + timedelta(days=i) for i in range(days)):
        leaves = [(region, *cell(region, day)) for region in regions if cell(region, day)]
        total = (ALL, sum(n for _, n, _ in leaves), sum(m for _, _, m in leaves))
        for region, authors, marked in [*leaves, total]:
            rows.append({"day": day, "region": region, "lang": "en", "marker": "m",
                         "marker_version": "v", "n_posts": authors, "n_scored": authors,
                         "n_marked": marked, "n_authors": authors, "n_marked_authors": marked,
                         "sample_rate": 1.0, "run_id": "r"})  # fmt: skip
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


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
