"""A stream session whose panes kept out of a day another run holds hold more posts than its
counts say it read ends `incomplete` with a floor (Ending.of), and its error says so of those
panes, not of panes loaded."""

from __future__ import annotations

from datetime import timedelta

from moodcast.stream import StreamIncomplete, StreamSummary, publish_last
from tests.moodcast import stream_files


def test_kept_out_panes_holding_more_posts_than_counted_are_named_as_kept_out(tmp_path):
    """Its counts say 1 post read; its one pane, of a file run's day (kept out), holds 3; it
    loaded none. Before, its error said "its panes loaded hold more posts than its counts say
    it read", though no pane was loaded."""
    stream_files.file_run(tmp_path)
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=1, valid=1)
    stream_files.write_pane(session.landing, posts=3)

    ending = publish_last(session, wait=timedelta(0))

    assert (ending.status, ending.overcounted, ending.kept_out) == ("incomplete", True, 3)
    said = str(StreamIncomplete.of(StreamSummary.of(session, ending)))
    assert "its panes loaded hold more posts" not in said
    assert (
        "its panes, loaded or kept out of days another run holds, hold more posts than its "
        "counts say it read"
    ) in said
