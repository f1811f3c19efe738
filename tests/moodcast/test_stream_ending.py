"""A stopped stream's ending is decided once, by its last load, and what the session reports
is what that load recorded; recovering a session that ended `incomplete` decides it again from
the files the recovery loaded; `--json` says when the `unpublished` count is a floor."""

from __future__ import annotations

import logging
from datetime import timedelta

import polars as pl
import pytest

import warehouse
from moodcast.config import load_settings
from moodcast.stream import StreamSummary, load_landing, publish_last
from moodcast.stream_landing import (
    UNPUBLISHED,
    UNPUBLISHED_AT_LEAST,
    Ending,
    close_session,
    session_lock,
)
from moodcast.stream_recovery import recover_killed_sessions
from tests.moodcast import stream_files
from warehouse import queries


def _recorded(data_dir) -> tuple[list[tuple], list[tuple]]:
    """The run ledger as (run, status, read), and the `unpublished` counts as (run, reason, n)."""
    con = warehouse.open_published(data_dir)
    try:
        runs = queries.runs(con).select("run_id", "status", "read").rows()
        counts = queries.run_counts(con).filter(pl.col("category") == "unpublished")
    finally:
        con.close()
    return runs, counts.select("run_id", "reason", "n").rows()


@pytest.mark.parametrize(
    ("caught_up", "reason"),
    [(True, UNPUBLISHED), (False, UNPUBLISHED_AT_LEAST)],
    ids=["caught up", "not caught up"],
)
def test_the_summary_reports_the_ending_the_last_load_recorded(tmp_path, caught_up, reason):
    """The last load and the session's summary each decided the ending from the session's
    counts; now the last load decides and records it, and returns it for the summary, whose
    JSON also says whether `unpublished` is a floor (a job that had not processed every
    message it pulled: it held more, how many not known), which it did not say."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=2, valid=2)

    ending = publish_last(session, caught_up=caught_up, wait=timedelta(0))

    assert ending == Ending("incomplete", 2, floor=not caught_up)
    assert _recorded(tmp_path) == ([("stream-test", "incomplete", 2)], [("stream-test", reason, 2)])
    summary = StreamSummary("stream-test", session.loads, session.days, session.counts, ending)
    said = summary.as_json()
    assert (said["status"], said["unpublished"]) == ("incomplete", 2)
    assert said["unpublished_is_floor"] is not caught_up


def test_a_session_whose_posts_are_all_in_a_pane_ends_ok_with_no_unpublished_count(tmp_path):
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3)

    ending = publish_last(session, wait=timedelta(0))

    assert ending == Ending("ok", 0, floor=False)
    assert _recorded(tmp_path) == ([("stream-test", "ok", 3)], [])
    summary = StreamSummary("stream-test", session.loads, session.days, session.counts, ending)
    assert summary.as_json()["unpublished_is_floor"] is False


def _ended_incomplete_with_a_pane_left(tmp_path, *, caught_up: bool, pane_posts: int):
    """A session that read 3 posts (valid), loaded a pane holding 1 of them, and whose last
    load recorded it `incomplete` (2 unpublished); a pane of `pane_posts` posts landed after
    that load, so it stopped with that file unloaded (its note kept for recovery)."""
    session = stream_files.session(tmp_path)
    alive = session_lock(session)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, index=0, posts=1)
    assert publish_last(session, caught_up=caught_up, wait=timedelta(0)).unpublished == 2
    stream_files.write_pane(session.landing, index=1, posts=pane_posts)
    close_session(alive, session.landing)


def test_a_recovered_incomplete_session_whose_files_hold_its_posts_is_recorded_ok(tmp_path):
    """Recovery loaded the pane that held the posts counted unpublished, and kept the run
    `incomplete` with its old count (2): the ledger said 2 posts were in no day while the
    warehouse held them. Now the count is decided again from what recovery loaded: none left,
    so the run ended `ok`, with no `unpublished` count."""
    _ended_incomplete_with_a_pane_left(tmp_path, caught_up=True, pane_posts=3)

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == ["stream-test"]

    assert _recorded(tmp_path) == ([("stream-test", "ok", 3)], [])


def test_a_recovered_incomplete_session_counts_what_its_files_still_leave_out(tmp_path):
    """A recovered pane that holds some of the missing posts leaves the others counted."""
    _ended_incomplete_with_a_pane_left(tmp_path, caught_up=True, pane_posts=2)

    recover_killed_sessions(load_settings(tmp_path))

    runs, counts = _recorded(tmp_path)
    assert (runs, counts) == ([("stream-test", "incomplete", 3)], [("stream-test", UNPUBLISHED, 1)])


def test_a_recovered_floor_stays_a_floor(tmp_path):
    """Where the job had not processed every message it pulled, the recovered count is still
    a floor, and the run stays `incomplete` though its files hold every post counted."""
    _ended_incomplete_with_a_pane_left(tmp_path, caught_up=False, pane_posts=3)

    recover_killed_sessions(load_settings(tmp_path))

    runs, counts = _recorded(tmp_path)
    assert runs == [("stream-test", "incomplete", 3)]
    assert counts == [("stream-test", UNPUBLISHED_AT_LEAST, 0)]


def test_a_load_says_it_loaded_a_day_still_open_not_that_it_published_it(tmp_path, caplog):
    """Each load logged `published N day(s)`, though a day still open (today's early pane) is
    counted and not published: it now says it loaded them, and when such a day is published."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3, day=session.record("running").as_of)

    with caplog.at_level(logging.INFO, logger="moodcast.stream"):
        assert load_landing(session)

    (said,) = [r.getMessage() for r in caplog.records if "pane file" in r.getMessage()]
    assert said.startswith("stream: loaded 1 day(s) from 1 pane file(s)")
    assert "published once it has ended" in said


def test_a_floor_an_older_moodcast_recorded_stays_a_floor_when_recovered(tmp_path):
    """A count recorded as a floor in an older moodcast's wording ("in no published day")
    is read as a floor too: recovery does not turn that run `ok`."""
    _ended_incomplete_with_a_pane_left(tmp_path, caught_up=False, pane_posts=3)
    older = (
        "read, in no published day when the stream stopped; and more it had pulled and not "
        "processed, how many not known"
    )
    with warehouse.writing(tmp_path) as con:
        warehouse.record_unpublished(con, "stream-test", 2, older)

    recover_killed_sessions(load_settings(tmp_path))

    runs, counts = _recorded(tmp_path)
    assert runs == [("stream-test", "incomplete", 3)]
    assert counts == [("stream-test", UNPUBLISHED_AT_LEAST, 0)]
