"""The warehouse's tables, their columns (as polars schemas) and the idempotent DDL.

The Daily aggregate, Forecast, Alert and Dead-letter columns come from
`transforms.contracts`; the run ledger's are defined here, once. Every table is created
from these schemas, so a query's result can be conformed back to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from transforms.contracts import (
    ALERT_SCHEMA,
    BACKTEST_SCHEMA,
    CLUSTER_SUMS,
    DAILY_COUNTS,
    DAILY_KEYS,
    DAILY_SCHEMA,
    DEAD_LETTER_SCHEMA,
    FORECAST_SCHEMA,
    MODEL_CHOICE_SCHEMA,
    MODEL_CHOICE_STATUSES,
    PERIOD_KEYS,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
    SEVERITIES,
)
from transforms.dp import DP_CELL_SCHEMA, DP_KEYS
from transforms.releases import (
    CELL_KEY_SCHEMA,
    COUNTS_SCHEMA,
    PUBLISHED_AS,
    RECORD_SCHEMA,
    RELEASED_SCHEMA,
    SHOWN_SCHEMA,
)
from warehouse.current import refresh_current_versions
from warehouse.errors import SchemaMismatch

SCHEMA_VERSION = 19
"""Version of the table layout below; bump it with a migration in `create_schema`.

What each version added, and how an older file is upgraded and read: docs/schema_versions.md."""

OLDEST_READABLE = 3
"""The oldest layout that readers (dashboard, exports) open without an upgrade."""

UTC_DATETIME = pl.Datetime("us", "UTC")

RUN_STATUSES = ("running", "ok", "failed", "killed", "incomplete")
"""`killed`: the run's process was stopped before it could record anything (SIGKILL, power
loss); the next run finds its lock file and records it. `incomplete`: a stream session that
stopped and published what it loaded, but with posts read and counted in no day (in no pane loaded
of a day its run holds) (its job was cancelled with them still in its windows, or with messages it
had pulled and not processed); its count is in `run_counts` (category `unpublished`), as is a
`killed` stream session's, always a floor. Posts of a stream's panes of days another run holds are
no failure: counted apart (category `kept_out`, KEPT_OUT), whatever the status."""

RUN_SCHEMA = {
    "run_id": pl.String,
    "started_at": UTC_DATETIME,
    "finished_at": UTC_DATETIME,
    "as_of": pl.Date,
    "tz": pl.String,
    "package_version": pl.String,
    "marker_versions": pl.String,
    "status": pl.String,
    "read": pl.Int64,
    "valid": pl.Int64,
    "dead_lettered": pl.Int64,
    "duplicates": pl.Int64,
    "filtered": pl.Int64,
    "days": pl.Int64,
    "series": pl.Int64,
    "alerts": pl.Int64,
}
"""One row per execution of a run. `run_id` is deterministic (a rerun repeats it), so the key
is (`run_id`, `started_at`). `marker_versions` is JSON text: marker name → marker_version.
`read` … `alerts` are record, day, series and alert counts of that execution."""

RUN_INPUT_SCHEMA = {
    "run_id": pl.String,
    "path": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "mapping": pl.String,
    "n_read": pl.Int64,
    "n_dead_lettered": pl.Int64,
}
"""The input files of a run: path as given, SHA-256 of the content (hex), size in bytes, the
key of the preset or user mapping its records were read through (transforms.presets; null: the
Post field names), so that a later run reads it again the same way, and the records read from
it and dead-lettered (a short or damaged file shows here)."""

INPUT_DAY_SCHEMA = {
    "sha256": pl.String,
    "path": pl.String,
    "day": pl.Date,
    "n_records": pl.Int64,
}
"""Which local days a ledgered input covers, and how many valid records it has on each."""

RUN_COUNT_SCHEMA = {
    "run_id": pl.String,
    "category": pl.String,
    "day": pl.Date,
    "held_by": pl.String,
    "reason": pl.String,
    "n": pl.Int64,
}
"""Records a run set aside, by `category` (e.g. `dead_letter`, `filtered`, `duplicate`) and
`reason`; `day` and `held_by`, the local day of a KEPT_OUT row and the run that held it (null
in rows of the other categories)."""

KEPT_OUT = "kept_out"
"""The `run_counts` category of a stream run's posts kept out of days another run holds: one
row per day (`day`), `held_by` the run that held the day when the row was written, its reason
KEPT_OUT_REASON, `n` the posts of the run's newest pane of that day. Not a failure of the run:
the day is another run's."""

