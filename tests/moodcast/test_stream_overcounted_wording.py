"""A stream session whose panes loaded hold more posts than its counts say it read (a counts
file its job never wrote) ends `incomplete` with a floor of 0; its error and its recorded
reason said the posts not known were ones "its job had pulled", which is not why."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

import warehouse
from moodcast.stream import StreamIncomplete, StreamSummary, publish_last
from tests.moodcast import stream_files
from warehouse import queries


def _stopped(tmp_path, *, caught_up: bool, read: int, pane_posts: int | None):
    """A stopped session's error and its recorded `unpublished` reason: its counts say `read`
    posts read and valid, and it loaded one pane of `pane_posts` posts (None: no pane)."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=read, valid=read)
    if pane_posts is not None:
        stream_files.write_pane(session.landing, posts=pane_posts)
    ending = publish_last(session, caught_up=caught_up, wait=timedelta(0))
    summary = StreamSummary("stream-test", session.loads, session.days, session.counts, ending)
    con = warehouse.open_published(tmp_path)
    try:
        counts = queries.run_counts(con).filter(pl.col("category") == "unpublished")
    finally:
        con.close()
    (reason,) = counts.get_column("reason")
    return str(StreamIncomplete.of(summary)), reason


@pytest.mark.parametrize("caught_up", [True, False], ids=["caught up", "not caught up"])
def test_panes_holding_more_posts_than_counted_are_not_said_to_be_posts_it_pulled(
    tmp_path, caught_up
):
    said, reason = _stopped(tmp_path, caught_up=caught_up, read=1, pane_posts=3)

    assert "had pulled" not in said
    assert "its panes loaded hold more posts than its counts say it read" in said
    assert "how many of the posts it read are counted in no day is not known" in said
    assert reason.endswith(
        "(its job had not processed every message it pulled, or its counts miss posts it read)"
    )


def test_a_job_that_had_not_processed_what_it_pulled_is_still_said_to_have_pulled_more(tmp_path):
    said, _ = _stopped(tmp_path, caught_up=False, read=2, pane_posts=None)

    assert "2 post(s) it read are counted in no day, and an unknown number more that its" in said
    assert "its panes loaded hold more posts" not in said
