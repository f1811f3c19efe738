"""Pane-aware upserts of streamed days, the provisional flag, and a stream's accounting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from tests.warehouse.conftest import D1, D2, cell
from transforms.contracts import DEAD_LETTER_SCHEMA
from warehouse import queries
from warehouse.errors import LoadError
from warehouse.exports import export_frames
from warehouse.load import load_daily
from warehouse.panes import PaneMeta, add_stream_accounting, upsert_panes

STARTED = datetime(2025, 3, 1, 6, tzinfo=UTC)


def _pane(day, index, timing, *, started=STARTED) -> PaneMeta:
    fired = started + timedelta(minutes=index)
    return PaneMeta(day, "stream-1", started, index, timing, fired)


def _posts(con, day) -> int:
    return con.execute(
        "SELECT n_posts FROM daily_aggregates WHERE day = ? AND region = 'all'", [day]
    ).fetchall()[0][0]


def test_a_later_pane_replaces_the_day_and_an_earlier_one_never_does(con, make_daily):
    upsert_panes(con, [(_pane(D1, 0, "early"), make_daily(cell(D1, n_posts=400)))])
    load = upsert_panes(
        con,
        [
            (_pane(D1, 2, "on_time"), make_daily(cell(D1, n_posts=420))),
            (_pane(D1, 1, "early"), make_daily(cell(D1, n_posts=410))),  # arrives out of order
        ],
    )
    assert (load.days, load.stale) == (1, 1)
    assert _posts(con, D1) == 420
    stale = upsert_panes(con, [(_pane(D1, 1, "early"), make_daily(cell(D1, n_posts=410)))])
    assert (stale.days, stale.stale) == (0, 1) and _posts(con, D1) == 420


def test_a_restarted_stream_run_orders_after_the_earlier_one(con, make_daily):
    upsert_panes(con, [(_pane(D1, 7, "late"), make_daily(cell(D1, n_posts=400)))])
    later = STARTED + timedelta(hours=1)
    upsert_panes(con, [(_pane(D1, 0, "early", started=later), make_daily(cell(D1, n_posts=405)))])
    assert _posts(con, D1) == 405


def test_an_open_day_is_provisional_until_its_on_time_pane(con, make_daily):
    upsert_panes(
        con,
        [
            (_pane(D1, 3, "on_time"), make_daily(cell(D1))),
            (_pane(D2, 0, "early"), make_daily(cell(D2))),
        ],
    )
    open_days = queries.provisional_days(con)
    assert open_days.get_column("day").to_list() == [D2]
    assert open_days.get_column("pane_at").to_list() == [STARTED]
    timelines = export_frames(con, k=11)["timelines"]
    flags = dict(timelines.select("period_start", "provisional").unique().iter_rows())
    assert flags == {D1: False, D2: True}
    upsert_panes(con, [(_pane(D2, 1, "on_time"), make_daily(cell(D2)))])
    assert queries.provisional_days(con).is_empty()


def test_a_file_run_over_a_streamed_day_makes_it_final(con, make_daily):
    upsert_panes(con, [(_pane(D2, 0, "early"), make_daily(cell(D2)))])
    load_daily(con, make_daily(cell(D2, n_posts=500)), days=[D2])
    assert queries.provisional_days(con).is_empty() and _posts(con, D2) == 500


def test_unknown_timings_are_refused(con, make_daily):
    with pytest.raises(ValueError, match="timing"):
        upsert_panes(con, [(_pane(D1, 0, "soon"), make_daily(cell(D1)))])


def test_stream_accounting_counts_each_file_once(con):
    counts = pl.DataFrame(
        {"category": ["read", "filtered"], "reason": ["", "too late"], "n": [5, 1]}
    )
    dead = pl.DataFrame(
        [("pubsub:s", 1, "invalid JSON", "ab" * 32)], schema=DEAD_LETTER_SCHEMA, orient="row"
    )
    at = datetime(2025, 3, 1, tzinfo=UTC)
    for _ in range(2):
        totals = add_stream_accounting(
            con, run_id="s1", loaded_at=at, counts=[("c1", counts)], dead_letters=[("d1", dead)]
        )
    more = add_stream_accounting(
        con, run_id="s1", loaded_at=at, counts=[("c2", counts.head(1))], dead_letters=[]
    )
    assert dict(zip(totals["reason"], totals["n"], strict=True)) == {"": 5, "too late": 1}
    assert dict(zip(more["reason"], more["n"], strict=True)) == {"": 10, "too late": 1}
    assert con.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1


def test_stream_accounting_given_a_name_twice_counts_it_once(con):
    """A pane name given twice, or given again in a rerun, broke stream_files' key (LoadError);
    a counts file given twice was added twice."""
    counts = pl.DataFrame({"category": ["read"], "reason": [""], "n": [5]})
    at = datetime(2025, 3, 1, tzinfo=UTC)
    for _ in range(2):
        totals = add_stream_accounting(
            con,
            run_id="s1",
            loaded_at=at,
            counts=[("c1", counts), ("c1", counts)],
            dead_letters=[],
            panes=["s1/panes/2025-03-01/p0", "s1/panes/2025-03-01/p0"],
        )
    assert totals["n"].to_list() == [5]
    assert con.execute("SELECT name FROM stream_files ORDER BY name").fetchall() == [
        ("c1",),
        ("s1/panes/2025-03-01/p0",),
    ]


def test_a_stream_file_that_breaks_a_constraint_is_a_load_error_and_changes_nothing(con):
    counts = pl.DataFrame({"category": ["read"], "reason": [""], "n": [5]})
    at = datetime(2025, 3, 1, tzinfo=UTC)
    add_stream_accounting(con, run_id="s1", loaded_at=at, counts=[("c1", counts)], dead_letters=[])
    no_reason = pl.DataFrame(
        [("pubsub:s", 1, None, "ab" * 32)], schema=DEAD_LETTER_SCHEMA, orient="row"
    )
    with pytest.raises(LoadError, match=r"dead_letters.*break a constraint.*NOT NULL"):
        add_stream_accounting(
            con,
            run_id="s1",
            loaded_at=at,
            counts=[("c2", counts)],
            dead_letters=[("d1", no_reason)],
        )
    assert con.execute("SELECT sum(n) FROM run_counts WHERE run_id = 's1'").fetchone() == (5,)
    assert con.execute("SELECT name FROM stream_files").fetchall() == [("c1",)]
    assert con.execute("SELECT count(*) FROM dead_letters").fetchone() == (0,)


def test_a_failed_upsert_changes_no_day_and_no_pane(con, make_daily):
    """A call that raises leaves every day as it was: the old code loaded a day and recorded its
    pane in two transactions, day by day, so a failure after the first day's load left D1
    replaced (420 posts) but no longer provisional (its pane unrecorded), and an older pane
    could then replace it."""
    upsert_panes(con, [(_pane(D1, 0, "early"), make_daily(cell(D1, n_posts=400)))])
    unrecordable = PaneMeta(D1, None, STARTED, 2, "on_time", STARTED)  # day_panes: NOT NULL
    with pytest.raises(LoadError, match="day_panes"):
        upsert_panes(con, [(unrecordable, make_daily(cell(D1, n_posts=420)))])
    assert _posts(con, D1) == 400
    assert queries.provisional_days(con).get_column("day").to_list() == [D1]
    repeated = make_daily(cell(D2), cell(D2))
    with pytest.raises(LoadError, match="repeat a key"):
        upsert_panes(
            con,
            [
                (_pane(D1, 3, "on_time"), make_daily(cell(D1, n_posts=430))),
                (_pane(D2, 0, "early"), repeated),
            ],
        )
    assert _posts(con, D1) == 400
    assert queries.provisional_days(con).get_column("day").to_list() == [D1]
    assert con.execute("SELECT count(*) FROM daily_aggregates WHERE day = ?", [D2]).fetchall() == [
        (0,)
    ]


def test_a_pane_whose_frame_holds_another_day_is_refused(con, make_daily):
    with pytest.raises(LoadError, match="not among the days"):
        upsert_panes(
            con,
            [
                (_pane(D1, 0, "early"), make_daily(cell(D1), cell(D2))),
                (_pane(D2, 0, "early"), make_daily(cell(D2, region="north"))),
            ],
        )
    assert con.execute("SELECT count(*) FROM daily_aggregates").fetchone() == (0,)
