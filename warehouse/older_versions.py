"""Reads of the marker versions that are no longer current, for
`warehouse.queries.daily(all_versions=True)` (no command, export or dashboard page calls it).

A release publishes each marker's current version only (`warehouse.current`). The other
versions' Daily aggregates (`OLDER_DAILY`) are read here and shown day by day within what the
release record made while each was current allows (docs/privacy.md, "Marker versions").
Nothing here writes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.contracts import DAILY_SCHEMA
from transforms.older_version_days import bound_days
from transforms.prevalence import AUTHOR_DAY_COUNTS, EFFECTIVE_TRIALS, with_prevalence
from transforms.privacy import protect_lines, suppress
from transforms.quantify import with_adjusted_prevalence
from transforms.releases import Release
from warehouse.reads import PUBLISHED_DAILY_COLUMNS, select_rows

OLDER_DAILY = (
    "(SELECT d.* FROM daily_aggregates AS d "
    "ANTI JOIN current_versions USING (marker, marker_version))"
)
"""Daily aggregates of every marker version but the current ones, as an SQL subquery."""


def older_daily(
    con: duckdb.DuckDBPyConnection,
    release: Release,
    *,
    marker: str | None,
    start: date | None,
    end: date | None,
    rates: pl.DataFrame,
) -> pl.DataFrame:
    """`warehouse.queries.daily`'s rows (PUBLISHED_DAILY_COLUMNS) of the marker versions that
    are not current: their days that have ended (as in `release`, the one the last write
    recorded: warehouse.release_record.recorded_release) of `marker` from `start` to `end`,
    each day withheld where it is below `release.k`, where the release record holds its week
    otherwise than by day or its counts moved by 1 to k − 1 from counts a release published
    (transforms.older_version_days.bound_days: a version was current once, and its releases are a
    reader's), and then, so that no roll-up minus its other children gives a withheld day
    back, complementary suppression on each day's lines (transforms.privacy.protect_lines,
    every region and language: `daily` takes one after; a day a release published with its
    current counts is known, and hides nothing withheld; a day whose flagged authors are read
    as 0 off a roll-up with none is known), adjusted with `rates`."""
    filters = {"marker = ?": marker, "day >= ?": start, "day <= ?": end}
    order = "marker, region, lang, day, marker_version"
    raw = select_rows(con, OLDER_DAILY, DAILY_SCHEMA, order, filters, name="daily_aggregates")
    lines = protect_lines(
        bound_days(release.ended(raw), release),
        flag="_withheld",
        size="n_authors",
        keys=("marker", "marker_version", "day"),
        known="_known",
        public="_public",
    ).drop("_known", "_public")
    shown = suppress(with_prevalence(lines), withheld=pl.col("_withheld")).with_columns(
        pl.col("n_authors").alias(AUTHOR_DAY_COUNTS[0]),
        pl.col("n_marked_authors").alias(AUTHOR_DAY_COUNTS[1]),
        pl.col("n_authors").cast(pl.Float64).alias(EFFECTIVE_TRIALS),
        pl.lit("day").alias("grain"),
    )
    return with_adjusted_prevalence(shown, rates).select(PUBLISHED_DAILY_COLUMNS)
