"""A refusal that would stop the connector at its start (an HTTP 4xx but 408 and 429) is
retried once the source has sent posts in the session: the address and token were right, and
a proxy, firewall or rate limiter in front of the source answers 403 or 404 for a while. Before,
a connector that had streamed for days stopped (exit 3) at such an answer to a reconnect."""

from __future__ import annotations

import json
import logging

from moodcast.connect import SpoolSink, bluesky_source, run_connector
from tests.moodcast.connect_servers import stop_after, websocket_server
from tests.moodcast.test_connect import _commit, _minutes


def test_a_refusal_after_the_source_has_streamed_is_retried(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    requests = []

    def refuse_the_second(connection, request):
        requests.append(request.path)
        return connection.respond(403, "rate limited\n") if len(requests) == 2 else None

    def handler(connection):
        for i in range(2 if len(requests) == 1 else 3):
            connection.send(json.dumps(_commit(i)))
        if len(requests) == 1:
            return  # the first connection drops after two posts
        for _ in connection:
            pass

    with (
        websocket_server(handler, process_request=refuse_the_second) as url,
        stop_after(3) as stop,
    ):
        summary = run_connector(
            bluesky_source(url),
            SpoolSink(tmp_path, source="bluesky", rotate_every=_minutes(5), rotate_posts=10),
            cursor_file=tmp_path / "bluesky.cursor",
            stop=stop,
            max_posts=3,
            backoff_s=0.05,
        )
    assert (summary.posts, summary.connections) == (3, 3)
    assert "connection lost (SourceRefused: " in caplog.text and "403" in caplog.text
