"""The run ledger: each execution of a run, the inputs it read, its set-aside counts and dead
letters, and which local days each input covers. Written as `warehouse.writes` describes
(validated first, one transaction, idempotent); read here (`inputs_covering`,
`ledgered_sha256s`) and in `warehouse.queries`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, NamedTuple

import duckdb
import polars as pl

from transforms.contracts import DEAD_LETTER_SCHEMA, conform
from warehouse.current import refresh_current_versions
from warehouse.errors import LoadError
from warehouse.schema import (
    INPUT_DAY_SCHEMA,
    KEPT_OUT,
    KEPT_OUT_REASON,
    RUN_COUNT_SCHEMA,
    RUN_INPUT_SCHEMA,
    RUN_SCHEMA,
    RUN_STATUSES,
    quote,
)
from warehouse.writes import insert, registered, table_rows, transaction

RunStatus = Literal["running", "ok", "failed", "killed", "incomplete"]
PUBLISHED_STATUSES = ("ok", "incomplete")
"""The statuses of runs that ended having published what they loaded (an `incomplete` stream
session published every pane it loaded; warehouse.schema.RUN_STATUSES)."""


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One execution of a run, as the `runs` table keeps it.

    `started_at` and `finished_at` must be time-zone aware; `as_of` is the local day the run
    treats as today in time zone `tz`; `marker_versions` maps marker name to marker_version
    (a mapping or JSON object text; kept as a sorted dict). `status` is `running`, `ok`,
    `failed`, `killed` or `incomplete` (warehouse.schema.RUN_STATUSES); only `ok` runs count
    as having ledgered their inputs. The counts are
    of that execution: records read, valid, dead-lettered, duplicates and filtered out; days loaded, series forecast and alerts raised.
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
    None when the note is unreadable. A note that says the run ended `failed` (`status`, and
    `finished_at` in ISO form: a stream session whose last load failed) gives a `failed` row
    finished then."""
    try:
        failed = note.get("status") == "failed"
        return RunRecord(
            run_id=str(note["run_id"]),
            started_at=datetime.fromisoformat(note["started_at"]),
            as_of=date.fromisoformat(note["as_of"]),
            tz=str(note["tz"]),
            package_version=str(note["package_version"]),
            marker_versions=note["marker_versions"],
            status="failed" if failed else "killed",
            finished_at=datetime.fromisoformat(note["finished_at"]) if failed else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def record_run(
    con: duckdb.DuckDBPyConnection, run: RunRecord, *, keep_existing: bool = False
) -> None:
    """Insert or update the `runs` row of this execution, keyed on (run_id, started_at), and
    refresh `current_versions` in the same transaction. With `keep_existing`, a row already
    there for that key is left as it is, but for its status when that is `running` (a `killed`
    row never overwrites how the run itself recorded its end, and keeps the counts a stream
    session recorded while it ran)."""
    verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
    with registered(con, run.to_frame()) as view, transaction(con, "runs"):
        if keep_existing:
            con.execute(
                "UPDATE runs SET status = ? WHERE run_id = ? AND started_at = ? "
                "AND status = 'running'",
                [run.status, run.run_id, run.started_at],
            )
        con.execute(f"{verb} INTO runs BY NAME SELECT * FROM {view}")
        refresh_current_versions(con)


def record_unpublished(
    con: duckdb.DuckDBPyConnection, run_id: str, n: int | None, reason: str
) -> None:
    """Set the `unpublished` count in `run_counts` of the stream run `run_id`, recorded
    `incomplete` or `killed` (RUN_STATUSES): `n` posts it read are in no pane loaded of a day
    its run holds (counted in no day) and not kept out of a day another run holds (those are
    KEPT_OUT's), for `reason` (which says when `n` is a floor). Replaces
    any such count of the run; `n` None removes it (a run recovered `ok`: the files its recovery
    loaded held the posts counted)."""
    found = [] if n is None else [(run_id, "unpublished", None, None, reason, n)]
    rows = pl.DataFrame(found, schema=RUN_COUNT_SCHEMA, orient="row")
    with registered(con, rows) as view, transaction(con, "run_counts"):
        con.execute(
            "DELETE FROM run_counts WHERE run_id = ? AND category = 'unpublished'", [run_id]
        )
        insert(con, "run_counts", view, rows.columns)


class Kept(NamedTuple):
    """A stream run's posts of its panes of one day another run holds (KEPT_OUT), counted in
    no day: how many (`posts`) and the run that holds the day (`held_by`)."""

    posts: int
    held_by: str


def record_kept_out(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    kept: Mapping[date, Kept],
    *,
    days: Iterable[date] | None = None,
) -> None:
    """Set the `kept_out` counts (KEPT_OUT) in `run_counts` of stream run `run_id`: for each
    day of `kept` (the row's `day`), the posts of its panes of that day (counted in no day)
    and the run that holds the day now (`held_by`), its reason KEPT_OUT_REASON. Replaces the
    run's such rows of `days` and of the days of `kept`, or all of them where `days` is None,
    so that a call done again changes nothing (a day has one row: the table's UNIQUE key,
    Table, refuses a second)."""
    found = [
        (run_id, KEPT_OUT, day, k.held_by, KEPT_OUT_REASON, k.posts)
        for day, k in sorted(kept.items())
    ]
    rows = pl.DataFrame(found, schema=RUN_COUNT_SCHEMA, orient="row")
    replaced = "" if days is None else " AND day IN (SELECT unnest(?::DATE[]))"
    wanted = [] if days is None else [sorted({*days, *kept})]
    with registered(con, rows) as view, transaction(con, "run_counts"):
        con.execute(
            f"DELETE FROM run_counts WHERE run_id = ? AND category = '{KEPT_OUT}'{replaced}",
            [run_id, *wanted],
        )
        insert(con, "run_counts", view, rows.columns)


def recorded_kept_out(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[date, Kept]:
    """The `kept_out` counts record_kept_out recorded for stream run `run_id`: by day, the
    posts and the run that held the day when they were recorded (`held_by`)."""
    rows = con.execute(
        "SELECT day, held_by, n FROM run_counts WHERE run_id = ? AND category = ?",
        [run_id, KEPT_OUT],
    ).fetchall()
    return {day: Kept(n, held_by) for day, held_by, n in rows}


def _replace_for_run(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: dict[str, pl.DataType],
    *,
    run_id: str,
) -> int:
    rows = table_rows(table, frame.with_columns(run_id=pl.lit(run_id)), schema)
    with registered(con, rows) as view, transaction(con, table):
        con.execute(f"DELETE FROM {quote(table)} WHERE run_id = ?", [run_id])
        insert(con, table, view, rows.columns)
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
    """Replace the set-aside counts of `run_id` with `counts` (`category`, `reason`, `n`, and
    `day` and `held_by` where a category has them: null where left out).

    `category` is e.g. `read`, `valid`, `dead_letter`, `filtered` or `duplicate`; `reason`
    is a string (`""` where a category has none); each (category, day, reason) appears once.
    Returns the number of rows recorded.
    """
    absent = {"day": pl.Date, "held_by": pl.String}
    counts = counts.with_columns(
        pl.lit(None, dtype).alias(c) for c, dtype in absent.items() if c not in counts.columns
    )
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
    with registered(con, rows) as view, transaction(con, "input_days"):
        con.execute(f"INSERT OR REPLACE INTO input_days BY NAME SELECT * FROM {view}")
    return rows.height


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
