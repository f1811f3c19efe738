"""The published warehouse file, its atomic replacement, and read-only access to it.

A run never writes the file readers use. `writing` copies `moodcast.duckdb` to
`moodcast.duckdb.next`, lets the run change the copy, and on success swaps it in with
`os.replace`; a failed run leaves the published file untouched. Readers open the published
file read-only and keep the version they opened until they reopen, so they never block a
run and never see half of one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.errors import NoWarehouse, WarehouseError
from warehouse.ledger import killed_run, record_run
from warehouse.lock import RunLock, lock_path
from warehouse.room import out_of_room_in_words
from warehouse.schema import check_version, create_schema, quote, schema_version

PUBLISHED_NAME = "moodcast.duckdb"
NEXT_SUFFIX = ".next"
READ_CATALOG = "published"

Version = tuple[int, int, int]

_NO_PROGRESS_BAR = "SET enable_progress_bar_print = false"
"""DuckDB draws a progress bar on stdout for a query that runs over 2 s; a command's stdout
carries only what it is asked to print (`--json`), so a warehouse connection never draws it."""


def published_path(data_dir: Path | str) -> Path:
    """The published warehouse file of a data directory."""
    return Path(data_dir) / PUBLISHED_NAME


def published_version(data_dir: Path | str) -> Version | None:
    """A cheap fingerprint of the published file, `(inode, mtime_ns, size)`; None if absent.

    It changes whenever a run publishes, so a reader compares it to the one it opened and
    reopens on a difference.
    """
    try:
        stat = os.stat(published_path(data_dir))
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _discard(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def fsync_path(path: Path | str) -> None:
    """Flush the file or directory `path` to disk (a directory: the names in it, so that a
    rename into it survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def writing(
    data_dir: Path | str, *, lock: RunLock | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the next version of the warehouse, published on success.

    Takes the data directory's RunLock (raising RunLocked if another run has it) unless
    `lock`, already held by the caller, is given; a given lock is left held. Copies the
    published file to `moodcast.duckdb.next` (or starts an empty one), discarding any
    leftover of a crashed run, and brings its schema up to date. When the lock found the run
    noted by a holder that died without releasing it (RunLock.stale), that run is recorded as
    `killed` (unless it recorded itself). On a clean exit the copy
    is checkpointed, closed, fsynced and atomically renamed onto the published file. On an
    exception it is deleted and the published file stays as it was (a DuckDB I/O error becomes
    a WarehouseError saying so: a full disk, a used-up quota or a file-size limit in the words
    of warehouse.room.out_of_room_in_words). The connection is
    closed either way; its session time zone is UTC, and it draws no progress bar on stdout.
    """
    data_dir = Path(data_dir)
    if lock is not None and (not lock.held or lock.path != lock_path(data_dir)):
        raise WarehouseError(
            f"writing(lock=…) needs the acquired RunLock of {data_dir}; acquire it first"
        )
    own_lock = RunLock(data_dir).acquire() if lock is None else None
    try:
        published = published_path(data_dir)
        next_path = published.with_name(published.name + NEXT_SUFFIX)
        _discard(next_path)
        try:
            if published.exists():
                shutil.copyfile(published, next_path)
            con = duckdb.connect(str(next_path))
        except BaseException:
            _discard(next_path)
            raise
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(_NO_PROGRESS_BAR)
            create_schema(con)
            held = lock or own_lock
            killed = killed_run(held.stale.run) if held.stale and held.stale.run else None
            if killed is not None:
                record_run(con, killed, keep_existing=True)
            yield con
            con.execute("CHECKPOINT")
            con.close()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                con.close()
            _discard(next_path)
            if isinstance(exc, duckdb.IOException):
                room = out_of_room_in_words(str(exc), next_path)
                what = room or f"free disk space, or make {data_dir} writable"
                raise WarehouseError(
                    f"Could not write the next warehouse version {next_path} ({exc}). Nothing "
                    f"was published and the copy was removed: {what}, and run again."
                ) from exc
            raise
        if next_path.with_name(next_path.name + ".wal").exists():
            _discard(next_path)
            raise WarehouseError(
                f"{next_path} still had a write-ahead log after CHECKPOINT, so it was not "
                f"published; the published warehouse is unchanged. Run again."
            )
        fsync_path(next_path)
        os.replace(next_path, published)
        fsync_path(data_dir)
        (lock or own_lock).stale = None
    finally:
        if own_lock is not None:
            own_lock.release()


def published_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A `cursor()` of `con` (one per thread) that, as `con`, draws no progress bar on stdout."""
    cursor = con.cursor()
    cursor.execute(_NO_PROGRESS_BAR)
    return cursor


def open_published(data_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, as it is at this moment.

    The file is attached read-only to a private in-memory database and every table is
    exposed as a view of the same name, so the connection and its `cursor()`s (one per
    thread) all see the tables unqualified. It keeps reading the version it opened even
    after a run publishes a new one; compare `published_version` and reopen to see it.
    Session time zone is UTC; it draws no progress bar on stdout, nor does a cursor from
    `published_cursor` (a bare `cursor()` does: DuckDB keeps that setting per cursor). Raises NoWarehouse when nothing is published yet and
    SchemaMismatch when the file is from an incompatible moodcast.
    """
    path = published_path(data_dir)
    if not path.exists():
        raise NoWarehouse(
            f"No warehouse in {Path(data_dir)}: {path.name} does not exist yet. Run "
            f"`moodcast run` first, or point the data directory at an existing one."
        )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        con.execute(_NO_PROGRESS_BAR)
        literal = "'" + str(path).replace("'", "''") + "'"
        try:
            con.execute(f"ATTACH {literal} AS {READ_CATALOG} (READ_ONLY)")
        except duckdb.IOException as exc:
            raise NoWarehouse(
                f"Could not open {path} read-only ({exc}). Run `moodcast run` to publish "
                f"a warehouse, then reopen."
            ) from exc
        check_version(schema_version(con, catalog=READ_CATALOG), where=str(path))
        tables = con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1",
            params=[READ_CATALOG],
        ).fetchall()
        for (table,) in tables:
            con.execute(
                f"CREATE VIEW main.{quote(table)} AS "
                f"SELECT * FROM {READ_CATALOG}.main.{quote(table)}"
            )
    except BaseException:
        con.close()
        raise
    return con
