"""Writes into the warehouse: Daily aggregates by whole days, the run ledger, current state.

Every function takes the read-write connection that `store.writing` yields, validates its
frame against the contract first (raising LoadError or ContractError with the reason), and
runs in one transaction, so a failed call changes nothing. Each is idempotent: repeating a
call with the same arguments leaves the same tables.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from transforms.aggregate import PERIOD_GRAINS, periods_of
from transforms.contracts import (
    ALERT_SCHEMA,
    DAILY_KEYS,
    DAILY_SCHEMA,
    DEAD_LETTER_SCHEMA,
    FORECAST_SCHEMA,
    PERIOD_KEYS,
    PERIOD_SCHEMA,
    SEVERITIES,
    conform,
)
from transforms.dp import DP_CELL_SCHEMA, DP_KEYS
from warehouse.current import refresh_current_versions
from warehouse.errors import LoadError
from warehouse.schema import (
    INPUT_DAY_SCHEMA,
    RUN_COUNT_SCHEMA,
    RUN_INPUT_SCHEMA,
    RUN_SCHEMA,
    RUN_STATUSES,
    TABLES,
    quote,
)

RunStatus = Literal["running", "ok", "failed"]

DailySource = pl.DataFrame | str | os.PathLike[str]


@dataclass(frozen=True)
class DayLoad:
    """What `load_daily` did: the days replaced, rows deleted from them and rows inserted."""

    days: int
    deleted: int
    inserted: int


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One execution of a run, as the `runs` table keeps it.

    `started_at` and `finished_at` must be time-zone aware; `as_of` is the local day the run
    treats as today in time zone `tz`; `marker_versions` maps marker name to marker_version
    (a mapping or JSON object text; kept as a sorted dict). `status` is `running`, `ok`,
    `failed` or `killed`; only `ok` runs count as having ledgered their inputs. The counts are of that execution: records read, valid, dead-lettered, duplicates and
    filtered out; days loaded, series forecast and alerts raised.
    """

    run_id: str
    started_at: datetime
    as_of: date
    tz: str
    package_version: str
    status: RunStatus
    marker_versions: Mapping[str, str] | str = field(default_factory=dict)
    finished_at: datetime | None = None
    read: int = 0
    valid: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    filtered: int = 0
    days: int = 0
    series: int = 0
    alerts: int = 0

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES:
            raise ValueError(
                f"status must be one of {', '.join(RUN_STATUSES)}, not {self.status!r}"
            )
        for name in ("started_at", "finished_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be time-zone aware, e.g. datetime.now(UTC)")
        versions = self.marker_versions
        if isinstance(versions, str):
            try:
                versions = json.loads(versions)
            except ValueError as exc:
                raise ValueError(f"marker_versions is not JSON: {exc}") from exc
        if not isinstance(versions, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in versions.items()
        ):
            raise ValueError("marker_versions must map marker names to marker_version strings")
        object.__setattr__(self, "marker_versions", dict(sorted(versions.items())))

    def as_note(self) -> dict:
        """What a RunLock notes about this run (RunLock.note), for `killed_run` to rebuild."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "as_of": self.as_of.isoformat(),
            "tz": self.tz,
            "package_version": self.package_version,
            "marker_versions": dict(self.marker_versions),
        }

    def to_frame(self) -> pl.DataFrame:
        """This record as a one-row frame of RUN_SCHEMA (`marker_versions` as sorted JSON)."""
        row = {name: getattr(self, name) for name in RUN_SCHEMA}
        row["marker_versions"] = json.dumps(self.marker_versions, sort_keys=True)
        return pl.DataFrame([row], schema=RUN_SCHEMA)


def killed_run(note: dict) -> RunRecord | None:
    """The `killed` ledger row of the run a dead lock holder noted (RunRecord.as_note), or
    None when the note is unreadable."""
    try:
        return RunRecord(
            run_id=str(note["run_id"]),
            started_at=datetime.fromisoformat(note["started_at"]),
            as_of=date.fromisoformat(note["as_of"]),
            tz=str(note["tz"]),
            package_version=str(note["package_version"]),
            marker_versions=note["marker_versions"],
            status="killed",
        )
    except (KeyError, TypeError, ValueError):
        return None


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, table: str) -> Iterator[None]:
    con.begin()
    try:
        yield
    except duckdb.ConstraintException as exc:
        con.rollback()
        raise LoadError(
            f"Rows for {table} break a constraint, so nothing was loaded: {exc}. The producing "
            f"stage wrote inconsistent output; fix or regenerate it and run again."
        ) from exc
    except BaseException:
        con.rollback()
        raise
    con.commit()


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> Iterator[str]:
    """Expose `frame` to SQL under a private name; unregistered after any transaction ends."""
    name = "_incoming"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _insert(con: duckdb.DuckDBPyConnection, table: str, view: str, columns: list[str]) -> None:
    names = ", ".join(quote(c) for c in columns)
    con.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {view}")


def _delete(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def _unique(frame: pl.DataFrame, keys: Collection[str], *, table: str) -> None:
    duplicated = frame.select(keys).filter(frame.select(keys).is_duplicated())
    if duplicated.height:
        example = ", ".join(f"{k}={v}" for k, v in duplicated.row(0, named=True).items())
        raise LoadError(
            f"{duplicated.height} rows for {table} repeat a key ({example}); each "
            f"({', '.join(keys)}) must appear once. Deduplicate upstream and run again."
        )


def _read_daily(daily: DailySource) -> pl.DataFrame:
    if isinstance(daily, pl.DataFrame):
        return conform(daily, DAILY_SCHEMA, name="daily aggregates")
    path = Path(daily)
    try:
        frame = pl.read_parquet(path)
    except FileNotFoundError as exc:
        raise LoadError(f"Landing file {path} does not exist; rerun the ingest for it.") from exc
    return conform(frame, DAILY_SCHEMA, name=f"daily aggregates in {path}")


def load_daily(
    con: duckdb.DuckDBPyConnection, daily: DailySource, *, days: Collection[date]
) -> DayLoad:
    """Replace whole local days of `daily_aggregates` with `daily`, in one transaction.

    `daily` is a frame or a landing Parquet file of the Daily aggregate contract; every row
    must fall on one of `days`. All rows on those days, of any marker or version, are
    deleted and `daily` inserted, so a day with no rows in `daily` ends up empty, and no longer
    counts as loaded from a streaming pane (`day_panes`; warehouse.panes records one). Raises
    ContractError for missing or mistyped columns and LoadError for rows outside `days`,
    repeated keys or inconsistent counts (nothing is changed then). Refreshes
    `current_versions` in the same transaction.
    """
    frame = _read_daily(daily)
    wanted = sorted(set(days))
    outside = frame.filter(~pl.col("day").is_in(wanted))["day"].unique().sort()
    if outside.len():
        shown = ", ".join(str(d) for d in outside.head(5).to_list())
        raise LoadError(
            f"{outside.len()} day(s) in the daily aggregates are not among the days being "
            f"replaced ({shown}); pass every day the rows cover in `days`."
        )
    _unique(frame, DAILY_KEYS, table="daily_aggregates")
    if not wanted:
        return DayLoad(days=0, deleted=0, inserted=0)
    with _registered(con, frame) as view, _transaction(con, "daily_aggregates"):
        deleted = _delete(
            con,
            "DELETE FROM daily_aggregates WHERE day IN (SELECT unnest(?::DATE[]))",
            [wanted],
        )
        _insert(con, "daily_aggregates", view, frame.columns)
        con.execute("DELETE FROM day_panes WHERE day IN (SELECT unnest(?::DATE[]))", [wanted])
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
    _unique(touched, PERIOD_KEYS, table="period_aggregates")
    if not wanted:
        return 0
    with _registered(con, touched) as view, _transaction(con, "period_aggregates"):
        for grain, part in starts.group_by("grain"):
            con.execute(
                "DELETE FROM period_aggregates WHERE grain = ? "
                "AND period_start IN (SELECT unnest(?::DATE[]))",
                [grain[0], part.get_column("period_start").to_list()],
            )
        _insert(con, "period_aggregates", view, touched.columns)
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
    _unique(frame, DP_KEYS, table="dp_daily")
    released = ("day", "marker", "marker_version")
    held = con.sql("SELECT DISTINCT day, marker, marker_version FROM dp_daily").pl()
    frame = frame.join(held.cast(frame.select(released).schema), on=released, how="anti")
    with _registered(con, frame) as view, _transaction(con, "dp_daily"):
        _insert(con, "dp_daily", view, frame.columns)
    return frame.height


def record_run(
    con: duckdb.DuckDBPyConnection, run: RunRecord, *, keep_existing: bool = False
) -> None:
    """Insert or update the `runs` row of this execution, keyed on (run_id, started_at), and
    refresh `current_versions` in the same transaction. With `keep_existing`, a row already
    there for that key is left as it is (a `killed` row never overwrites what the run itself
    recorded)."""
    verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
    with _registered(con, run.to_frame()) as view, _transaction(con, "runs"):
        con.execute(f"{verb} INTO runs BY NAME SELECT * FROM {view}")
        refresh_current_versions(con)


def _replace_for_run(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: dict[str, pl.DataType],
    *,
    run_id: str,
) -> int:
    rows = conform(frame.with_columns(run_id=pl.lit(run_id)), schema, name=table)
    if TABLES[table].key:
        _unique(rows, TABLES[table].key, table=table)
    with _registered(con, rows) as view, _transaction(con, table):
        con.execute(f"DELETE FROM {quote(table)} WHERE run_id = ?", [run_id])
        _insert(con, table, view, rows.columns)
    return rows.height


def record_inputs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    inputs: pl.DataFrame | Iterable[tuple[str, str, int, str | None]],
) -> int:
    """Replace the input files of `run_id` with `inputs`: `path`, `sha256` (hex), `bytes`,
    `mapping` (the key of the preset or mapping it was read through, or null), and the
    records `n_read` and `n_dead_lettered` from it.

    `inputs` is a frame with those columns (`mapping` and the counts may be left out: null) or
    `(path, sha256, bytes, mapping)` tuples. A path may appear once per run. Returns the number
    of rows recorded.
    """
    if not isinstance(inputs, pl.DataFrame):
        inputs = pl.DataFrame(
            [tuple(row) for row in inputs],
            schema={
                "path": pl.String,
                "sha256": pl.String,
                "bytes": pl.Int64,
                "mapping": pl.String,
            },
            orient="row",
        )
    inputs = inputs.with_columns(
        pl.lit(None, RUN_INPUT_SCHEMA[c]).alias(c)
        for c in ("mapping", "n_read", "n_dead_lettered")
        if c not in inputs.columns
    )
    return _replace_for_run(con, "run_inputs", inputs, RUN_INPUT_SCHEMA, run_id=run_id)


def record_counts(con: duckdb.DuckDBPyConnection, run_id: str, counts: pl.DataFrame) -> int:
    """Replace the set-aside counts of `run_id` with `counts` (`category`, `reason`, `n`).

    `category` is e.g. `read`, `valid`, `dead_letter`, `filtered` or `duplicate`; `reason`
    is a string (`""` where a category has none); each (category, reason) appears once.
    Returns the number of rows recorded.
    """
    return _replace_for_run(con, "run_counts", counts, RUN_COUNT_SCHEMA, run_id=run_id)


def record_dead_letters(
    con: duckdb.DuckDBPyConnection, dead_letters: pl.DataFrame, *, run_id: str
) -> int:
    """Replace the dead letters of `run_id` with `dead_letters` (the Dead letter contract).

    Returns the number of rows recorded.
    """
    schema = {**DEAD_LETTER_SCHEMA, "run_id": pl.String}
    return _replace_for_run(con, "dead_letters", dead_letters, schema, run_id=run_id)


def record_input_days(con: duckdb.DuckDBPyConnection, coverage: pl.DataFrame) -> int:
    """Upsert which local days each input covers: `sha256`, `path`, `day`, `n_records`.

    A (sha256, day) already recorded is overwritten. One content seen at several paths is
    kept once, under its smallest path; raises LoadError if those rows disagree on
    `n_records`. Returns the number of rows upserted.
    """
    offered = conform(coverage, INPUT_DAY_SCHEMA, name="input_days")
    rows = (
        offered.group_by("sha256", "day")
        .agg(
            pl.col("path").min(),
            pl.col("n_records").first(),
            pl.col("n_records").n_unique().alias("_variants"),
        )
        .sort("sha256", "day")
    )
    clashing = rows.filter(pl.col("_variants") > 1)
    if clashing.height:
        sha, day = clashing.row(0)[:2]
        raise LoadError(
            f"input_days: content {sha} has different record counts for {day} under "
            f"different paths; the coverage is inconsistent. Regenerate it and run again."
        )
    rows = rows.select(list(INPUT_DAY_SCHEMA))
    with _registered(con, rows) as view, _transaction(con, "input_days"):
        con.execute(f"INSERT OR REPLACE INTO input_days BY NAME SELECT * FROM {view}")
    return rows.height


def _replace_all(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: dict[str, pl.DataType],
) -> int:
    rows = conform(frame, schema, name=table)
    if TABLES[table].key:
        _unique(rows, TABLES[table].key, table=table)
    with _registered(con, rows) as view, _transaction(con, table):
        con.execute(f"DELETE FROM {quote(table)}")
        _insert(con, table, view, rows.columns)
    return rows.height


def replace_forecasts(con: duckdb.DuckDBPyConnection, forecasts: pl.DataFrame) -> int:
    """Make `forecasts` (the Forecast contract) the whole `forecasts` table; return its rows."""
    return _replace_all(con, "forecasts", forecasts, FORECAST_SCHEMA)


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
    return _replace_all(con, "alerts", first_issued(rows, before), ALERT_SCHEMA)


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


def inputs_covering(con: duckdb.DuckDBPyConnection, days: Collection[date]) -> pl.DataFrame:
    """Ledgered inputs that have records on any of `days`: columns `path`, `sha256`, `mapping`.

    One row per content hash (the smallest path when one content was seen at several),
    sorted by path: recompute a day from all of these to include every post it has, each
    read through `mapping`, the preset or mapping key of the latest `ok` run that read it
    (null: the Post field names).
    """
    found = con.sql(
        "WITH latest AS ("
        "  SELECT i.sha256, i.mapping FROM run_inputs i JOIN runs r USING (run_id) "
        "  WHERE r.status = 'ok' "
        "  QUALIFY row_number() OVER (PARTITION BY i.sha256 ORDER BY r.started_at DESC) = 1"
        ") "
        "SELECT min(d.path) AS path, d.sha256, any_value(l.mapping) AS mapping "
        "FROM input_days d LEFT JOIN latest l USING (sha256) "
        "WHERE d.day IN (SELECT unnest(?::DATE[])) GROUP BY d.sha256 ORDER BY path, d.sha256",
        params=[sorted(set(days))],
    ).pl()
    return conform(
        found,
        {"path": pl.String, "sha256": pl.String, "mapping": pl.String},
        name="inputs_covering",
    )


def ledgered_sha256s(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Content hashes of the inputs of every run that has an `ok` execution."""
    rows = con.sql(
        "SELECT DISTINCT sha256 FROM run_inputs WHERE run_id IN "
        "(SELECT run_id FROM runs WHERE status = 'ok')"
    ).fetchall()
    return {sha for (sha,) in rows}
