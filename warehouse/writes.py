"""How the warehouse's writes run: one transaction, the incoming frame registered for SQL, its
keys checked before anything changes.

The functions of `warehouse.load` (the published tables) and `warehouse.ledger` (the run
ledger) each take the read-write connection that `store.writing` yields, validate their frame
against the contract first (raising LoadError or ContractError with the reason), and run in
one transaction, so a failed call changes nothing. Each is idempotent: repeating a call with
the same arguments leaves the same tables. `warehouse.backtests` and `warehouse.panes` write
through these helpers too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator

import duckdb
import polars as pl

from transforms.contracts import conform
from warehouse.errors import LoadError
from warehouse.schema import TABLES, quote


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, table: str) -> Iterator[None]:
    """Run the block in one transaction: commit when it ends, roll back when it raises; a
    broken constraint of `table` is raised as LoadError (nothing was loaded)."""
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
def registered(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, name: str = "_incoming"
) -> Iterator[str]:
    """Expose `frame` to SQL as `name`. Enter it before `transaction`: it is unregistered when
    the block ends, which a transaction aborted by an error refuses until it is rolled back."""
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def insert(con: duckdb.DuckDBPyConnection, table: str, view: str, columns: list[str]) -> None:
    """Insert `columns` of the registered frame `view` into `table`, by name."""
    names = ", ".join(quote(c) for c in columns)
    con.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {view}")


def require_unique(frame: pl.DataFrame, keys: Collection[str], *, table: str) -> None:
    """Raise LoadError, naming an example, when a key of `keys` repeats in `frame` (rows for
    `table`)."""
    duplicated = frame.select(keys).filter(frame.select(keys).is_duplicated())
    if duplicated.height:
        example = ", ".join(f"{k}={v}" for k, v in duplicated.row(0, named=True).items())
        raise LoadError(
            f"{duplicated.height} rows for {table} repeat a key ({example}); each "
            f"({', '.join(keys)}) must appear once. Deduplicate upstream and run again."
        )


def table_rows(table: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`frame` conformed to `schema`, as rows of `table`; raises LoadError where its table's
    identity (Table.identity) repeats in them (require_unique)."""
    rows = conform(frame, schema, name=table)
    if TABLES[table].identity:
        require_unique(rows, TABLES[table].identity, table=table)
    return rows


def replace_all(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    schema: dict[str, pl.DataType],
) -> int:
    """Make `frame` (table_rows) the whole `table`, in one transaction; return its rows."""
    rows = table_rows(table, frame, schema)
    with registered(con, rows) as view, transaction(con, table):
        con.execute(f"DELETE FROM {quote(table)}")
        insert(con, table, view, rows.columns)
    return rows.height
