import duckdb
import pytest

from transforms.contracts import CLUSTER_SUMS, POST_CLUSTER_SUMS, POST_CLUSTERS
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
    con.execute(
        "INSERT INTO run_inputs (run_id, path, sha256, bytes) VALUES ('r1', 'a.jsonl', 'a', 10)"
    )
    for column in ("mapping", "n_read", "n_dead_lettered"):
        con.execute(f"ALTER TABLE run_inputs DROP COLUMN {column}")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (3, now())")
    assert create_schema(con) == SCHEMA_VERSION
    assert con.sql("SELECT * FROM run_inputs").fetchall() == [
        ("r1", "a.jsonl", "a", 10, None, None, None)
    ]
    assert con.sql("SELECT * FROM run_inputs LIMIT 0").columns == list(TABLES["run_inputs"].columns)


def test_a_version_4_warehouse_keeps_its_runs_and_accepts_killed_ones(con):
    old_check = TABLES["runs"].ddl().replace(", 'killed'", "")
    con.execute("DROP TABLE runs")
    con.execute(old_check)
    row = "'2025-01-01 00:00:00+00', NULL, '2025-01-01', 'UTC', '1', '{}'"
    con.execute(f"INSERT INTO runs VALUES ('r1', {row}, 'ok', 1, 1, 0, 0, 0, 1, 1, 0)")
    for column in ("n_read", "n_dead_lettered"):
        con.execute(f"ALTER TABLE run_inputs DROP COLUMN {column}")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (4, now())")
    assert create_schema(con) == SCHEMA_VERSION
    con.execute(
        "INSERT INTO runs VALUES ('r2', '2025-01-02 00:00:00+00', NULL, '2025-01-01', 'UTC', "
        "'1', '{}', 'killed', 0, 0, 0, 0, 0, 0, 0, 0)"
    )
    assert con.sql("SELECT run_id, status FROM runs ORDER BY 1").fetchall() == [
        ("r1", "ok"),
        ("r2", "killed"),
    ]


