import duckdb
import pytest

from warehouse.errors import SchemaMismatch
from warehouse.schema import SCHEMA_VERSION, TABLES, create_schema, schema_version


def _catalogue(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql("SELECT table_name, sql FROM duckdb_tables() ORDER BY table_name").fetchall()


def test_create_schema_is_idempotent(con):
    before = _catalogue(con)
    assert create_schema(con) == SCHEMA_VERSION
    assert create_schema(con) == SCHEMA_VERSION
    assert _catalogue(con) == before
    assert con.sql("SELECT count(*) FROM schema_version").fetchall() == [(1,)]
    assert {name for name, _ in before} == {*TABLES, "schema_version"}


def test_tables_have_their_contract_columns_in_order(con):
    for name, spec in TABLES.items():
        columns = con.sql(f'SELECT * FROM "{name}" LIMIT 0').columns
        assert columns == list(spec.columns), name


def test_schema_version_is_none_for_a_foreign_database():
    assert schema_version(duckdb.connect(":memory:")) is None


def test_a_newer_warehouse_is_refused_with_upgrade_advice(con):
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    with pytest.raises(SchemaMismatch, match="Upgrade moodcast"):
        create_schema(con)


def test_a_version_3_warehouse_gets_the_input_mapping_column_null(con):
    con.execute("INSERT INTO run_inputs VALUES ('r1', 'a.jsonl', 'a', 10, NULL)")
    con.execute("ALTER TABLE run_inputs DROP COLUMN mapping")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (3, now())")
    assert create_schema(con) == SCHEMA_VERSION
    assert con.sql("SELECT * FROM run_inputs").fetchall() == [("r1", "a.jsonl", "a", 10, None)]
    assert con.sql("SELECT * FROM run_inputs LIMIT 0").columns == list(TABLES["run_inputs"].columns)