KEPT_OUT_REASON = "another run held the day"
"""The reason record_kept_out writes in a KEPT_OUT row: text for people, read by no code (the
day and its holder are the row's `day` and `held_by`)."""

_HELD_IN_REASON = (
    f"category = '{KEPT_OUT}' AND regexp_matches(reason, '^\\d{{4}}-\\d{{2}}-\\d{{2}} held by ')"
)
KEPT_OUT_FROM_REASON = (
    f"* REPLACE (CASE WHEN {_HELD_IN_REASON} THEN '{KEPT_OUT_REASON}' ELSE reason END AS reason), "
    f"CASE WHEN {_HELD_IN_REASON} THEN CAST(left(reason, 10) AS DATE) END AS day, "
    f"CASE WHEN {_HELD_IN_REASON} THEN substr(reason, 20) END AS held_by"
)
"""The SELECT list that reads a `run_counts` table of a file older than schema version 19 (no
`day`, no `held_by`) as RUN_COUNT_SCHEMA: a KEPT_OUT row's reason, then
`<day, ISO> held by <holder>`, gives its `day` and `held_by`, and becomes KEPT_OUT_REASON; the
other rows get a null `day` and `held_by`."""

DEAD_LETTER_TABLE_SCHEMA = {**DEAD_LETTER_SCHEMA, "run_id": pl.String}
"""A Dead letter contract row and the run that produced it."""

DAY_PANE_SCHEMA = {
    "day": pl.Date,
    "run_id": pl.String,
    "started_at": UTC_DATETIME,
    "pane_index": pl.Int64,
    "timing": pl.String,
    "fired_at": UTC_DATETIME,
    "provisional": pl.Boolean,
}
"""The streaming pane a local day was last loaded from: the stream run and when it started,
the pane's index and timing (`early`, `on_time`, `late`, `unknown`), when it fired, and
whether the day is still open (`provisional`: an early pane). A day loaded by a file run has
no row."""

STREAM_FILE_SCHEMA = {"name": pl.String, "run_id": pl.String, "loaded_at": UTC_DATETIME}
"""Counts and dead-letter files of a stream run already loaded, so that none counts twice."""

RELEASE_SETTINGS_SCHEMA = {
    "privacy": pl.String,
    "k": pl.Int64,
    "week_grain": pl.String,
    "open_from": pl.Date,
}
"""The settings the last write that published (a run, a follow cycle, a stream load) chose its
release with, one row (warehouse.releases): readers compute the same release or refuse.
`open_from` is the day its clock was on in the analysis time zone (transforms.releases
`Release.open_from`: days from it on had not ended); null where the write passed none."""

FORECAST_GRAIN_SCHEMA = {"unique_id": pl.String, "grain": pl.String, "run_id": pl.String}
"""The grain each series of the latest run's forecasts and alerts was forecast and alerted at
(transforms.series.DERIVED_GRAIN_SCHEMA) and that run's id, stored by its forecast step with
the forecasts and alerts: the readers label them with it, not with the grain the release of a later
write (a stream load, which forecasts nothing) would give the series."""

CURRENT_VERSION_SCHEMA = {"marker": pl.String, "marker_version": pl.String}
"""Each marker's current `marker_version`, derived from `daily_aggregates` and `runs` and kept
up to date by the writers of those tables (`warehouse.current`)."""


