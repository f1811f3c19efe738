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

from warehouse.errors import DamagedWarehouse, NoWarehouse, WarehouseError
from warehouse.ledger import killed_run, record_run
from warehouse.lock import RunLock, lock_path
from warehouse.room import out_of_room_in_words
from warehouse.schema import check_version, create_schema, quote, schema_version

PUBLISHED_NAME = "moodcast.duckdb"
NEXT_SUFFIX = ".next"
READ_CATALOG = "published"

Version = tuple[int, int, int]

HEADER_BYTES = 3 * 4096
"""What a DuckDB file holds before its first block: the main header and two database headers."""

REBUILD = (
    "restore it from a backup, or move it aside and run `moodcast run` over your inputs again "
    "to rebuild it"
)
"""What to do with a damaged warehouse file, the end of a sentence."""

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


def _wal(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside the database file `path`."""
    return path.with_name(path.name + ".wal")


def _discard(path: Path) -> None:
    for leftover in (path, _wal(path)):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def damaged(path: Path, exc: BaseException) -> DamagedWarehouse:
    """The error for a warehouse file `path` that DuckDB failed to read (`exc`)."""
    return DamagedWarehouse(
        f"{path} cannot be read ({exc}). Where it is damaged (cut short, not a DuckDB file, a "
        f"block that fails its checksum), {REBUILD}."
    )


def read_failure(con: duckdb.DuckDBPyConnection, exc: BaseException) -> BaseException:
    """What a read of `con` (open_published's) that failed with `exc` raises: DamagedWarehouse
    naming the published file where `exc` is what a damaged file gives (`is_damage`), else
    `exc` itself."""
    if not is_damage(exc):
        return exc
    rows = con.sql(
        "SELECT path FROM duckdb_databases() WHERE database_name = ?", params=[READ_CATALOG]
    ).fetchall()
    return damaged(Path(rows[0][0]) if rows else Path(READ_CATALOG), exc)


def damage_of(data_dir: Path | str, exc: BaseException) -> DamagedWarehouse | None:
    """DamagedWarehouse naming `data_dir`'s published file where `exc`, raised by a read of it
    (through `open_published`), is what a damaged file gives (`is_damage`); else None."""
    return damaged(published_path(data_dir), exc) if is_damage(exc) else None


DAMAGE_SIGNS = (
    "not a valid DuckDB database file",
    "Could not read enough bytes",
    "Corrupt database file",
)
"""What DuckDB says of a damaged file: not a DuckDB file (or its main header changed), a block
past the end of a file cut short, a block that fails its checksum."""


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error is what a damaged file gives: an I/O error or DuckDB's base Error
    (which it raises for a block that fails its checksum) in the words of DAMAGE_SIGNS. Any
    other is not: a query's own error, or an I/O error of the system (a lock another process
    holds, a permission refused, a disk too full for DuckDB's spill files)."""
    return (isinstance(exc, duckdb.IOException) or type(exc) is duckdb.Error) and any(
        sign in str(exc) for sign in DAMAGE_SIGNS
    )


def check_whole(con: duckdb.DuckDBPyConnection, database: str, path: Path, size: int) -> None:
    """Raise DamagedWarehouse when `size`, the bytes of the file `path` that `con` has attached
    as `database`, is less than its headers and its blocks up to the last in use take
    (`blocks_in_use`): a file cut short (a copy that stopped, a disk that filled up), which
    DuckDB opens and fails only when a query reaches a missing block. Trailing free blocks may
    be missing from a whole file, so a file cut short within them passes (and reads)."""
    try:
        blocks, block = blocks_in_use(con, database, size=size)
    except duckdb.Error as exc:
        if is_damage(exc):
            raise damaged(path, exc) from exc
        raise
    need = HEADER_BYTES + blocks * block
    if size < need:
        raise DamagedWarehouse(
            f"{path} is cut short: it holds {size:,} bytes, but it has blocks of {block:,} "
            f"bytes in use up to block {blocks:,}, at least {need:,} bytes (a copy that "
            f"stopped, or a disk that filled up): {REBUILD}."
        )


def blocks_in_use(
    con: duckdb.DuckDBPyConnection, database: str, *, size: int | None = None
) -> tuple[int, int]:
    """How many blocks of the file attached as `database` come before the end of its last block
    in use, and its block size: one past the highest block id its metadata and its tables'
    data use (free blocks may lie before it), at least the number of blocks in use. Where
    `size`, the file's bytes, holds every block DuckDB has allocated (in use or free), that
    number of blocks instead, without reading each table's storage."""
    [(used, total, block)] = con.sql(
        "SELECT used_blocks, total_blocks, block_size FROM pragma_database_size() "
        "WHERE database_name = ?",
        params=[database],
    ).fetchall()
    if size is not None and size >= HEADER_BYTES + total * block:
        return total, block
    tables = con.sql(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
        params=[database],
    ).fetchall()
    data = [
        "SELECT max(greatest(block_id, list_max(additional_block_ids))) AS id "
        f"FROM pragma_storage_info({_literal('.'.join(map(quote, (database, *names))))})"
        for names in tables
    ]
    metadata = f"SELECT max(block_id) AS id FROM pragma_metadata_info({_literal(database)})"
    [(highest,)] = con.sql(
        f"SELECT coalesce(max(id), -1) FROM ({' UNION ALL '.join([metadata, *data])})"
    ).fetchall()
    return max(used, highest + 1), block


def _literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


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
    published file to `moodcast.duckdb.next` (or starts an empty one), with the write-ahead log
    beside it where a process that opened it read-write died before its checkpoint (readers
    replay it: the run starts from what they see), discarding any leftover of a crashed run,
    and brings its schema up to date. When the lock found the run
    noted by a holder that died without releasing it (RunLock.stale), that run is recorded as
    `killed` (unless it recorded itself). On a clean exit the copy
    is checkpointed, closed, fsynced and atomically renamed onto the published file, whose
    write-ahead log is removed first (the copy holds what it did; readers would replay it onto
    the new version). On an
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
                with contextlib.suppress(FileNotFoundError):
                    shutil.copyfile(_wal(published), _wal(next_path))
            con = _connect_copy(next_path, published)
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
        if _wal(next_path).exists():
            _discard(next_path)
            raise WarehouseError(
                f"{next_path} still had a write-ahead log after CHECKPOINT, so it was not "
                f"published; the published warehouse is unchanged. Run again."
            )
        fsync_path(next_path)
        with contextlib.suppress(FileNotFoundError):
            _wal(published).unlink()
        os.replace(next_path, published)
        fsync_path(data_dir)
        (lock or own_lock).stale = None
    finally:
        if own_lock is not None:
            own_lock.release()


def _connect_copy(next_path: Path, published: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to `next_path`, the copy of `published` (when it exists) that a
    write changes. Raises DamagedWarehouse, naming `published`, for a copy DuckDB cannot open or
    that is cut short (`check_whole`)."""
    try:
        con = duckdb.connect(str(next_path))
    except duckdb.Error as exc:
        if published.exists() and is_damage(exc):
            raise damaged(published, exc) from exc
        raise
    if published.exists():
        try:
            database = con.sql("SELECT current_database()").fetchall()[0][0]
            check_whole(con, database, published, next_path.stat().st_size)
        except BaseException:
            con.close()
            raise
    return con


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
    `published_cursor` (a bare `cursor()` does: DuckDB keeps that setting per cursor). Raises
    NoWarehouse when nothing is published yet, DamagedWarehouse when the file is damaged
    (`is_damage`) or cut short (`check_whole`; the file swapped in by a run between the two is
    not checked), WarehouseError naming DuckDB's reason when it cannot be opened for another
    (a lock held by a process that opened it read-write, a permission refused), and
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
        literal = _literal(str(path))
        before = os.stat(path)
        try:
            con.execute(f"ATTACH {literal} AS {READ_CATALOG} (READ_ONLY)")
        except duckdb.Error as exc:
            if is_damage(exc):
                raise damaged(path, exc) from exc
            if isinstance(exc, duckdb.IOException):
                raise WarehouseError(
                    f"Could not open {path} read-only ({exc}); nothing was changed: try again "
                    f"once that is resolved."
                ) from exc
            raise
        after = os.stat(path)
        if after.st_ino == before.st_ino:
            check_whole(con, READ_CATALOG, path, after.st_size)
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
