"""What the read-only query modules (`warehouse.queries`, `warehouse.older_versions`,
`warehouse.forecast_queries`) share: the WHERE clause of optional filters, the conformed
SELECT of a table's rows, and the columns of a published day. Nothing here writes."""

from __future__ import annotations

import duckdb
import polars as pl

from transforms.contracts import DAILY_SCHEMA, conform
from transforms.prevalence import AUTHOR_DAY_COUNTS, EFFECTIVE_TRIALS, PREVALENCE_COLUMNS
from transforms.quantify import ADJUSTED_COLUMNS

PUBLISHED_DAILY_COLUMNS = (
    *DAILY_SCHEMA,
    *AUTHOR_DAY_COUNTS,
    *PREVALENCE_COLUMNS,
    EFFECTIVE_TRIALS,
    *ADJUSTED_COLUMNS,
    "validation",
    "grain",
    "suppressed",
)
"""The columns of `warehouse.queries.daily`, in order."""


def where_clause(conditions: dict[str, object]) -> tuple[str, list[object]]:
    """`conditions` maps an SQL test with one `?` to its value; None values are skipped."""
    kept = {test: value for test, value in conditions.items() if value is not None}
    where = " WHERE " + " AND ".join(kept) if kept else ""
    return where, list(kept.values())


def select_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: dict[str, pl.DataType],
    order: str,
    conditions: dict[str, object] | None = None,
    *,
    name: str | None = None,
) -> pl.DataFrame:
    """Every row of `table` (a name or a parenthesised query) that meets `conditions` (as
    `where_clause`), sorted by `order` (SQL), conformed to `schema` under `name` (default:
    `table`)."""
    where, params = where_clause(conditions or {})
    frame = con.sql(f"SELECT * FROM {table}{where} ORDER BY {order}", params=params).pl()
    return conform(frame, schema, name=name or table)
