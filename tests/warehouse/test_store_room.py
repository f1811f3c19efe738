"""A DuckDB write of the next warehouse version refused for want of room says which room, as
an OSError of the run does (warehouse.room.out_of_room): DuckDB's IOException carries no
errno, only the operating system's words."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]

WRITE_PAST_LIMIT = """
import sys
from warehouse.errors import WarehouseError
from warehouse.store import writing

try:
    with writing(sys.argv[1]) as con:
        con.execute("CREATE TABLE big AS SELECT range AS i, random() AS r FROM range(3000000)")
except WarehouseError as exc:
    print(exc)
"""


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, resource.RLIM_INFINITY))


def test_a_file_size_limit_in_duckdb_is_worded_as_that_limit(tmp_path):
    """Regression: DuckDB's 'File too large' read 'Free disk space', for a full disk, a used-up
    quota and a file-size limit alike."""
    run = subprocess.run(
        [sys.executable, "-c", WRITE_PAST_LIMIT, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=300, cwd=REPO, preexec_fn=_file_size_limit,
    )  # fmt: skip
    message = run.stdout
    assert "Could not write the next warehouse version" in message, run.stderr[-2000:]
    assert "largest file allowed" in message and "ulimit -f" in message, message
    assert "Free disk space" not in message
    assert not (tmp_path / "data" / "moodcast.duckdb.next").exists()
