"""A Mastodon stream is read as UTF-8 whatever its Content-Type says: server-sent events are
UTF-8 by definition, and a `text/event-stream` without a charset made requests decode it as
ISO-8859-1, so every accent and emoji reached the spool garbled (`très` as `trÃ¨s`), silently."""

from __future__ import annotations

import threading

from moodcast.connect import SpoolSink, mastodon_source, run_connector
from tests.moodcast.connect_servers import mastodon_stream
from tests.moodcast.test_connect import _minutes, _spooled, _status


def test_a_stream_without_a_charset_is_read_as_utf8(tmp_path):
    status = {**_status(0), "content": "<p>très triste ce soir 😢</p>", "language": "fr"}
    with mastodon_stream([status], content_type="text/event-stream") as url:
        run_connector(
            mastodon_source(url),
            SpoolSink(tmp_path, source="mastodon", rotate_every=_minutes(5), rotate_posts=1),
            cursor_file=tmp_path / "mastodon.cursor",
            stop=threading.Event(),
            max_posts=1,
        )
    (post,) = _spooled(tmp_path)
    assert post["text"] == "très triste ce soir 😢"
