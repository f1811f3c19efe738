"""A message of a live source that is not a post the preset can map (not JSON, not an object,
a Jetstream commit without its author or record key) is skipped and counted with its reason:
the connection stays up and the posts after it are written. Before, it raised inside the
connection, which was dropped and made again; Jetstream resumed from the cursor before the
message and sent it again, so the connector reconnected forever and wrote nothing after it."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

from click.testing import CliRunner

from moodcast.cli import main
from moodcast.connect import SpoolSink, bluesky_source, run_connector
from tests.moodcast.connect_servers import http_server, stop_after, websocket_server
from tests.moodcast.test_connect import _commit, _minutes, _spooled, _status


def test_malformed_jetstream_messages_are_skipped_and_the_posts_after_them_written(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    no_author = _commit(90)
    del no_author["did"]
    messages = [json.dumps(_commit(0)), "not json{", json.dumps(_commit(1)), "[1, 2]"]
    messages += [json.dumps(no_author), json.dumps(_commit(2)), json.dumps(_commit(3))]
    connections = []

    def handler(connection):
        connections.append(connection.request.path)
        for message in messages:  # every connection sends them all, as a replay would
            connection.send(message)
        for _ in connection:
            pass

    with websocket_server(handler) as url, stop_after(3) as stop:
        summary = run_connector(
            bluesky_source(url),
            SpoolSink(
                tmp_path / "spool", source="bluesky", rotate_every=_minutes(5), rotate_posts=10
            ),
            cursor_file=tmp_path / "bluesky.cursor",
            stop=stop,
            max_posts=4,
            backoff_s=0.05,
        )
    assert sorted(p["created_at"] for p in _spooled(tmp_path / "spool")) == [
        _commit(i)["commit"]["record"]["createdAt"] for i in range(4)
    ]
    assert (summary.posts, summary.malformed, len(connections)) == (4, 3, 1)
    assert "connection lost" not in caplog.text
    assert caplog.text.count("skipped a message of the source") == 3


class _Mastodon(BaseHTTPRequestHandler):
    first: ClassVar[list[bytes]] = []
    again: ClassVar[list[bytes]] = []
    connections: ClassVar[list[str]] = []

    def do_GET(self):
        self.connections.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for line in self.first if len(self.connections) == 1 else self.again:
            self.wfile.write(line)
            self.wfile.flush()

    def log_message(self, *args):
        pass


def test_a_malformed_mastodon_update_is_skipped_and_the_command_says_so(tmp_path):
    good = [b"event: update\ndata: " + json.dumps(_status(i)).encode() + b"\n\n" for i in range(3)]
    _Mastodon.first = [good[0], b'event: update\ndata: {"id": \n\n', good[1]]
    _Mastodon.first += [b'event: update\ndata: "a string"\n\n', good[2]]
    _Mastodon.again, _Mastodon.connections = good, []
    with http_server(_Mastodon) as url:
        result = CliRunner().invoke(
            main,
            ["connect", "mastodon", "--server", url, "--spool", str(tmp_path / "spool")]
            + ["--max-posts", "3", "--data-dir", str(tmp_path / "data")],
            obj={},
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    assert sorted(p["id"] for p in _spooled(tmp_path / "spool")) == [
        _status(i)["id"] for i in range(3)
    ]
    assert len(_Mastodon.connections) == 1
    assert "2 malformed messages skipped" in result.output
