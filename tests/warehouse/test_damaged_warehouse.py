"""A published warehouse file that is damaged (cut short, or a block that fails its checksum)
is refused naming the file and what to do: `moodcast export` exits 7 and writes nothing, a run
refuses to write over it, the dashboard explains it. Before, DuckDB opened a file cut short and
its IOException (or its bare Error for a failed checksum) escaped as a traceback at the first
query that reached a missing block."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from moodcast.cli import main
from tests.warehouse.conftest import publish, series_cells
from warehouse.errors import WarehouseError
from warehouse.store import published_path, writing

HEADER_BYTES = 3 * 4096
"""DuckDB's file header and its two database headers, before the first block."""
OVERVIEW = Path(__file__).parents[2] / "dashboard" / "screens" / "overview.py"


@pytest.fixture
def published(tmp_path) -> Path:
    """A data directory with a published warehouse of 40 days of a few series."""
    data_dir = tmp_path / "data"
    publish(data_dir, series_cells(40))
    return data_dir


def _blocks(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        [(used, block)] = con.sql(
            "SELECT used_blocks, block_size FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchall()
    return used, block


def _each_block_damaged(path: Path, tmp_path: Path) -> Iterator[int]:
    """Each used block of the warehouse file `path` in turn, by index: `path` is the intact
    file with 64 bytes of that block changed (its checksum then fails)."""
    used, block = _blocks(path)
    intact = tmp_path / "intact.duckdb"
    shutil.copyfile(path, intact)
    for index in range(used):
        shutil.copyfile(intact, path)
        with path.open("r+b") as handle:
            handle.seek(HEADER_BYTES + index * block + 64)
            handle.write(b"\xa5" * 64)
        yield index


def _export(data_dir: Path, out: Path):
    result = CliRunner().invoke(
        main, ["export", "-o", str(out), "--data-dir", str(data_dir)], obj={"beam_args": []}
    )
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_an_export_of_a_warehouse_cut_short_exits_7_naming_it_and_writes_nothing(
    published, tmp_path
):
    path = published_path(published)
    used, block = _blocks(path)
    os.truncate(path, HEADER_BYTES + (used - 1) * block)
    out = tmp_path / "out"
    result = _export(published, out)
    assert result.exit_code == 7, result.output
    assert f"{path} is cut short" in result.output
    assert "move it aside and run `moodcast run`" in result.output
    assert not out.exists()


def test_a_block_damaged_anywhere_exports_whole_or_exits_7_naming_the_file(published, tmp_path):
    """Each used block in turn gets bytes that fail its checksum: the export either never reads
    it, or stops with the file named (at opening, or at the query that reaches it)."""
    path = published_path(published)
    refused = 0
    for index in _each_block_damaged(path, tmp_path):
        result = _export(published, tmp_path / f"out-{index}")
        assert result.exit_code in (0, 7), result.output
        if result.exit_code == 7:
            refused += 1
            assert f"{path} cannot be read" in result.output
            assert not (tmp_path / f"out-{index}").exists()
    assert refused


def test_a_run_refuses_to_write_over_a_warehouse_cut_short(published):
    path = published_path(published)
    used, block = _blocks(path)
    os.truncate(path, HEADER_BYTES + (used - 1) * block)
    size = path.stat().st_size
    with pytest.raises(WarehouseError, match="is cut short"), writing(published):
        pass
    assert path.stat().st_size == size
    assert not path.with_name(path.name + ".next").exists()


def test_a_run_over_a_file_that_is_no_duckdb_file_is_refused_naming_it(tmp_path):
    tmp_path.joinpath("moodcast.duckdb").write_bytes(b"not a warehouse at all")
    with pytest.raises(WarehouseError, match=r"moodcast\.duckdb cannot be read"), writing(tmp_path):
        pass


def test_the_dashboard_explains_a_warehouse_cut_short(published, monkeypatch):
    path = published_path(published)
    used, block = _blocks(path)
    os.truncate(path, HEADER_BYTES + (used - 1) * block)
    monkeypatch.setenv("MOODCAST_HOME", str(published))
    at = AppTest.from_file(str(OVERVIEW), default_timeout=60).run()
    assert not at.exception
    assert "is cut short" in at.warning[0].value


ROUTER = Path(__file__).parents[2] / "dashboard" / "app.py"


@pytest.mark.parametrize("page", ["screens/overview.py", "screens/timelines.py"])
def test_a_block_damaged_anywhere_is_explained_on_the_dashboard_never_raised(
    published, tmp_path, monkeypatch, page
):
    """As for the export: each used block in turn fails its checksum, and the page either
    never reads it or says the file cannot be read, naming it (open_published, or a query that
    reaches the block: dashboard.app)."""
    monkeypatch.setenv("MOODCAST_HOME", str(published))
    path = published_path(published)
    explained = 0
    for index in _each_block_damaged(path, tmp_path):
        at = AppTest.from_file(str(ROUTER), default_timeout=60).run()
        if page != "screens/overview.py":
            at.switch_page(page).run()
        assert not at.exception, (index, at.exception)
        warned = [w.value for w in at.warning if "cannot be read" in w.value]
        explained += bool(warned)
        assert all(f"{path} cannot be read" in w for w in warned)
    assert explained
