"""Writes of the published tables: Daily aggregates by whole days, period aggregates, DP
releases, forecasts and alerts, each as `warehouse.writes` describes (validated first, one
transaction, idempotent). The run ledger is written by `warehouse.ledger`.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from transforms.contracts import (
    ALERT_SCHEMA,
    DAILY_KEYS,
    DAILY_SCHEMA,
    FORECAST_SCHEMA,
    PERIOD_KEYS,
    PERIOD_SCHEMA,
    SEVERITIES,
    conform,
)
from transforms.dp import DP_CELL_SCHEMA, DP_KEYS
from transforms.periods import PERIOD_GRAINS, periods_of
from warehouse.current import refresh_current_versions
from warehouse.errors import LoadError
from warehouse.schema import DAY_PANE_SCHEMA, FORECAST_GRAIN_SCHEMA
from warehouse.writes import insert, registered, replace_all, require_unique, transaction

DailySource = pl.DataFrame | str | os.PathLike[str]


@dataclass(frozen=True)
class DayLoad:
    """What `load_daily` did: the days replaced, rows deleted from them and rows inserted."""

    days: int
    deleted: int
    inserted: int


def _delete(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def _read_daily(daily: DailySource) -> pl.DataFrame:
    if isinstance(daily, pl.DataFrame):
        return conform(daily, DAILY_SCHEMA, name="daily aggregates")
    path = Path(daily)
    try:
        frame = pl.read_parquet(path)
    except FileNotFoundError as exc:
        raise LoadError(f"Landing file {path} does not exist; rerun the ingest for it.") from exc
    return conform(frame, DAILY_SCHEMA, name=f"daily aggregates in {path}")


def daily_rows(daily: DailySource, *, days: Collection[date]) -> pl.DataFrame:
    """`daily` (a frame or a landing Parquet file) conformed to the Daily aggregate contract,
    checked as `load_daily` checks it: raises ContractError for missing or mistyped columns and
    LoadError for rows outside `days` or repeated keys."""
    frame = _read_daily(daily)
    outside = frame.filter(~pl.col("day").is_in(sorted(set(days))))["day"].unique().sort()
    if outside.len():
        shown = ", ".join(str(d) for d in outside.head(5).to_list())
        raise LoadError(
            f"{outside.len()} day(s) in the daily aggregates are not among the days being "
            f"replaced ({shown}); pass every day the rows cover in `days`."
        )
    require_unique(frame, DAILY_KEYS, table="daily_aggregates")
    return frame


def load_daily(
    con: duckdb.DuckDBPyConnection,
    daily: DailySource,
    *,
    days: Collection[date],
    panes: pl.DataFrame | None = None,
) -> DayLoad:
    """Replace whole local days of `daily_aggregates` with `daily`, in one transaction.

    `daily` is a frame or a landing Parquet file of the Daily aggregate contract; every row
    must fall on one of `days`. All rows on those days, of any marker or version, are
    deleted and `daily` inserted, so a day with no rows in `daily` ends up empty, and no longer
    counts as loaded from a streaming pane (`day_panes`) unless `panes` (DAY_PANE_SCHEMA, one
    row per day, each on one of `days`; warehouse.panes passes them) records the pane it was
    loaded from, in the same transaction. Raises ContractError for missing or mistyped columns
    and LoadError for rows outside `days`, repeated keys or inconsistent counts (nothing is
    changed then). Refreshes `current_versions` in the same transaction.
    """
    frame = daily_rows(daily, days=days)
    wanted = sorted(set(days))
    recorded = conform(
        pl.DataFrame(schema=DAY_PANE_SCHEMA) if panes is None else panes,
        DAY_PANE_SCHEMA,
        name="day panes",
    )
    if not recorded.get_column("day").is_in(wanted).all():
        raise LoadError("day_panes rows must each be on one of the days being replaced")
    require_unique(recorded, ("day",), table="day_panes")
    if not wanted:
        return DayLoad(days=0, deleted=0, inserted=0)
    with (
        registered(con, frame) as view,
        registered(con, recorded, "_incoming_panes") as pane_view,
        transaction(con, "daily_aggregates, day_panes"),
    ):
        deleted = _delete(
            con,
            "DELETE FROM daily_aggregates WHERE day IN (SELECT unnest(?::DATE[]))",
            [wanted],
        )
        insert(con, "daily_aggregates", view, frame.columns)
        con.execute("DELETE FROM day_panes WHERE day IN (SELECT unnest(?::DATE[]))", [wanted])
        insert(con, "day_panes", pane_view, recorded.columns)
        refresh_current_versions(con)
    return DayLoad(days=len(wanted), deleted=deleted, inserted=frame.height)


def load_periods(
    con: duckdb.DuckDBPyConnection, periods: pl.DataFrame, *, days: Collection[date]
) -> int:
    """Replace, in one transaction, every `period_aggregates` period that holds one of `days`
    with the rows of `periods` (PERIOD_SCHEMA) for those periods; rows of other periods are
    left out. The caller must have read every input covering any day of those periods (see
    `touched_days`). Returns the rows inserted; raises as `load_daily` does.
    """
    frame = conform(periods, PERIOD_SCHEMA, name="period aggregates")
    wanted = sorted(set(days))
    starts = pl.DataFrame(
        [
            (grain, start)
            for grain in PERIOD_GRAINS
            for start in sorted({s for day in wanted for s in periods_of(day, grain)})
        ],
        schema={"grain": pl.String, "period_start": pl.Date},
        orient="row",
    )
    touched = frame.join(starts, on=["grain", "period_start"], how="semi")
    require_unique(touched, PERIOD_KEYS, table="period_aggregates")
    if not wanted:
        return 0
    with registered(con, touched) as view, transaction(con, "period_aggregates"):
        for grain, part in starts.group_by("grain"):
            con.execute(
                "DELETE FROM period_aggregates WHERE grain = ? "
                "AND period_start IN (SELECT unnest(?::DATE[]))",
                [grain[0], part.get_column("period_start").to_list()],
            )
        insert(con, "period_aggregates", view, touched.columns)
    return touched.height


def load_dp_daily(
    con: duckdb.DuckDBPyConnection, cells: pl.DataFrame, *, before: date | None = None
) -> int:
    """Release the noisy cells (transforms.dp.DP_CELL_SCHEMA) of each day, marker and marker
    version of `cells` that `dp_daily` does not hold yet, on days before `before` (the first
    day still open to posts) when given, in one transaction. A released day is never drawn
    again: a second draw of the same authors' counts would spend their (ε, δ) again, and the
    two draws together would tell more than the stated budget. Returns rows inserted."""
    frame = conform(cells, DP_CELL_SCHEMA, name="dp cells")
    if before is not None:
        frame = frame.filter(pl.col("day") < before)
    require_unique(frame, DP_KEYS, table="dp_daily")
    released = ("day", "marker", "marker_version")
    held = con.sql("SELECT DISTINCT day, marker, marker_version FROM dp_daily").pl()
    frame = frame.join(held.cast(frame.select(released).schema), on=released, how="anti")
    with registered(con, frame) as view, transaction(con, "dp_daily"):
        insert(con, "dp_daily", view, frame.columns)
    return frame.height


def replace_forecasts(con: duckdb.DuckDBPyConnection, forecasts: pl.DataFrame) -> int:
    """Make `forecasts` (the Forecast contract) the whole `forecasts` table; return its rows."""
    return replace_all(con, "forecasts", forecasts, FORECAST_SCHEMA)


def replace_forecast_grains(con: duckdb.DuckDBPyConnection, grains: pl.DataFrame) -> int:
    """Make `grains` (FORECAST_GRAIN_SCHEMA: the grain each series was forecast at) the whole
    `forecast_grains` table; return its rows."""
    return replace_all(con, "forecast_grains", grains, FORECAST_GRAIN_SCHEMA)


def replace_alerts(con: duckdb.DuckDBPyConnection, alerts: pl.DataFrame) -> int:
    """Make `alerts` (the Alert contract) the whole `alerts` table; return its rows.

    An alert keeps the earliest `issued_on` of the alerts it continues: those of the table
    before (earlier runs) on the same series and method (a `…_forecast` alert counts as its
    method's) whose period overlaps its own. Raises LoadError when a severity is not one of
    low, medium, high.
    """
    rows = conform(alerts, ALERT_SCHEMA, name="alerts")
    bad = rows.filter(~pl.col("severity").is_in(SEVERITIES))["severity"].unique().to_list()
    if bad:
        raise LoadError(
            f"alerts have severities {bad}; use one of {', '.join(SEVERITIES)} and run again."
        )
    before = con.sql('SELECT unique_id, method, "start", "end", issued_on FROM alerts').pl()
    return replace_all(con, "alerts", first_issued(rows, before), ALERT_SCHEMA)


def first_issued(alerts: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """`alerts` with each `issued_on` the earliest of its own and those of the rows of
    `before` (`unique_id`, `method`, `start`, `end`, `issued_on`) it continues (see
    `replace_alerts`)."""
    lineage = pl.col("method").str.strip_suffix("_forecast").alias("_lineage")
    earlier = (
        alerts.with_row_index("_i")
        .with_columns(lineage)
        .join(
            before.drop_nulls("issued_on").with_columns(lineage),
            on=["unique_id", "_lineage"],
            suffix="_before",
        )
        .filter(
            (pl.col("start_before") <= pl.col("end")) & (pl.col("end_before") >= pl.col("start"))
        )
        .group_by("_i")
        .agg(pl.col("issued_on_before").min())
    )
    return (
        alerts.with_row_index("_i")
        .join(earlier, on="_i", how="left")
        .with_columns(pl.min_horizontal("issued_on", "issued_on_before").alias("issued_on"))
        .select(alerts.columns)
    )