@dataclass(frozen=True)
class Table:
    """A table: its columns, primary key, NOT NULL columns and CHECK constraints (SQL).

    `unique`, for a table without a primary key, a UNIQUE constraint over columns some of
    which may be null: DuckDB takes nulls as distinct there, so the table refuses a repeat only
    of a row with no null among them. `run_counts`' is (`run_id`, `category`, `day`): a
    KEPT_OUT row has a day (a CHECK), so the table itself refuses a second row of a run's day,
    whatever its holder or reason; its other rows, whose day is null, it does not check.
    `row_identity`, where `key` and `unique` do not say it, the columns each row's values of
    which appear once, nulls equal (`run_counts`: `reason` too, which tells its null-day rows
    apart). The writers that take a whole frame (writes.replace_all, ledger.record_counts)
    check `identity` so; the others write rows unique by construction (one row per category or
    day, or grouped by every column but the count)."""

    name: str
    columns: dict[str, pl.DataType]
    key: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    row_identity: tuple[str, ...] = ()

    @property
    def identity(self) -> tuple[str, ...]:
        """The columns each row's values of which appear once, nulls equal: `row_identity`,
        else `key`, else `unique`."""
        return self.row_identity or self.key or self.unique

    def ddl(self) -> str:
        """`CREATE TABLE IF NOT EXISTS` for this table."""
        lines = []
        for column, dtype in self.columns.items():
            null = " NOT NULL" if column in self.not_null or column in self.key else ""
            lines.append(f"{quote(column)} {sql_type(dtype)}{null}")
        if self.key:
            lines.append(f"PRIMARY KEY ({', '.join(quote(c) for c in self.key)})")
        if self.unique:
            lines.append(f"UNIQUE ({', '.join(quote(c) for c in self.unique)})")
        lines.extend(f"CHECK ({check})" for check in self.checks)
        body = ",\n    ".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {quote(self.name)} (\n    {body}\n)"


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes (`end`, `read` and friends are keywords)."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_type(dtype: pl.DataType) -> str:
    """The DuckDB type of a polars type used in a contract."""
    if dtype == pl.String:
        return "VARCHAR"
    if dtype == pl.Date:
        return "DATE"
    if dtype == pl.Int64:
        return "BIGINT"
    if dtype == pl.Float64:
        return "DOUBLE"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == UTC_DATETIME:
        return "TIMESTAMPTZ"
    raise TypeError(f"no DuckDB type for {dtype}; add it to warehouse.schema.sql_type")


