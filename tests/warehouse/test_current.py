"""`current_versions`: each marker's current version, kept by the writers and upgraded into
older warehouse files."""

from __future__ import annotations

import duckdb
import pytest

from tests.warehouse.conftest import D1, D2, cell, publish, run_record
from warehouse import queries
from warehouse.current import CURRENT_VERSIONS_SQL, refresh_current_versions
from warehouse.errors import SchemaMismatch
from warehouse.ledger import record_run
from warehouse.load import load_daily
from warehouse.schema import SCHEMA_VERSION, create_schema, schema_version
from warehouse.store import open_published, published_path, writing


def _stored(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.sql("SELECT marker, marker_version FROM current_versions ORDER BY marker").fetchall()


def _derived(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.sql(f"SELECT * FROM ({CURRENT_VERSIONS_SQL}) ORDER BY marker").fetchall()


def test_every_write_of_daily_rows_or_runs_keeps_current_versions_up_to_date(con, make_daily):
    assert _stored(con) == []
    load_daily(con, make_daily(cell(D1, marker_version="old", run_id="r1")), days=[D1])
    assert _stored(con) == [("sadness", "old")]
    load_daily(con, make_daily(cell(D2, marker_version="new", run_id="r2")), days=[D2])
    assert _stored(con) == _derived(con) == [("sadness", "new")]
    record_run(con, run_record("r2", hour=1))
    record_run(con, run_record("r1", hour=2))
    assert _stored(con) == _derived(con) == [("sadness", "old")]
    load_daily(con, make_daily(), days=[D1])
    assert _stored(con) == _derived(con) == [("sadness", "new")]
    assert queries.current_versions(con).rows() == [("sadness", "new")]


def test_a_failed_load_leaves_current_versions_as_they_were(con, make_daily):
    load_daily(con, make_daily(cell(D1)), days=[D1])
    with pytest.raises(Exception, match="constraint"):
        load_daily(con, make_daily(cell(D2, marker_version="v2", n_marked=999)), days=[D2])
    assert _stored(con) == [("sadness", "v1")]


def test_refresh_on_an_empty_warehouse_empties_the_table(con):
    con.execute("INSERT INTO current_versions VALUES ('stale', 'v0')")
    assert refresh_current_versions(con) == 0
    assert _stored(con) == []


def _downgrade_to_version_2(path) -> None:
    """Make a published file look as a version-2 moodcast left it: no `current_versions`."""
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE current_versions")
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (2, now())")


def test_a_version_2_file_is_refused_to_readers_and_upgraded_by_the_next_run(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1), cell(D2, marker="worry", marker_version="w")))
    _downgrade_to_version_2(published_path(tmp_path))
    with pytest.raises(SchemaMismatch, match="moodcast run"):
        open_published(tmp_path)
    with writing(tmp_path) as con:
        assert schema_version(con) == SCHEMA_VERSION
        assert _stored(con) == [("sadness", "v1"), ("worry", "w")]
    with open_published(tmp_path) as reader:
        assert queries.current_versions(reader).rows() == [("sadness", "v1"), ("worry", "w")]
        assert queries.daily(reader, marker="worry").height == 1


def test_create_schema_fills_current_versions_only_when_upgrading(con, make_daily):
    load_daily(con, make_daily(cell(D1)), days=[D1])
    con.execute("DELETE FROM current_versions")
    create_schema(con)
    assert _stored(con) == []


def test_a_version_3_file_is_read_as_it_is_and_upgraded_by_the_next_run(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    with duckdb.connect(str(published_path(tmp_path))) as con:
        con.execute("ALTER TABLE run_inputs DROP COLUMN mapping")
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (3, now())")
    with open_published(tmp_path) as reader:
        assert queries.daily(reader).height == 1
    with writing(tmp_path) as con:
        assert schema_version(con) == SCHEMA_VERSION
        assert "mapping" in con.sql("SELECT * FROM run_inputs LIMIT 0").columns
