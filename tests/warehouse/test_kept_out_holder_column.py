"""The run that held a `kept_out` row's day is a column (`run_counts.held_by`, schema 19), not
text in its reason: a fresh write fills it, every reader reads it (none parses the reason), a
file from schema 18, whose reasons said `<day> held by <run>`, reads the same holders upgraded
or not, and the table keeps one row per run and day whoever held it."""

from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

import warehouse
from tests.warehouse.conftest import D1, D2, as_version_18
from warehouse import queries
from warehouse.ledger import Kept, record_kept_out, recorded_kept_out
from warehouse.panes import add_stream_accounting
from warehouse.schema import KEPT_OUT_REASON, SCHEMA_VERSION, schema_version
from warehouse.store import READ_CATALOG, open_published

HOLDERS = {D1: Kept(3, "run-batch"), D2: Kept(2, "stream-b")}


def _kept_out_rows(frame: pl.DataFrame) -> list[tuple]:
    return (
        frame.filter(pl.col("category") == "kept_out")
        .select("run_id", "day", "held_by", "reason", "n")
        .sort("run_id", "day")
        .rows()
    )


def _insert(con, day, held_by, reason, n=1) -> None:
    con.execute(
        "INSERT INTO run_counts (run_id, category, day, held_by, reason, n) "
        "VALUES ('stream-a', 'kept_out', ?, ?, ?, ?)",
        [day, held_by, reason, n],
    )


def test_a_fresh_write_puts_each_holder_in_its_column_and_none_in_the_reason(con):
    record_kept_out(con, "stream-a", HOLDERS)

    assert _kept_out_rows(queries.run_counts(con, "stream-a")) == [
        ("stream-a", D1, "run-batch", KEPT_OUT_REASON, 3),
        ("stream-a", D2, "stream-b", KEPT_OUT_REASON, 2),
    ]
    assert recorded_kept_out(con, "stream-a") == HOLDERS


@pytest.mark.parametrize(
    "reason",
    ["jour tenu par une autre exécution", "held by someone-else", ""],
    ids=["translated", "naming-another-run", "empty"],
)
def test_readers_take_the_holder_from_its_column_whatever_the_reason_says(con, reason):
    """A kept_out row whose reason is worded otherwise (translated, or naming another run)
    reads the holder of its `held_by`: no reader parses the reason."""
    _insert(con, D1, "run-batch", reason, 3)

    assert recorded_kept_out(con, "stream-a") == {D1: Kept(3, "run-batch")}
    assert _kept_out_rows(queries.run_counts(con, day=D1)) == [
        ("stream-a", D1, "run-batch", reason, 3)
    ]


def test_a_streams_counts_added_later_keep_each_days_holder(con):
    record_kept_out(con, "stream-a", HOLDERS)
    counts = pl.DataFrame({"category": ["read"], "reason": [""], "n": [5]})

    add_stream_accounting(
        con, run_id="stream-a", loaded_at=datetime.now(UTC), counts=[("c1", counts)],
        dead_letters=[],
    )  # fmt: skip

    assert _kept_out_rows(queries.run_counts(con, "stream-a")) == [
        ("stream-a", D1, "run-batch", KEPT_OUT_REASON, 3),
        ("stream-a", D2, "stream-b", KEPT_OUT_REASON, 2),
    ]


def test_the_table_refuses_a_second_row_of_a_runs_day_whoever_held_it(con):
    """One row per run and kept-out day by construction: the UNIQUE key leaves out the holder
    and the reason (a second row naming another holder, or worded otherwise, is refused)."""
    record_kept_out(con, "stream-a", {D1: Kept(3, "run-batch")})

    for held_by, reason in [("stream-b", KEPT_OUT_REASON), ("run-batch", "worded otherwise")]:
        with pytest.raises(duckdb.ConstraintException):
            _insert(con, D1, held_by, reason)


def test_a_kept_out_row_without_a_holder_is_refused(con):
    with pytest.raises(duckdb.ConstraintException):
        _insert(con, D1, None, KEPT_OUT_REASON)


VERSION_18_ROWS = [
    ("stream-a", "kept_out", f"{D1} held by run-batch", 3),
    ("stream-a", "kept_out", f"{D2} held by stream-b", 2),
    ("stream-a", "unpublished", "read, in no pane loaded", 1),
]
"""A version-18 ledger: two days kept out, held by two runs, each named in its row's reason."""


def test_a_version_18_file_reads_the_same_holders_upgraded_or_not(tmp_path):
    with warehouse.writing(tmp_path):
        pass
    as_version_18(tmp_path, VERSION_18_ROWS)
    expected = [
        ("stream-a", D1, "run-batch", KEPT_OUT_REASON, 3),
        ("stream-a", D2, "stream-b", KEPT_OUT_REASON, 2),
    ]
    with open_published(tmp_path) as con:
        assert schema_version(con, catalog=READ_CATALOG) == 18
        assert _kept_out_rows(queries.run_counts(con)) == expected

    with warehouse.writing(tmp_path) as con:
        assert schema_version(con) == SCHEMA_VERSION == 19
        assert recorded_kept_out(con, "stream-a") == HOLDERS

    with open_published(tmp_path) as con:
        assert _kept_out_rows(queries.run_counts(con)) == expected
        unpublished = queries.run_counts(con).filter(pl.col("category") == "unpublished")
        assert unpublished.select("day", "held_by", "reason", "n").rows() == [
            (None, None, "read, in no pane loaded", 1)
        ]