_SEVERITY_LIST = ", ".join(f"'{s}'" for s in SEVERITIES)
_STATUS_LIST = ", ".join(f"'{s}'" for s in RUN_STATUSES)
_CHOICE_LIST = ", ".join(f"'{s}'" for s in MODEL_CHOICE_STATUSES)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "daily_aggregates",
            DAILY_SCHEMA,
            key=DAILY_KEYS,
            not_null=tuple(DAILY_SCHEMA),
            checks=(
                *(f"{c} >= 0" for c in DAILY_COUNTS),
                "n_marked <= n_scored",
                "n_scored <= n_posts",
                "n_marked_authors <= n_authors",
                "sample_rate >= 0 AND sample_rate <= 1",
            ),
        ),
        Table(
            "period_aggregates",
            PERIOD_SCHEMA,
            key=PERIOD_KEYS,
            not_null=tuple(
                c
                for c in PERIOD_SCHEMA
                if c not in (*CLUSTER_SUMS, *POST_CLUSTER_SUMS, POST_CLUSTERS)
            ),
            checks=(
                *(
                    f"{c} >= 0"
                    for c in (*DAILY_COUNTS, *CLUSTER_SUMS, *POST_CLUSTER_SUMS, POST_CLUSTERS)
                ),
                "n_marked_authors <= n_authors",
                "period_end = period_start + CASE WHEN grain LIKE '%_8week' THEN 55 ELSE 6 END",
                "grain IN ('iso_week', 'epi_week', 'iso_8week', 'epi_8week')",
            ),
        ),
        Table("dp_daily", DP_CELL_SCHEMA, key=DP_KEYS, not_null=tuple(DP_CELL_SCHEMA)),
        Table(
            "runs",
            RUN_SCHEMA,
            key=("run_id", "started_at"),
            not_null=tuple(c for c in RUN_SCHEMA if c != "finished_at"),
            checks=(f"status IN ({_STATUS_LIST})",),
        ),
        Table("run_inputs", RUN_INPUT_SCHEMA, key=("run_id", "path"), not_null=("sha256", "bytes")),
        Table(
            "input_days", INPUT_DAY_SCHEMA, key=("sha256", "day"), not_null=("path", "n_records")
        ),
        Table(
            "run_counts",
            RUN_COUNT_SCHEMA,
            not_null=tuple(c for c in RUN_COUNT_SCHEMA if c not in ("day", "held_by")),
            checks=(f"category <> '{KEPT_OUT}' OR (day IS NOT NULL AND held_by IS NOT NULL)",),
            unique=("run_id", "category", "day"),
            row_identity=("run_id", "category", "day", "reason"),
        ),
        Table(
            "dead_letters",
            DEAD_LETTER_TABLE_SCHEMA,
            not_null=("source", "reason", "record_sha256", "run_id"),
        ),
        Table(
            "forecasts",
            FORECAST_SCHEMA,
            key=("unique_id", "ds", "model"),
            not_null=("run_id",),
        ),
        Table(
            "alerts",
            ALERT_SCHEMA,
            not_null=tuple(c for c in ALERT_SCHEMA if c not in ("peak_value", "threshold")),
            checks=(f"severity IN ({_SEVERITY_LIST})", '"start" <= peak', 'peak <= "end"'),
        ),
        Table(
            "backtests",
            BACKTEST_SCHEMA,
            key=("unique_id", "model", "window"),
            not_null=("run_id",),
        ),
        Table(
            "model_choice",
            MODEL_CHOICE_SCHEMA,
            key=("unique_id",),
            not_null=("model", "status", "reason", "run_id"),
            checks=(f"status IN ({_CHOICE_LIST})",),
        ),
        Table(
            "forecast_grains",
            FORECAST_GRAIN_SCHEMA,
            key=("unique_id",),
            not_null=tuple(FORECAST_GRAIN_SCHEMA),
        ),
        Table(
            "day_panes",
            DAY_PANE_SCHEMA,
            key=("day",),
            not_null=tuple(DAY_PANE_SCHEMA),
            checks=("timing IN ('early', 'on_time', 'late', 'unknown')",),
        ),
        Table(
            "stream_files", STREAM_FILE_SCHEMA, key=("name",), not_null=tuple(STREAM_FILE_SCHEMA)
        ),
        Table(
            "published_grains",
            RECORD_SCHEMA,
            key=tuple(CELL_KEY_SCHEMA),
            not_null=tuple(RECORD_SCHEMA),
            checks=(
                f"published_as IN ({', '.join(repr(a) for a in PUBLISHED_AS)})",
                "grain IN ('iso_week', 'epi_week', 'iso_8week', 'epi_8week')",
            ),
        ),
        Table(
            "published_counts",
            RELEASED_SCHEMA,
            not_null=tuple(COUNTS_SCHEMA),
            checks=("grain IN ('day', 'iso_week', 'epi_week', 'iso_8week', 'epi_8week')",),
        ),
        Table(
            "withheld_counts",
            RELEASED_SCHEMA,
            not_null=tuple(COUNTS_SCHEMA),
            checks=("grain IN ('day', 'iso_week', 'epi_week')",),
        ),
        Table(
            "shown_cells",
            SHOWN_SCHEMA,
            key=(*CELL_KEY_SCHEMA, "release"),
            not_null=tuple(SHOWN_SCHEMA),
            checks=("grain IN ('day', 'iso_week', 'epi_week', 'iso_8week', 'epi_8week')",),
        ),
        Table(
            "release_settings",
            RELEASE_SETTINGS_SCHEMA,
            not_null=("privacy", "k", "week_grain"),
            checks=("privacy IN ('suppress', 'dp')", "week_grain IN ('iso_week', 'epi_week')"),
        ),
        Table(
            "current_versions",
            CURRENT_VERSION_SCHEMA,
            key=("marker",),
            not_null=("marker_version",),
        ),
    )
}
"""Every data table, by name."""


def schema_version(con: duckdb.DuckDBPyConnection, *, catalog: str | None = None) -> int | None:
    """The layout version recorded in a warehouse, or None when it has no `schema_version`."""
    where = f"database_name = '{catalog}'" if catalog else "database_name = current_database()"
    found = con.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE {where} AND table_name = 'schema_version'"
    ).fetchall()
    if not found or found[0][0] == 0:
        return None
    prefix = f"{quote(catalog)}.main." if catalog else ""
    rows = con.execute(f"SELECT max(version) FROM {prefix}schema_version").fetchall()
    return None if not rows or rows[0][0] is None else int(rows[0][0])