def test_a_version_14_warehouse_keeps_its_runs_and_accepts_incomplete_ones(con):
    """Schema 15 added the status `incomplete` (a stream that stopped with posts read and not
    published): an older file's `runs` is rebuilt with the wider check, its rows kept."""
    con.execute("DROP TABLE runs")
    con.execute(TABLES["runs"].ddl().replace(", 'incomplete'", ""))
    row = "'2025-01-01 00:00:00+00', NULL, '2025-01-01', 'UTC', '1', '{}'"
    con.execute(f"INSERT INTO runs VALUES ('r1', {row}, 'killed', 1, 1, 0, 0, 0, 1, 1, 0)")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(f"INSERT INTO runs VALUES ('r2', {row}, 'incomplete', 2, 1, 0, 0, 0, 1, 0, 0)")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (14, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    con.execute(f"INSERT INTO runs VALUES ('r2', {row}, 'incomplete', 2, 1, 0, 0, 0, 1, 0, 0)")
    assert con.sql("SELECT run_id, status FROM runs ORDER BY 1").fetchall() == [
        ("r1", "killed"),
        ("r2", "incomplete"),
    ]


def _without_cluster_sums(ddl: str, sums=(*CLUSTER_SUMS, *POST_CLUSTER_SUMS, POST_CLUSTERS)) -> str:
    """A `period_aggregates` DDL as before schema version 7 (no CLUSTER_SUMS columns), or
    without the columns `sums`."""
    return "\n".join(line for line in ddl.splitlines() if not any(c in line for c in sums))


def test_a_version_5_warehouse_drops_its_rolling_windows_and_takes_eight_week_periods(con):
    old = (
        _without_cluster_sums(TABLES["period_aggregates"].ddl())
        .replace("CASE WHEN grain LIKE '%_8week' THEN 55 ELSE 6 END", "6")
        .replace("'iso_8week', 'epi_8week'", "'rolling_7'")
    )
    con.execute("DROP TABLE period_aggregates")
    con.execute(old)
    row = "'2025-01-06', '2025-01-12', 'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1, 'r'"
    con.execute(f"INSERT INTO period_aggregates VALUES ('iso_week', {row})")
    con.execute(f"INSERT INTO period_aggregates VALUES ('rolling_7', {row})")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (5, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    assert con.sql("SELECT grain FROM period_aggregates").fetchall() == [("iso_week",)]
    row = row.replace("'r'", "NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'r'")
    eight = "('iso_8week', '2024-11-11', '2025-01-05', 'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'r')"
    con.execute(f"INSERT INTO period_aggregates VALUES {eight}")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(f"INSERT INTO period_aggregates VALUES ('rolling_7', {row})")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO period_aggregates VALUES ('iso_8week', '2025-01-06', '2025-01-12', "
            "'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'r')"
        )


def test_a_version_6_warehouse_keeps_its_periods_with_null_cluster_sums(con):
    """Schema 7 added CLUSTER_SUMS to `period_aggregates`: an older file's rows keep their
    counts with the sums null (their interval falls back to author-days as trials:
    transforms.prevalence.effective_trials), in the table's column order."""
    con.execute("DROP TABLE period_aggregates")
    con.execute(_without_cluster_sums(TABLES["period_aggregates"].ddl()))
    row = "'2025-01-06', '2025-01-12', 'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1, 'r'"
    con.execute(f"INSERT INTO period_aggregates VALUES ('iso_week', {row})")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (6, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    columns = con.sql("SELECT * FROM period_aggregates LIMIT 0").columns
    assert columns == list(TABLES["period_aggregates"].columns)
    sums = ", ".join(CLUSTER_SUMS)
    assert con.sql(f"SELECT n_author_days, {sums} FROM period_aggregates").fetchall() == [
        (9, None, None, None)
    ]


def test_a_version_10_warehouse_keeps_its_periods_with_null_post_cluster_sums(con):
    """Schema 11 added POST_CLUSTER_SUMS to `period_aggregates`: a version-10 file's rows keep
    their counts and CLUSTER_SUMS with the post sums null (their post interval stays over
    `n_scored`: transforms.prevalence.effective_posts), in the table's column order."""
    con.execute("DROP TABLE period_aggregates")
    post_columns = (*POST_CLUSTER_SUMS, POST_CLUSTERS)
    con.execute(_without_cluster_sums(TABLES["period_aggregates"].ddl(), post_columns))
    row = "'2025-01-06', '2025-01-12', 'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1, 9, 1, 1"
    con.execute(f"INSERT INTO period_aggregates VALUES ('iso_week', {row}, 'r')")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (10, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    columns = con.sql("SELECT * FROM period_aggregates LIMIT 0").columns
    assert columns == list(TABLES["period_aggregates"].columns)
    sums = ", ".join((*CLUSTER_SUMS, *POST_CLUSTER_SUMS, POST_CLUSTERS))
    assert con.sql(f"SELECT n_author_days, {sums} FROM period_aggregates").fetchall() == [
        (9, 9, 1, 1, None, None, None, None)
    ]


def test_a_version_11_warehouse_keeps_its_periods_with_null_post_clusters(con):
    """Schema 12 added POST_CLUSTERS to `period_aggregates` (schema 11 counted the post share's
    clusters as `n_authors`, leaving out the posts without an author): a version-11 file's rows
    keep their counts and sums with the clusters null (read as `n_authors`:
    transforms.prevalence.effective_posts), in the table's column order; a second upgrade
    changes nothing (test fails before: version 11 was the newest, the table not rebuilt)."""
    con.execute("DROP TABLE period_aggregates")
    con.execute(_without_cluster_sums(TABLES["period_aggregates"].ddl(), (POST_CLUSTERS,)))
    row = "'2025-01-06', '2025-01-12', 'all', 'all', 'm', 'v', 9, 9, 1, 9, 1, 1.0, 9, 1"
    con.execute(f"INSERT INTO period_aggregates VALUES ('iso_week', {row}, 9, 1, 1, 9, 1, 1, 'r')")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (11, now())")
    for _ in range(2):
        assert create_schema(con) == SCHEMA_VERSION == 19
        columns = con.sql("SELECT * FROM period_aggregates LIMIT 0").columns
        assert columns == list(TABLES["period_aggregates"].columns)
        sums = ", ".join((*POST_CLUSTER_SUMS, POST_CLUSTERS))
        assert con.sql(f"SELECT n_scored, {sums} FROM period_aggregates").fetchall() == [
            (9, 9, 1, 1, None)
        ]


def test_a_version_8_warehouse_keeps_its_record_and_may_record_a_period_withheld(con):
    """Schema 9 let `published_grains` record a period `withheld` (published once, withheld
    later): a version-8 file's table, whose check allowed only `day` and `whole`, is rebuilt
    with its rows."""
    con.execute("DROP TABLE published_grains")
    con.execute(TABLES["published_grains"].ddl().replace(", 'withheld'", ""))
    row = "'m', 'all', 'all', 'v', 'iso_week', '2025-01-06'"
    con.execute(f"INSERT INTO published_grains VALUES ({row}, 'day')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE published_grains SET published_as = 'withheld'")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (8, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    assert con.sql("SELECT published_as FROM published_grains").fetchall() == [("day",)]
    con.execute("UPDATE published_grains SET published_as = 'withheld'")


def test_a_version_9_warehouse_reads_no_counts_and_no_settings_until_its_next_write(con):
    """Schema 10 added `published_counts` and `release_settings`: a version-9 file has neither,
    its readers compare no counts and no settings, and `create_schema` creates both empty."""
    from warehouse import release_record

    con.execute("DROP TABLE published_counts")
    con.execute("DROP TABLE release_settings")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (9, now())")
    assert release_record.recorded_counts(con).is_empty()
    assert release_record.recorded_settings(con) is None
    release_record.check_release_settings(con, privacy="suppress", k=5, week_grain="epi_week")
    assert create_schema(con) == SCHEMA_VERSION == 19
    assert release_record.recorded_counts(con).is_empty()
    assert release_record.recorded_settings(con) is None


def test_a_version_12_warehouse_gets_the_open_day_of_its_settings_null(con):
    """Schema 13 added `release_settings.open_from` (the last write's clock day): a version-12
    file's row gets it null, which readers take as every day ended, and its next write fills
    it."""
    from warehouse import release_record

    con.execute("DROP TABLE release_settings")
    con.execute(
        "CREATE TABLE release_settings (privacy VARCHAR NOT NULL, k BIGINT NOT NULL, "
        "week_grain VARCHAR NOT NULL)"
    )
    con.execute("INSERT INTO release_settings VALUES ('suppress', 11, 'iso_week')")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (12, now())")
    assert create_schema(con) == SCHEMA_VERSION == 19
    columns = con.sql("SELECT * FROM release_settings LIMIT 0").columns
    assert columns == list(TABLES["release_settings"].columns)
    assert release_record.recorded_settings(con) == {
        "privacy": "suppress",
        "k": 11,
        "week_grain": "iso_week",
        "open_from": None,
    }
    release_record.check_release_settings(con, privacy="suppress", k=11, week_grain="iso_week")
