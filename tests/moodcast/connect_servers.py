"""Fixture sources for the connector tests: a websocket server (Jetstream's transport) and an
HTTP server (Mastodon's), each on a free port of 127.0.0.1 and served from a thread, and a stop
event that ends a connector stuck reconnecting."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from websockets.sync.server import serve


@contextmanager
def websocket_server(handler: Callable, **options) -> Iterator[str]:
    """Serves `handler` (websockets' sync server, with `options` such as `process_request`);
    yields the URL of its `/subscribe` path; shut down on exit."""
    with serve(handler, "127.0.0.1", 0, **options) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
        finally:
            server.shutdown()


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serves `handler`; yields the server's URL; shut down and its socket closed on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def stop_after(seconds: float) -> Iterator[threading.Event]:
    """A stop event that a timer sets after `seconds`, so a connector stuck reconnecting ends
    the test; the timer is cancelled on exit."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        yield stop
    finally:
        timer.cancel()


def mastodon_stream(
    statuses: list[dict], *, content_type: str = "text/event-stream; charset=utf-8"
):
    """http_server of a Mastodon stream that answers each request with an `update` event of each
    status (JSON, non-ASCII characters unescaped, as Mastodon writes them) under `content_type`,
    then ends."""

    class _Stream(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            for status in statuses:
                data = json.dumps(status, ensure_ascii=False).encode("utf-8")
                self.wfile.write(b"event: update\ndata: " + data + b"\n\n")
            self.wfile.flush()

        def log_message(self, *args):
            pass

    return http_server(_Stream)
