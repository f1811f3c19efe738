"""Read-only facts about a published warehouse that the dashboard shows beside the data.

Which tables it holds (a file from an older run may lack newer ones), how fresh it is, and how
many published cells are suppressed. Like `queries`, nothing here writes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.privacy import DEFAULT_K, is_suppressed
from warehouse.release_record import release_open_from

SUPPRESSED_CELL_SCHEMA = {
    "marker": pl.String,
    "region": pl.String,
    "cells": pl.UInt32,
    "suppressed": pl.UInt32,
    "share_suppressed": pl.Float64,
}


def table_names(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The tables a connection sees unqualified (tables, or the views `open_published` makes)."""
    rows = con.sql(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION SELECT view_name FROM duckdb_views() "
        "WHERE NOT internal AND database_name = current_database()"
    ).fetchall()
    return frozenset(name for (name,) in rows)


def latest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest local day with a Daily aggregate, or None for an empty warehouse."""
    return con.execute("SELECT max(day) FROM daily_aggregates").fetchall()[0][0]


def latest_ended_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest local day with a Daily aggregate that the last write that published held as
    ended (before its `open_from`, release_record.release_open_from: the days forecasts read), or None
    where there is none."""
    open_from = release_open_from(con)
    if open_from is None:
        return latest_day(con)
    return con.execute(
        "SELECT max(day) FROM daily_aggregates WHERE day < ?", [open_from]
    ).fetchall()[0][0]


def first_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest local day with a Daily aggregate, or None for an empty warehouse."""
    return con.execute("SELECT min(day) FROM daily_aggregates").fetchall()[0][0]


def suppressed_cells(con: duckdb.DuckDBPyConnection, *, k: int = DEFAULT_K) -> pl.DataFrame:
    """Published cells and how many are suppressed at `k`, per marker and region (all days and
    languages of current marker versions), most suppressed share first. Counts only, never
    the suppressed values.

    The database counts the cells per marker, region and author counts capped at `k` (the
    rule of `transforms.privacy.is_suppressed` only asks whether a count is below `k`), so
    only those few thousand groups, not every cell, come back to be judged by that rule.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    groups = con.sql(
        "SELECT marker, region, least(n_authors, ?) AS n_authors, "
        "least(n_marked_authors, ?) AS n_marked_authors, count(*) AS n "
        "FROM daily_aggregates JOIN current_versions USING (marker, marker_version) "
        "GROUP BY ALL",
        params=[k, k],
    ).pl()
    frame = (
        groups.group_by("marker", "region")
        .agg(
            cells=pl.col("n").sum().cast(pl.UInt32),
            suppressed=pl.col("n").filter(is_suppressed(k=k)).sum().cast(pl.UInt32),
        )
        .with_columns(share_suppressed=pl.col("suppressed") / pl.col("cells"))
        .sort("share_suppressed", "marker", "region", descending=[True, False, False])
    )
    return frame.select(list(SUPPRESSED_CELL_SCHEMA)).cast(SUPPRESSED_CELL_SCHEMA)
