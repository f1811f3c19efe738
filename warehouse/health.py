"""Read-only facts about a published warehouse that the dashboard shows beside the data.

Which tables it holds (a file from an older run may lack newer ones), how fresh it is, and how
many published cells are suppressed. Like `queries`, nothing here writes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.privacy import DEFAULT_K, is_suppressed
from warehouse.queries import current_versions

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


def suppressed_cells(con: duckdb.DuckDBPyConnection, *, k: int = DEFAULT_K) -> pl.DataFrame:
    """Published cells and how many are suppressed at `k`, per marker and region (all days and
    languages of current marker versions), most suppressed share first. Counts only, never
    the suppressed values."""
    counts = con.sql(
        "SELECT marker, marker_version, region, n_authors, n_marked_authors FROM daily_aggregates"
    ).pl()
    frame = (
        counts.join(current_versions(con), on=["marker", "marker_version"])
        .group_by("marker", "region")
        .agg(cells=pl.len(), suppressed=is_suppressed(k=k).sum().cast(pl.UInt32))
        .with_columns(share_suppressed=pl.col("suppressed") / pl.col("cells"))
        .sort("share_suppressed", "marker", "region", descending=[True, False, False])
    )
    return frame.select(list(SUPPRESSED_CELL_SCHEMA)).cast(SUPPRESSED_CELL_SCHEMA)
