"""A published warehouse cut short where its blocks in use lie past free ones (a run freed the
blocks of what it replaced; a later table's blocks follow them) is refused as cut short, by a
reader and by a run. Before, the check compared the file's size with the number of blocks in
use alone: such a file passed, a reader failed at the first query reaching a missing block, and
a run copied it and published the damaged copy as the next version."""

from __future__ import annotations

import os

import duckdb
import pytest

from tests.warehouse.conftest import publish, series_cells
from warehouse.errors import DamagedWarehouse
from warehouse.store import HEADER_BYTES, open_published, published_path, writing


@pytest.fixture
def cut_past_free_blocks(tmp_path):
    """A data directory whose published file holds free blocks, then a table's blocks in use,
    cut short at as many blocks as it has in use, and one more."""
    data_dir = tmp_path / "data"
    publish(data_dir, series_cells(20))
    with writing(data_dir) as con:
        con.execute("CREATE TABLE ballast AS SELECT md5(range::VARCHAR) AS s FROM range(600000)")
    with writing(data_dir) as con:
        con.execute("CREATE TABLE kept AS SELECT md5(range::VARCHAR) AS s FROM range(300000)")
    with writing(data_dir) as con:
        con.execute("DROP TABLE ballast")
    path = published_path(data_dir)
    with duckdb.connect(str(path), read_only=True) as con:
        [(used, free, block)] = con.sql(
            "SELECT used_blocks, free_blocks, block_size FROM pragma_database_size()"
        ).fetchall()
    assert free > 1, "the file should hold free blocks before the kept table's"
    os.truncate(path, HEADER_BYTES + (used + 1) * block)
    return data_dir


def test_a_reader_refuses_a_file_cut_short_past_its_free_blocks(cut_past_free_blocks):
    path = published_path(cut_past_free_blocks)
    with pytest.raises(DamagedWarehouse, match=f"{path} is cut short"):
        open_published(cut_past_free_blocks)


def test_a_run_refuses_to_publish_over_a_file_cut_short_past_its_free_blocks(
    cut_past_free_blocks,
):
    path = published_path(cut_past_free_blocks)
    before = path.read_bytes()
    with pytest.raises(DamagedWarehouse, match="is cut short"), writing(cut_past_free_blocks):
        pass
    assert path.read_bytes() == before
