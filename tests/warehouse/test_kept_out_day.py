"""The day of a `kept_out` row of the run ledger is a column (`run_counts.day`, schema 19), not
text in its reason: a fresh write fills it, a reader filters by it, and a file from schema 18,
whose rows held it as `<day> held by <run>`, reads the same days upgraded or not."""

from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

import warehouse
from tests.warehouse.conftest import D1, D2, D3, as_version_18
from warehouse import queries
from warehouse.ledger import Kept, record_kept_out, record_unpublished, recorded_kept_out
from warehouse.panes import add_stream_accounting
from warehouse.schema import KEPT_OUT_REASON, SCHEMA_VERSION, schema_version
from warehouse.store import READ_CATALOG, open_published


def _kept_out(con, run_id: str) -> list[tuple]:
    return con.execute(
        "SELECT day, held_by, n FROM run_counts WHERE run_id = ? AND category = 'kept_out' "
        "ORDER BY day",
        [run_id],
    ).fetchall()


def test_a_fresh_write_puts_each_kept_out_day_in_its_column(con):
    """Two days held by the same run are two rows, the day in `day` and the run in
    `held_by`; writing one day again replaces that day's row only."""
    record_kept_out(con, "stream-a", {D1: Kept(3, "run-batch"), D2: Kept(2, "run-batch")})
    assert _kept_out(con, "stream-a") == [(D1, "run-batch", 3), (D2, "run-batch", 2)]

    record_kept_out(con, "stream-a", {D2: Kept(5, "stream-b")}, days=[D2])

    assert _kept_out(con, "stream-a") == [(D1, "run-batch", 3), (D2, "stream-b", 5)]
    assert recorded_kept_out(con, "stream-a") == {D1: (3, "run-batch"), D2: (5, "stream-b")}


def test_a_kept_out_row_without_a_day_is_refused(con):
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO run_counts (run_id, category, day, held_by, reason, n) "
            f"VALUES ('stream-a', 'kept_out', NULL, 'x', '{KEPT_OUT_REASON}', 1)"
        )


def test_a_streams_counts_added_later_keep_its_kept_out_days(con):
    """A stream load adds its counts files by (category, reason); its `kept_out` rows of two
    days held by one run keep their days and posts apart."""
    record_kept_out(con, "stream-a", {D1: Kept(3, "run-batch"), D2: Kept(2, "run-batch")})
    counts = pl.DataFrame({"category": ["read", "valid"], "reason": ["", ""], "n": [5, 5]})

    add_stream_accounting(
        con,
        run_id="stream-a",
        loaded_at=datetime.now(UTC),
        counts=[("c1", counts)],
        dead_letters=[],
    )

    assert _kept_out(con, "stream-a") == [(D1, "run-batch", 3), (D2, "run-batch", 2)]
    assert queries.run_counts(con, "stream-a").filter(pl.col("category") == "read")[
        "n"
    ].to_list() == [5]


def test_a_reader_filters_the_ledger_by_day(con):
    record_kept_out(con, "stream-a", {D1: Kept(3, "run-batch"), D2: Kept(2, "run-batch")})
    record_kept_out(con, "stream-b", {D1: Kept(4, "run-batch")})
    record_unpublished(con, "stream-b", 1, "read, in no pane loaded")

    on_d1 = queries.run_counts(con, day=D1)

    assert on_d1.select("run_id", "category", "day", "held_by", "n").rows() == [
        ("stream-a", "kept_out", D1, "run-batch", 3),
        ("stream-b", "kept_out", D1, "run-batch", 4),
    ]
    assert queries.run_counts(con, "stream-a", day=D3).is_empty()


VERSION_18_ROWS = [
    ("stream-a", "kept_out", f"{D1} held by run-batch", 3),
    ("stream-a", "kept_out", f"{D2} held by run-batch", 2),
    ("stream-a", "unpublished", "read, in no pane loaded", 1),
    ("run-batch", "filtered", "repost", 4),
]
"""A version-18 ledger: kept-out days written into their rows' reasons, beside rows of other
categories."""


EXPECTED_ROWS = [
    ("run-batch", "filtered", None, None, "repost", 4),
    ("stream-a", "kept_out", D1, "run-batch", KEPT_OUT_REASON, 3),
    ("stream-a", "kept_out", D2, "run-batch", KEPT_OUT_REASON, 2),
    ("stream-a", "unpublished", None, None, "read, in no pane loaded", 1),
]


def test_a_version_18_file_reads_the_same_kept_out_days_upgraded_or_not(tmp_path):
    """A reader of the version-18 file (the dashboard, before the next write) reads each
    kept-out day out of its reason; the upgrade keeps every row, moves the day into `day`, and
    a reader and a recovery (recorded_kept_out) read the same days as before."""
    with warehouse.writing(tmp_path):
        pass
    as_version_18(tmp_path, VERSION_18_ROWS)
    with open_published(tmp_path) as con:
        assert schema_version(con, catalog=READ_CATALOG) == 18
        assert queries.run_counts(con).rows() == EXPECTED_ROWS
        assert queries.run_counts(con, day=D2).rows() == [EXPECTED_ROWS[2]]

    with warehouse.writing(tmp_path) as con:
        assert schema_version(con) == SCHEMA_VERSION == 19
        assert recorded_kept_out(con, "stream-a") == {D1: (3, "run-batch"), D2: (2, "run-batch")}

    with open_published(tmp_path) as con:
        assert queries.run_counts(con).rows() == EXPECTED_ROWS
        assert queries.run_counts(con, day=D2).rows() == [EXPECTED_ROWS[2]]
