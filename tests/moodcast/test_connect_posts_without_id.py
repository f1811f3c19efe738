"""Posts a source sends without an id are each written, for the run to dead-letter with its
reason (`missing field id`); only posts with an id are checked against the recent ids. Before,
the first post without an id put None among the recent ids and every later one was skipped as
a repeat of it: lost, and counted as a repeat rather than as bad input."""

from __future__ import annotations

from moodcast.connect import SpoolSink, mastodon_source, run_connector
from tests.moodcast.connect_servers import mastodon_stream, stop_after
from tests.moodcast.test_connect import _minutes, _spooled, _status


def test_posts_without_an_id_are_all_written_not_taken_for_repeats(tmp_path):
    without_ids = [{k: v for k, v in _status(i).items() if k != "id"} for i in range(3)]
    with mastodon_stream(without_ids) as url, stop_after(3) as stop:
        summary = run_connector(
            mastodon_source(url),
            SpoolSink(tmp_path, source="mastodon", rotate_every=_minutes(5), rotate_posts=10),
            cursor_file=tmp_path / "mastodon.cursor",
            stop=stop,
            max_posts=3,
            backoff_s=0.05,
        )
    posts = _spooled(tmp_path)
    assert (summary.posts, summary.repeats) == (3, 0)
    assert [p.get("id") for p in posts] == [None, None, None]
    assert sorted(p["created_at"] for p in posts) == [_status(i)["created_at"] for i in range(3)]
