"""A stream session's day that a file run emptied (it holds no rows and no pane), which the
session's next pane then fills again: its posts are in that day, not kept out."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

import warehouse
from moodcast.stream import load_landing, publish_last
from tests.moodcast import stream_files
from transforms.contracts import DAILY_SCHEMA


def test_a_day_the_session_holds_again_is_not_named_kept_out(tmp_path):
    """The session loaded 3 posts of the day; a file run then left the day empty, and a load
    of the session ran (its posts then in no day: kept out). Its next pane, 4 posts, filled the
    day again. Before, the day stayed in `kept_out` with 3 posts: the session ended `ok` with
    its summary and `--json` naming 3 posts kept out of a day it held, and `waiting` was -3,
    so a drain waited out its whole time for posts that were in the day."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, index=0, posts=3)
    assert load_landing(session)
    with warehouse.writing(tmp_path) as con:
        warehouse.load_daily(con, pl.DataFrame(schema=DAILY_SCHEMA), days=[stream_files.DAY])
    assert load_landing(session)
    assert {day: kept.posts for day, kept in session.kept_out.items()} == {stream_files.DAY: 3}
    stream_files.write_counts(session.landing, read=1, valid=1)
    stream_files.write_pane(session.landing, index=1, posts=4)

    ending = publish_last(session, wait=timedelta(0))

    assert (ending.status, ending.unpublished, ending.kept_out) == ("ok", 0, 0)
    assert (session.kept_out, session.waiting()) == ({}, 0)
