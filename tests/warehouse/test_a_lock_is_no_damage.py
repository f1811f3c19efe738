"""A published warehouse that DuckDB cannot open for a reason that is no damage of the file (a
lock held by another process that opened it read-write, a permission refused, a disk too full
for DuckDB's spill files) is not called damaged: the error names the file and DuckDB's reason,
and never tells the analyst to move a healthy file aside and rebuild it. Before, every DuckDB
IOException was a DamagedWarehouse ("restore it from a backup, or move it aside…")."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from tests.warehouse.conftest import publish, series_cells
from warehouse.errors import DamagedWarehouse, WarehouseError
from warehouse.store import is_damage, open_published, published_path

HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
"""Python code that opens the file argv[1] read-write (DuckDB's lock) until stdin closes."""


@pytest.fixture
def held(tmp_path):
    """A data directory whose published warehouse another process holds open read-write."""
    data_dir = tmp_path / "data"
    publish(data_dir, series_cells(5))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(published_path(data_dir))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        yield data_dir
    finally:
        holder.communicate("\n", timeout=60)


def test_a_warehouse_locked_by_another_process_is_not_called_damaged(held):
    with pytest.raises(WarehouseError, match="Could not set lock") as raised:
        open_published(held)
    assert not isinstance(raised.value, DamagedWarehouse)
    assert str(published_path(held)) in str(raised.value)
    assert "move it aside" not in str(raised.value)


def test_an_export_of_a_locked_warehouse_exits_7_without_advising_a_rebuild(held, tmp_path):
    result = CliRunner().invoke(
        main,
        ["export", "-o", str(tmp_path / "out"), "--data-dir", str(held)],
        obj={"beam_args": []},
    )
    assert result.exit_code == 7, result.output
    assert "Could not set lock" in result.output
    assert "move it aside" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "message",
    [
        'IO Error: Cannot open file "/d/moodcast.duckdb": Permission denied',
        'IO Error: Could not write file "/d/.tmp/duckdb_temp_storage-0.tmp": No space left on '
        "device",
        'IO Error: Cannot open file "/d/moodcast.duckdb": Too many open files',
    ],
)
def test_an_io_error_of_the_system_is_no_damage(message):
    assert not is_damage(duckdb.IOException(message))


@pytest.mark.parametrize(
    "error",
    [
        duckdb.IOException('IO Error: The file "/d/m.duckdb" exists, but it is not a valid '
                           "DuckDB database file!"),
        duckdb.IOException('IO Error: Could not read enough bytes from file "/d/m.duckdb": '
                           "attempted to read 262144 bytes from location 274432"),
        duckdb.Error("Corrupt database file: computed checksum 1 does not match stored "
                     "checksum 2 in block at location 12288"),
    ],
)  # fmt: skip
def test_what_a_damaged_file_gives_is_damage(error):
    assert is_damage(error)
