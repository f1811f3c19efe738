"""A lost connection's warning names its error without quoting what the source sent: a
Mastodon stream broken mid-chunk raises an error whose message holds the line read where a
chunk's length was due (a status: its text and author id), and it is named by its kind and
where it was raised. Before, every error's message went into the log line."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler

from moodcast.connect import SpoolSink, mastodon_source, run_connector
from tests.moodcast.connect_servers import http_server, stop_after
from tests.moodcast.test_connect import _minutes, _status

_STATUS = {**_status(0), "account": {"id": "fixture-author-77"}}


class _BrokenChunks(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n")
        self.wfile.write(b"Transfer-Encoding: chunked\r\n\r\n")
        self.wfile.write(b"e\r\nevent: update\n\r\n")
        self.wfile.write(b"data: " + json.dumps(_STATUS).encode() + b"\r\n")  # no length
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_stream_broken_mid_chunk_is_named_without_the_bytes_it_read(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with http_server(_BrokenChunks) as url, stop_after(0.5) as stop:
        summary = run_connector(
            mastodon_source(url),
            SpoolSink(tmp_path, source="mastodon", rotate_every=_minutes(5), rotate_posts=1),
            cursor_file=tmp_path / "mastodon.cursor",
            stop=stop,
            backoff_s=0.05,
        )
    assert summary.connections >= 1 and summary.posts == 0
    assert "fixture toot" not in caplog.text and "fixture-author-77" not in caplog.text
    assert "connection lost (ChunkedEncodingError raised at " in caplog.text
