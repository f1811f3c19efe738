"""A Mastodon status whose text holds U+2028 (line separator), U+2029 or U+0085, which JSON
leaves unescaped, reaches the spool whole: server-sent events end lines at CR and LF only.
Before, the stream was split as text, at every Unicode line boundary, so the status's `data:`
line was cut there, skipped as malformed (not JSON) and lost."""

from __future__ import annotations

from moodcast.connect import SpoolSink, mastodon_source, run_connector
from tests.moodcast.connect_servers import mastodon_stream, stop_after
from tests.moodcast.test_connect import _minutes, _spooled, _status


def test_a_status_holding_unicode_line_separators_is_read_whole(tmp_path):
    status = {**_status(0), "content": "<p>so tired\u2028of it all\u2029again\x85today</p>"}
    with mastodon_stream([status]) as url, stop_after(2) as stop:
        summary = run_connector(
            mastodon_source(url),
            SpoolSink(tmp_path, source="mastodon", rotate_every=_minutes(5), rotate_posts=1),
            cursor_file=tmp_path / "mastodon.cursor",
            stop=stop,
            max_posts=1,
            backoff_s=0.05,
        )
    assert (summary.posts, summary.malformed) == (1, 0)
    (post,) = _spooled(tmp_path)
    assert post["id"] == _status(0)["id"]
    assert "so tired" in post["text"] and "today" in post["text"]
