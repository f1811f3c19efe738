"""Connectors against local fixture servers: a Jetstream websocket and a Mastodon SSE stream,
each dropping the first connection; posts land in the spool once each, text nowhere else."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from websockets.sync.server import serve

from moodcast.connect import SpoolSink, bluesky_source, mastodon_source, run_connector
from moodcast.follow import spool_files

DID = "did:plc:fixtureauthor0000000000"


def _commit(i: int) -> dict:
    return {
        "did": f"{DID}{i % 3}",
        "time_us": 1_760_000_000_000_000 + i,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": f"3kpost{i:04d}",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": f"fixture words number {i} feeling sad",
                "createdAt": f"2026-03-20T10:{i:02d}:00.000Z",
                "langs": ["en"],
            },
        },
    }


@contextmanager
def _jetstream(events: list[dict], *, drop_after: int) -> Iterator[tuple[str, list]]:
    """A Jetstream fixture on 127.0.0.1 that sends events from the `cursor` query parameter
    (inclusive, as Jetstream replays) and closes the first connection after `drop_after`."""
    cursors: list[str | None] = []

    def handler(connection):
        query = parse_qs(urlparse(connection.request.path).query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        cursors.append(None if cursor is None else str(cursor))
        sent = 0
        for event in events:
            if cursor is not None and event["time_us"] < cursor:
                continue
            connection.send(json.dumps(event))
            sent += 1
            if len(cursors) == 1 and sent == drop_after:
                connection.close()
                return
        for _ in connection:  # hold the connection open until the client leaves
            pass

    with serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.socket.getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}/subscribe", cursors
        finally:
            server.shutdown()


def _spooled(spool: Path) -> list[dict]:
    return [
        json.loads(line) for path in spool_files(spool) for line in path.read_text().splitlines()
    ]


def test_bluesky_reconnects_resumes_from_its_cursor_and_writes_each_post_once(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    events = [_commit(i) for i in range(10)]
    events.insert(4, {"did": DID, "time_us": events[3]["time_us"], "kind": "identity"})
    spool, cursor_file = tmp_path / "spool", tmp_path / "state" / "bluesky.cursor"
    with _jetstream(events, drop_after=6) as (url, cursors):
        sink = SpoolSink(spool, source="bluesky", rotate_every=_minutes(5), rotate_posts=2)
        summary = run_connector(
            bluesky_source(url),
            sink,
            cursor_file=cursor_file,
            stop=threading.Event(),
            max_posts=10,
            backoff_s=0.05,
        )
    posts = _spooled(spool)
    assert summary.connections == 2 and cursors[0] is None and cursors[1] is not None
    assert len(posts) == 10 and len({p["id"] for p in posts}) == 10
    assert all(p["id"].startswith("bsky:") and p["platform"] == "bluesky" for p in posts)
    assert {p["created_at"] for p in posts} == {
        e["commit"]["record"]["createdAt"] for e in events if "commit" in e
    }
    assert cursor_file.read_text().strip() == str(events[-1]["time_us"])
    assert not list(spool.glob(".*"))
    assert "fixture words" not in caplog.text and DID not in caplog.text


def test_bluesky_restarted_later_starts_from_the_saved_cursor(tmp_path):
    events = [_commit(i) for i in range(6)]
    spool, cursor_file = tmp_path / "spool", tmp_path / "bluesky.cursor"
    cursor_file.write_text(str(events[3]["time_us"]))
    with _jetstream(events, drop_after=100) as (url, cursors):
        sink = SpoolSink(spool, source="bluesky", rotate_every=_minutes(5), rotate_posts=100)
        run_connector(
            bluesky_source(url), sink, cursor_file=cursor_file, stop=threading.Event(), max_posts=3
        )
    assert cursors == [str(events[3]["time_us"])]
    assert len(_spooled(spool)) == 3


def _status(i: int) -> dict:
    return {
        "id": str(110_000_000 + i),
        "created_at": f"2026-03-20T11:{i:02d}:00.000Z",
        "content": f"<p>fixture toot {i}, so lonely</p>",
        "language": "en",
        "account": {"id": str(900 + i % 2)},
        "in_reply_to_id": None,
        "reblog": None,
    }


class _Mastodon(BaseHTTPRequestHandler):
    statuses: ClassVar[list[dict]] = []
    connections: ClassVar[list[str]] = []

    def do_GET(self):
        if not self.path.startswith("/api/v1/streaming/public"):
            self.send_error(404)
            return
        self.connections.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        first = len(self.connections) == 1
        self.wfile.write(b":thump\n\n")
        for status in self.statuses[: 3 if first else None]:  # no cursor: a reconnect replays
            self.wfile.write(b"event: update\ndata: " + json.dumps(status).encode() + b"\n\n")
            self.wfile.flush()
        if first:
            return  # drop the connection
        for _ in range(50):
            time.sleep(0.1)
            try:
                self.wfile.write(b":thump\n\n")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args):
        pass


def test_mastodon_reconnects_after_a_drop_and_skips_replayed_posts(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    _Mastodon.statuses = [_status(i) for i in range(6)]
    _Mastodon.connections = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Mastodon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spool = tmp_path / "spool"
    try:
        summary = run_connector(
            mastodon_source(f"http://127.0.0.1:{server.server_address[1]}"),
            SpoolSink(spool, source="mastodon", rotate_every=_minutes(5), rotate_posts=4),
            cursor_file=tmp_path / "mastodon.cursor",
            stop=threading.Event(),
            max_posts=6,
            backoff_s=0.05,
        )
    finally:
        server.shutdown()
    posts = _spooled(spool)
    assert len(_Mastodon.connections) == 2 and summary.repeats == 3
    assert sorted(p["id"] for p in posts) == sorted(s["id"] for s in _Mastodon.statuses)
    assert all("<p>" not in p["text"] and p["platform"] == "mastodon" for p in posts)
    assert "fixture toot" not in caplog.text


def test_the_spool_rotates_files_whole(tmp_path):
    sink = SpoolSink(tmp_path, source="x", rotate_every=_minutes(5), rotate_posts=2)
    sink.write({"id": "1"})
    assert not sink.due() and spool_files(tmp_path) == []
    sink.write({"id": "2"})
    assert sink.due()
    sink.flush()
    (written,) = spool_files(tmp_path)
    assert written.name.startswith("x-") and written.suffix == ".jsonl"
    assert [json.loads(line)["id"] for line in written.read_text().splitlines()] == ["1", "2"]


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)


@pytest.fixture(autouse=True)
def _no_stray_threads():
    before = threading.active_count()
    yield
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_command_writes_a_spool_that_follow_mode_reads(tmp_path):
    from click.testing import CliRunner

    from moodcast.cli import main

    events = [_commit(i) for i in range(4)]
    with _jetstream(events, drop_after=100) as (url, _):
        result = CliRunner().invoke(
            main,
            ["connect", "bluesky", "--jetstream", url, "--spool", str(tmp_path / "spool")]
            + ["--max-posts", "4", "--data-dir", str(tmp_path / "data")],
            obj={},
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    assert len(_spooled(tmp_path / "spool")) == 4
    assert (tmp_path / "data" / "connect" / "bluesky.cursor").read_text().strip() == str(
        events[-1]["time_us"]
    )
