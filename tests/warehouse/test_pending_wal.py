"""A published warehouse with a write-ahead log beside it (a process that opened it read-write,
as the DuckDB shell does, and died before its checkpoint) is read with the log by a reader, so a
run starts from the same state and the published file takes its place without the old log.
Before, a run copied the file alone: it worked on a state readers never saw, and the old log
stayed beside the file it published, where readers replayed it onto the new version (rows the
run never wrote, or deleted)."""

from __future__ import annotations

import subprocess
import sys

from tests.warehouse.conftest import publish, series_cells
from warehouse.store import open_published, published_path, writing

DIE_MID_WRITE = (
    "import duckdb, os, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute(\"DELETE FROM daily_aggregates WHERE region = 'north'\")\n"
    "os._exit(0)\n"
)
"""Python code that deletes region `north` from the file argv[1] and dies before any checkpoint,
its write-ahead log left beside the file."""


def _north(con) -> int:
    return con.sql("SELECT count(*) FROM daily_aggregates WHERE region = 'north'").fetchall()[0][0]


def test_a_run_starts_from_the_pending_log_and_publishes_without_it(tmp_path):
    data_dir = tmp_path / "data"
    publish(data_dir, series_cells(10))
    path = published_path(data_dir)
    subprocess.run([sys.executable, "-c", DIE_MID_WRITE, str(path)], check=True, timeout=120)
    wal = path.with_name(path.name + ".wal")
    assert wal.exists()
    with open_published(data_dir) as con:
        assert _north(con) == 0
    with writing(data_dir) as con:
        assert _north(con) == 0
        con.execute("INSERT INTO daily_aggregates SELECT * REPLACE ('north' AS region) "
                    "FROM daily_aggregates WHERE region = 'south'")  # fmt: skip
    assert not wal.exists()
    with open_published(data_dir) as con:
        assert _north(con) == 20
