"""Reads of the release record: what the last write that published recorded for the readers.

`warehouse.releases.record_release` stores, before each write publishes, the grains and counts
of its suppress-mode release (tables `published_grains`, `published_counts`, `withheld_counts`,
`shown_cells`) and the settings
it chose it with (`release_settings`). A reader rebuilds the same release from these, its
date (`release_as_of`) and its first day in progress (`release_open_from`) with
`recorded_release`: `warehouse.queries` (`published`, `daily`, and through it
`warehouse.older_versions`), so the exports and the dashboard. `queries.ended_cells` reads
`release_open_from` alone; the next `record_release` builds its own release from the record,
the counts and `release_as_of`. Nothing here writes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.contracts import conform
from transforms.releases import (
    CELL_KEY_SCHEMA,
    RECORD_SCHEMA,
    RELEASED_SCHEMA,
    SHOWN_SCHEMA,
    Release,
    WeekGrain,
    released,
)
from warehouse.current import CURRENT_DAILY
from warehouse.errors import ReleaseSettingsChanged
from warehouse.ledger import PUBLISHED_STATUSES
from warehouse.schema import RELEASE_SETTINGS_SCHEMA


def published_record(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The grains earlier suppress-mode releases published each period at
    (transforms.releases.RECORD_SCHEMA, table `published_grains`, written by
    `warehouse.releases.record_release`), of every marker version and week grain. Empty on a
    warehouse without the table (older than schema version 8)."""
    return _recorded(con, "published_grains", RECORD_SCHEMA)


def recorded_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The counts earlier suppress-mode releases published each cell with, and the index of the
    release that did (transforms.releases.RELEASED_SCHEMA, table `published_counts`, written by
    `warehouse.releases.record_release`; `release` null in rows recorded before schema version
    17). Empty on a warehouse without the table (older than schema version 10)."""
    return _recorded(con, "published_counts", RELEASED_SCHEMA)


def recorded_withheld(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """The counts of the weeks of child series (and of their days) that earlier suppress-mode
    releases withheld (transforms.releases.Release.withheld, RELEASED_SCHEMA, table
    `withheld_counts`, written by `warehouse.releases.record_release`). None where no write
    kept them: a warehouse without the table (older than schema version 16), or one upgraded
    from an older version (`schema_version` holds one below WITHHELD_SINCE) with the table
    empty while `published_grains` holds a row (no write since has withheld a week): a
    release then takes every week of a child no release published, under a total one
    published, as withheld beside it (transforms.grains, complements remembered). A file
    created at 16 or later keeps them from its first write: empty, none withheld."""
    withheld = _recorded(con, "withheld_counts", RELEASED_SCHEMA)
    if withheld.is_empty() and not published_record(con).is_empty() and _upgraded(con):
        return None
    return withheld


def recorded_shown(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The cells earlier suppress-mode releases showed, published or withheld, and the runs of
    releases that did (transforms.releases.SHOWN_SCHEMA, table `shown_cells`, written by
    `warehouse.releases.record_release`). Empty on a warehouse without the table (older than
    schema version 18); in a file upgraded from one, the releases before its first write
    since hold no row (transforms.line_changes takes their children without a cell as
    unknown)."""
    return _recorded(con, "shown_cells", SHOWN_SCHEMA)


WITHHELD_SINCE = 16
"""The schema version that added `withheld_counts` (warehouse.schema.SCHEMA_VERSION then)."""


def _upgraded(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse was created before schema version WITHHELD_SINCE (its
    `schema_version` rows, one per version it was created or upgraded at, hold an older one):
    releases before its upgrade kept no withheld counts."""
    [(oldest,)] = con.execute("SELECT min(version) FROM schema_version").fetchall()
    return oldest is None or oldest < WITHHELD_SINCE


def _recorded(
    con: duckdb.DuckDBPyConnection, table: str, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Every row of the release record `table`, sorted by cell and conformed to `schema`; empty
    (of `schema`) where the warehouse predates the table. Counts read from a file older than
    schema version 17 get a null `release` (transforms.releases.released)."""
    try:
        frame = con.sql(f"SELECT * FROM {table} ORDER BY {', '.join(CELL_KEY_SCHEMA)}").pl()
    except duckdb.CatalogException:
        return pl.DataFrame(schema=schema)
    if schema is RELEASED_SCHEMA:
        frame = released(frame)
    return conform(frame, schema, name=table)


def recorded_settings(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The settings (RELEASE_SETTINGS_SCHEMA) the last write that published chose its release
    with, or None where none is stored (nothing published since schema version 10); `open_from`
    None in a file older than schema version 13."""
    try:
        rows = con.sql("SELECT * FROM release_settings").pl()
    except duckdb.CatalogException:
        return None
    if rows.is_empty():
        return None
    if "open_from" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.Date).alias("open_from"))
    return conform(rows, RELEASE_SETTINGS_SCHEMA, name="release_settings").row(0, named=True)


def check_release_settings(
    con: duckdb.DuckDBPyConnection, *, privacy: str, k: int, week_grain: str
) -> None:
    """Raise ReleaseSettingsChanged where the last write that published chose its release with
    other settings (`release_settings`; in DP mode only `privacy` counts): a reader at other
    settings would compute a release the record was not written for, and show cells that no
    write has checked against the releases before it."""
    stored = recorded_settings(con)
    asked = {"privacy": privacy, "k": k, "week_grain": week_grain}
    if stored is None or privacy == stored["privacy"] == "dp":
        return
    if asked == {key: stored[key] for key in asked}:
        return
    raise ReleaseSettingsChanged(
        f"The published data was released with privacy = {stored['privacy']!r}, k = "
        f"{stored['k']}, week_grain = {stored['week_grain']!r}, but this reader asks for "
        f"privacy = {privacy!r}, k = {k}, week_grain = {week_grain!r} (config.toml changed "
        "since the last run?). Run `moodcast run` (or wait for the next follow cycle or stream "
        "load) to publish at the new settings, or set config.toml back."
    )


def release_open_from(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first day the last write that published held as not ended (`release_settings`'
    `open_from`, its clock's day: transforms.releases.Release.open_from), or None where none
    is stored: a reader leaves out the days that write left out, and no other."""
    stored = recorded_settings(con)
    return None if stored is None else stored.get("open_from")


def release_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """A release's date, the day in progress (transforms.grains.choose_grains: a period ends
    before it): the later of the latest `as_of` of a run that published (`ok`, a stream
    session still `running`, or one that ended `incomplete`) and the latest day of data of current marker versions; None when
    there is neither."""
    statuses = ("running", *PUBLISHED_STATUSES)
    return con.execute(
        "SELECT greatest((SELECT max(as_of) FROM runs WHERE list_contains(?, status)), "
        f"(SELECT max(day) FROM {CURRENT_DAILY}))",
        [list(statuses)],
    ).fetchall()[0][0]


def recorded_release(con: duckdb.DuckDBPyConnection, *, k: int, week_grain: WeekGrain) -> Release:
    """The suppress-mode release at `k` and `week_grain` bound to the earlier ones as the last
    write that published recorded them (`published_record`, `recorded_counts`,
    `recorded_withheld`, `recorded_shown`, `release_as_of`, `release_open_from`), after
    `check_release_settings`: the release that write published, rebuilt for a reader."""
    check_release_settings(con, privacy="suppress", k=k, week_grain=week_grain)
    return Release(
        k=k,
        week_grain=week_grain,
        record=published_record(con),
        counts=recorded_counts(con),
        withheld=recorded_withheld(con),
        shown=recorded_shown(con),
        as_of=release_as_of(con),
        open_from=release_open_from(con),
    )
