"""A source that answers the connection with a refusal no retry changes (HTTP 401, 403, 404:
a wrong --server or --jetstream, a token missing) stops the connector with an error naming
the answer and what to check. Before, it was taken for a dropped connection and retried with
backoff for as long as the connector ran, logging only `connection lost (HTTPError)`."""

from __future__ import annotations

import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from moodcast.connect import SourceRefused, SpoolSink, bluesky_source, run_connector
from tests.moodcast.connect_servers import http_server, stop_after, websocket_server
from tests.moodcast.test_connect import _minutes


class _Unauthorized(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(401, "This method requires an authenticated user")

    def log_message(self, *args):
        pass


def test_a_mastodon_server_refusing_the_stream_stops_the_command_with_its_answer(tmp_path):
    with http_server(_Unauthorized) as url:
        result = subprocess.run(
            [sys.executable, "-c", "from moodcast.cli import cli; cli()", "connect", "mastodon"]
            + ["--server", url]
            + ["--spool", str(tmp_path / "spool"), "--data-dir", str(tmp_path / "data")]
            + ["--token-env", "NO_SUCH_TOKEN_VARIABLE"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )
    assert result.returncode == 3, result.stderr
    assert "401" in result.stderr and "NO_SUCH_TOKEN_VARIABLE" in result.stderr


def test_a_jetstream_endpoint_refusing_the_handshake_is_an_error_not_a_retry(tmp_path):
    def refuse(connection, request):
        return connection.respond(404, "no such endpoint\n")

    with (
        websocket_server(lambda connection: None, process_request=refuse) as url,
        stop_after(3) as stop,
        pytest.raises(SourceRefused, match="404") as raised,
    ):
        run_connector(
            bluesky_source(url),
            SpoolSink(tmp_path, source="bluesky", rotate_every=_minutes(5), rotate_posts=1),
            cursor_file=tmp_path / "bluesky.cursor",
            stop=stop,
            backoff_s=0.05,
        )
    assert "--jetstream" in str(raised.value)
