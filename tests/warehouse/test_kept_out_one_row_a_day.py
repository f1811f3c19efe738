"""A stream run's `kept_out` ledger has one row per day: the UNIQUE key of `run_counts`
(schema 19, run_id, category, day) refuses a second row of a day, whoever it names, so
record_kept_out must replace the row of every day it writes
(tests/warehouse/test_kept_out_holder_column.py)."""

import polars as pl

from tests.warehouse.conftest import D1, D2
from warehouse import queries
from warehouse.ledger import Kept, record_kept_out, recorded_kept_out


def test_a_kept_out_day_written_outside_days_replaces_its_row(con):
    """A day of `kept` that `days` leaves out replaces that day's row too, rather than adding
    a second row naming another holder beside it (which the table now refuses)."""
    record_kept_out(con, "stream-a", {D1: Kept(3, "run-batch")})

    record_kept_out(con, "stream-a", {D1: Kept(5, "stream-b"), D2: Kept(2, "x")}, days=[D2])

    kept = queries.run_counts(con, "stream-a").filter(pl.col("category") == "kept_out")
    assert kept.select("day", "held_by", "n").rows() == [(D1, "stream-b", 5), (D2, "x", 2)]
    assert recorded_kept_out(con, "stream-a") == {D1: (5, "stream-b"), D2: (2, "x")}