def check_version(version: int | None, *, where: str) -> None:
    """Raise SchemaMismatch unless readers can use `version` (OLDEST_READABLE to
    SCHEMA_VERSION)."""
    if version is not None and OLDEST_READABLE <= version <= SCHEMA_VERSION:
        return
    if version is None:
        raise SchemaMismatch(
            f"{where} is not a moodcast warehouse (it has no schema_version table). "
            f"Point the data directory elsewhere, or move that file away and run again."
        )
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(
            f"{where} has warehouse schema version {version}, newer than this moodcast "
            f"understands ({SCHEMA_VERSION}). Upgrade moodcast."
        )
    raise SchemaMismatch(
        f"{where} has warehouse schema version {version}, older than {OLDEST_READABLE}. "
        f"Run `moodcast run` to upgrade it."
    )


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of `table` (a table, or a view `open_published` makes), in order."""
    return con.sql(f"SELECT * FROM {quote(table)} LIMIT 0").columns


def _rebuild(
    con: duckdb.DuckDBPyConnection, table: str, *, where: str = "", select: str = "*"
) -> None:
    """Recreate `table` under its DDL in TABLES and copy its rows back by column name, as the
    SQL SELECT list `select` reads them, only those that satisfy the SQL condition `where`
    when one is given (DuckDB cannot alter a CHECK constraint or a key in place). Columns
    `select` does not give are null."""
    old = quote(f"{table}_old")
    con.execute(f"ALTER TABLE {quote(table)} RENAME TO {old}")
    con.execute(TABLES[table].ddl())
    condition = f" WHERE {where}" if where else ""
    con.execute(f"INSERT INTO {quote(table)} BY NAME SELECT {select} FROM {old}{condition}")
    con.execute(f"DROP TABLE {old}")


def create_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Create every table that does not exist yet and record SCHEMA_VERSION; return it.

    Idempotent: on a warehouse already at SCHEMA_VERSION it changes nothing. Raises
    SchemaMismatch on a warehouse from a newer moodcast. A table whose DDL changed is rebuilt
    only in a file that already had it (`period_aggregates` since version 5,
    `published_grains` since 8); an older file has just created it empty under the new DDL.
    """
    found = schema_version(con)
    if found is not None and found > SCHEMA_VERSION:
        check_version(found, where="This warehouse")
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    for table in TABLES.values():
        con.execute(table.ddl())
    if found is not None and found < 3:
        refresh_current_versions(con)
    if found is not None and found < 4:
        con.execute("ALTER TABLE run_inputs ADD COLUMN IF NOT EXISTS mapping VARCHAR")
    if found is not None and found < 5:
        con.execute("ALTER TABLE alerts ADD COLUMN IF NOT EXISTS issued_on DATE")
        for column in ("n_read", "n_dead_lettered"):
            con.execute(f"ALTER TABLE run_inputs ADD COLUMN IF NOT EXISTS {column} BIGINT")
    if found is not None and found < 15:
        _rebuild(con, "runs")
    if found is not None and 5 <= found < 12:
        _rebuild(con, "period_aggregates", where="grain <> 'rolling_7'")
    if found == 8:
        _rebuild(con, "published_grains")
    if found is not None and found < 13:
        con.execute("ALTER TABLE release_settings ADD COLUMN IF NOT EXISTS open_from DATE")
    if found is not None and found < 17:
        for table in ("published_counts", "withheld_counts"):
            _rebuild(con, table)
    if found is not None and found < 19 and "day" not in columns(con, "run_counts"):
        _rebuild(con, "run_counts", select=KEPT_OUT_FROM_REASON)
    con.execute(
        "INSERT INTO schema_version SELECT ?, now() "
        "WHERE NOT EXISTS (SELECT 1 FROM schema_version WHERE version = ?)",
        [SCHEMA_VERSION, SCHEMA_VERSION],
    )
    return SCHEMA_VERSION
