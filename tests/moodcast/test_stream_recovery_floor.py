"""A stream's `unpublished` count is a floor wherever it is not known to be exact: recovery
turns a session recorded `incomplete` into `ok` only where its count is known to be exact and
every counts file it left was loaded, and panes holding more posts than counted never make the
count negative."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

import warehouse
from moodcast.config import load_settings
from moodcast.stream import load_landing, publish_last
from moodcast.stream_landing import (
    UNPUBLISHED_AT_LEAST,
    Ending,
    close_session,
    session_lock,
)
from moodcast.stream_recovery import recover_killed_sessions
from tests.moodcast import stream_files
from warehouse import queries


def _ended_incomplete(tmp_path) -> str:
    """A session that read 3 posts (valid), loaded a pane holding 1, and whose last load
    recorded it `incomplete` with an exact count of 2; a pane holding all 3 landed after that
    load, and the session stopped with it unloaded. Returns its landing location."""
    session = stream_files.session(tmp_path)
    alive = session_lock(session)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, index=0, posts=1)
    assert publish_last(session, wait=timedelta(0)).unpublished == 2
    stream_files.write_pane(session.landing, index=1, posts=3)
    close_session(alive, session.landing)
    return session.landing


def _recorded(data_dir) -> tuple[list[tuple], list[tuple]]:
    """The run ledger as (run, status), and the `unpublished` counts as (reason, n)."""
    con = warehouse.open_published(data_dir)
    try:
        runs = queries.runs(con).select("run_id", "status").rows()
        counts = queries.run_counts(con).filter(pl.col("category") == "unpublished")
    finally:
        con.close()
    return runs, counts.select("reason", "n").rows()


def test_a_count_whose_reason_is_not_known_as_exact_is_read_as_a_floor(tmp_path):
    """Recovery read a count as a floor only where its reason ended with today's floor
    wording: a floor worded otherwise (a moodcast that words it differently) was read as
    exact, and the run turned `ok` though more posts than counted were in no day."""
    _ended_incomplete(tmp_path)
    otherwise = "read, in no pane loaded when the stream stopped; at least, more not known"
    with warehouse.writing(tmp_path) as con:
        warehouse.record_unpublished(con, "stream-test", 2, otherwise)

    recover_killed_sessions(load_settings(tmp_path))

    assert _recorded(tmp_path) == ([("stream-test", "incomplete")], [(UNPUBLISHED_AT_LEAST, 0)])


def test_a_recovery_that_set_aside_a_count_file_does_not_turn_the_run_ok(tmp_path):
    """A count file cut short is set aside and the run recorded without it: recovery then
    decided the ending from counts that miss the posts that file counted, found every post
    counted in a pane and recorded the run `ok`, though it cannot know how many were read."""
    landing = _ended_incomplete(tmp_path)
    stream_files.write_counts(landing, read=2, valid=2)
    (cut,) = (p for p in (tmp_path / "stream" / "stream-test" / "counts").iterdir())
    cut.write_bytes(cut.read_bytes()[:100])

    recover_killed_sessions(load_settings(tmp_path))

    assert _recorded(tmp_path) == ([("stream-test", "incomplete")], [(UNPUBLISHED_AT_LEAST, 0)])


@pytest.mark.parametrize("caught_up", [True, False], ids=["caught up", "not caught up"])
def test_panes_holding_more_posts_than_counted_leave_a_floor_not_a_negative_count(
    tmp_path, caught_up
):
    """Panes loaded holding more posts than the counts loaded say are valid (a counts file the
    job never wrote) made the `unpublished` count negative: the ledger, `--json` and the
    error said -2 posts were in no day. How many are is not known: a floor of 0."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=1, valid=1)
    stream_files.write_pane(session.landing, posts=3)

    ending = publish_last(session, caught_up=caught_up, wait=timedelta(0))

    assert ending == Ending("incomplete", 0, floor=True, overcounted=True)
    assert _recorded(tmp_path) == ([("stream-test", "incomplete")], [(UNPUBLISHED_AT_LEAST, 0)])


def test_a_recovered_pane_a_later_stream_run_outranks_leaves_its_posts_counted(tmp_path):
    """A recovered pane of a day that a later-started stream run had loaded since is stale:
    the warehouse keeps the later run's pane and never holds the recovered one's posts. Its
    name was noted loaded all the same, and its posts taken as in a day: the run turned `ok`
    with 2 of its posts in no day. The pane it had loaded before is no longer in the day
    either (the later run's replaced it), so all 3 of its posts are in no day (before, that
    pane's post was taken as in a day: 2): kept out of a day another run holds, named in the
    ledger's `kept_out` counts, which is not a failure of the stream (its `ok` is true)."""
    _ended_incomplete(tmp_path)
    later = stream_files.session(tmp_path, "stream-later")
    stream_files.write_pane(later.landing, posts=5)
    assert load_landing(later)

    (recovered,) = recover_killed_sessions(load_settings(tmp_path))

    runs, counts = _recorded(tmp_path)
    assert ("stream-test", "ok") in runs
    assert counts == []
    assert recovered.kept_out == {stream_files.DAY: (3, "stream-later")}
    con = warehouse.open_published(tmp_path)
    try:
        assert warehouse.recorded_kept_out(con, "stream-test") == {
            stream_files.DAY: (3, "stream-later")
        }
    finally:
        con.close()
