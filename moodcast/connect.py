"""`moodcast connect`: a live public stream → Posts in a spool directory or a Pub/Sub topic.

Sources: Mastodon's streaming API (server-sent events of Status entities) and Bluesky's
Jetstream (JSON commits over a websocket; resumable from a microsecond cursor). Each post is
mapped onto the Post contract by the source's input preset (transforms.presets), so `created_at`
is its event time, and written to the sink; raw text goes nowhere else (the log carries counts
only). A dropped connection is retried with exponential backoff; Jetstream resumes from the
cursor saved when the sink last made its posts durable, and ids seen recently are skipped, so a
replay after a reconnect writes no post twice. A message that is not a post the preset can map
(not JSON, not an object, a commit without its author or key) is skipped with a warning giving
its reason, and counted; the connection stays up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from transforms.errors import ConfigError, MoodcastError
from transforms.presets import map_record, preset

log = logging.getLogger(__name__)

JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
BACKOFF_MAX_S = 60.0
RECENT_IDS = 100_000


class Sink(Protocol):
    def write(self, post: dict) -> None: ...

    def due(self) -> bool: ...

    def flush(self) -> None: ...


STALE_TMP = timedelta(hours=1)
"""How old a spool file of the connector's own that no flush renamed must be to be removed."""


class SpoolSink:
    """Rotating JSON Lines files in `directory`: each is written as a hidden `.…jsonl.tmp` and
    renamed into place whole (what `moodcast run --follow` expects) when it holds
    `rotate_posts` posts or is `rotate_every` old. On start it removes the hidden files of its
    `source` that a flush failed to rename (`.<source>-<stamp>-<seq>.jsonl.tmp`, never read by
    follow mode) and that are older than STALE_TMP; no other file."""

    def __init__(self, directory: Path, *, source: str, rotate_every: timedelta, rotate_posts: int):
        self._dir = directory
        self._source = source
        self._every_s = rotate_every.total_seconds()
        self._max = rotate_posts
        self._lines: list[bytes] = []
        self._opened = time.monotonic()
        self._seq = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale()

    def _remove_stale(self) -> None:
        own = re.compile(rf"\.{re.escape(self._source)}-\d{{8}}T\d{{12}}-\d{{6}}\.jsonl\.tmp")
        before = time.time() - STALE_TMP.total_seconds()
        removed = 0
        for path in self._dir.glob(f".{self._source}-*.jsonl.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if own.fullmatch(path.name) and path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
        if removed:
            log.warning(
                "connect: removed %d spool file(s) of %s older than %s that a failed flush left "
                "unrenamed in %s (their posts never reached the spool)",
                removed,
                self._source,
                STALE_TMP,
                self._dir,
            )

    def write(self, post: dict) -> None:
        if not self._lines:
            self._opened = time.monotonic()
        self._lines.append(json.dumps(post, ensure_ascii=False).encode("utf-8"))

    def due(self) -> bool:
        return bool(self._lines) and (
            len(self._lines) >= self._max or time.monotonic() - self._opened >= self._every_s
        )

    def flush(self) -> None:
        if not self._lines:
            return
        self._seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{self._source}-{stamp}-{self._seq:06d}.jsonl"
        temporary = self._dir / f".{name}.tmp"
        with temporary.open("wb") as handle:
            handle.write(b"\n".join(self._lines) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(self._dir / name)
        self._lines = []


class TopicSink:
    """Publishes each post to a Pub/Sub topic (`projects/P/topics/T`); a flush waits until
    every message published so far is acknowledged by the service, each for at most
    `ack_timeout_s`."""

    def __init__(self, topic: str, *, rotate_every: timedelta, ack_timeout_s: float = 60.0):
        from google.cloud import pubsub_v1

        self._publisher = pubsub_v1.PublisherClient()
        self._topic = topic
        self._every_s = rotate_every.total_seconds()
        self._ack_timeout_s = ack_timeout_s
        self._pending: list = []
        self._since = time.monotonic()

    def write(self, post: dict) -> None:
        data = json.dumps(post, ensure_ascii=False).encode("utf-8")
        self._pending.append(self._publisher.publish(self._topic, data))

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._since >= self._every_s

    def flush(self) -> None:
        """Wait for every acknowledgement; raises SinkRefused where the service refuses the
        topic for good (not found, permission denied, a name it cannot take), SinkUnreachable
        where an acknowledgement does not come in time."""
        from google.api_core.exceptions import InvalidArgument, NotFound, PermissionDenied

        try:
            for future in self._pending:
                future.result(timeout=self._ack_timeout_s)
        except TimeoutError as exc:
            raise SinkUnreachable(
                f"--topic {self._topic}: Pub/Sub acknowledged no post within "
                f"{self._ack_timeout_s:.0f} s. Check that this host reaches Pub/Sub "
                "(PUBSUB_EMULATOR_HOST for the emulator, else the network and credentials)."
            ) from exc
        except (NotFound, PermissionDenied, InvalidArgument) as exc:
            raise SinkRefused(
                f"--topic {self._topic}: {exc.message or type(exc).__name__} "
                f"({exc.code}). Check the topic's name and that it exists, and where Pub/Sub is "
                "(PUBSUB_EMULATOR_HOST for the emulator, else credentials for this project)."
            ) from exc
        self._pending = []
        self._since = time.monotonic()


class SourceRefused(ConfigError):
    """The source answered the connection with a refusal that retrying cannot change (an HTTP
    4xx other than 408 and 429: a wrong address, a token missing or refused)."""


class SinkUnreachable(MoodcastError):
    """The sink did not make the posts durable in time (Pub/Sub not reached)."""


class SinkRefused(ConfigError):
    """The sink refuses the posts for good (a topic that does not exist or takes no posts
    from this client)."""


def _permanent(status: int) -> bool:
    return 400 <= status < 500 and status not in (408, 429)


@dataclass(frozen=True)
class Event:
    """One post from a source (a Post dict, or None for a keep-alive or a message skipped),
    the source's cursor after it (None where the source has none), and for a message that is
    not a post the source's preset can map, why (`malformed`; its text is never kept)."""

    post: dict | None
    cursor: str | None
    malformed: str | None = None


class MalformedMessage(Exception):
    """A source message that is not a post of the source's shape; its message says why and
    never quotes the message."""


def _decoded(data: str | bytes) -> dict:
    """A source message's JSON object. Raises MalformedMessage for one that is not JSON (its
    position named) or not an object."""
    try:
        message = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise MalformedMessage(f"not JSON ({exc})") from exc
    if not isinstance(message, dict):
        raise MalformedMessage(f"not an object but a JSON {type(message).__name__}")
    return message


Source = Callable[[str | None, threading.Event], Iterator[Event]]
"""A connection to a source: given the cursor to resume from, yields events until the
connection drops (raising) or `stop` is set."""


def mastodon_source(
    server: str, *, token: str | None = None, token_env: str = "MASTODON_TOKEN"
) -> Source:
    """The public timeline of a Mastodon server (`/api/v1/streaming/public`, server-sent
    events, split into lines at CR and LF only and read as UTF-8 whatever the Content-Type
    says, as the format defines); each `update` is a Status entity,
    mapped by the `mastodon` preset. Raises SourceRefused, whose advice names `token_env`
    (where the token came from), when the server refuses the stream for good."""
    import requests

    mapping = preset("mastodon")
    url = f"{server.rstrip('/')}/api/v1/streaming/public"
    headers = {"Accept": "text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def connect(cursor: str | None, stop: threading.Event) -> Iterator[Event]:
        with requests.get(url, headers=headers, stream=True, timeout=(10, 60)) as response:
            if _permanent(response.status_code):
                given = "the token in" if token else "no token: none is set in"
                raise SourceRefused(
                    f"{url} refused the stream: {response.status_code} {response.reason}. "
                    f"Check --server, and whether the server requires an access token "
                    f"(--token-env; this connection sent {given} ${token_env})."
                )
            response.raise_for_status()
            event = None
            for raw in response.iter_lines():
                line = raw.decode("utf-8", errors="replace")
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event == "update":
                    try:
                        status = _decoded(line.removeprefix("data:"))
                    except MalformedMessage as exc:
                        yield Event(None, None, str(exc))
                    else:
                        yield Event(map_record(status, mapping), None)
                else:
                    yield Event(None, None)

    return connect


def bluesky_source(endpoint: str = JETSTREAM) -> Source:
    """Bluesky's Jetstream: `app.bsky.feed.post` creations, mapped by the `bluesky` preset;
    the cursor is the event's `time_us`, which Jetstream resumes from. Raises SourceRefused
    when `endpoint` is no websocket URL or refuses the handshake for good."""
    from websockets.exceptions import ConnectionClosedOK, InvalidStatus, InvalidURI
    from websockets.sync.client import connect as ws_connect

    mapping = preset("bluesky")

    def connect(cursor: str | None, stop: threading.Event) -> Iterator[Event]:
        url = f"{endpoint}?wantedCollections=app.bsky.feed.post"
        if cursor:
            url += f"&cursor={cursor}"
        try:
            opened = ws_connect(url, open_timeout=10, max_size=2**22)
        except InvalidURI as exc:
            raise SourceRefused(f"--jetstream {endpoint}: not a ws:// or wss:// URL") from exc
        except InvalidStatus as exc:
            status = exc.response.status_code
            if _permanent(status):
                raise SourceRefused(
                    f"{endpoint} refused the connection: {status} {exc.response.reason_phrase}. "
                    "Check --jetstream (a Jetstream /subscribe endpoint)."
                ) from exc
            raise
        with opened as socket:
            while not stop.is_set():
                try:
                    raw = socket.recv(timeout=1)
                except TimeoutError:
                    yield Event(None, None)
                    continue
                except ConnectionClosedOK as exc:
                    raise ConnectionError("Jetstream closed the connection") from exc
                event = _jetstream_event(raw, cursor, mapping)
                cursor = event.cursor
                yield event

    return connect


def _jetstream_event(raw: str | bytes, cursor: str | None, mapping) -> Event:
    """One Jetstream message as an Event: a post for a post's creation, the reason it is
    skipped for a message not of Jetstream's shape; its cursor is the message's `time_us`
    where that is an integer, else `cursor`."""
    try:
        message = _decoded(raw)
    except MalformedMessage as exc:
        return Event(None, cursor, str(exc))
    time_us = message.get("time_us")
    if isinstance(time_us, int) and not isinstance(time_us, bool):
        cursor = str(time_us)
    commit = message.get("commit")
    if message.get("kind") != "commit":
        return Event(None, cursor)
    if not isinstance(commit, dict):
        return Event(None, cursor, "a commit message without its commit object")
    if commit.get("operation") != "create" or commit.get("collection") != "app.bsky.feed.post":
        return Event(None, cursor)
    did, rkey = message.get("did"), commit.get("rkey")
    if not (isinstance(did, str) and did and isinstance(rkey, str) and rkey):
        return Event(None, cursor, "a post's creation without its author (did) or key (rkey)")
    view = {
        "post": {
            "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
            "author": {"did": did},
            "record": commit.get("record") or {},
        }
    }
    return Event(map_record(view, mapping), cursor)


@dataclass
class ConnectSummary:
    """What a connector session did: posts written, repeats skipped, malformed messages
    skipped, connections made."""

    posts: int = 0
    repeats: int = 0
    malformed: int = 0
    connections: int = 0


def run_connector(
    source: Source,
    sink: Sink,
    *,
    cursor_file: Path,
    stop: threading.Event,
    max_posts: int | None = None,
    backoff_s: float = 1.0,
) -> ConnectSummary:
    """Copy posts from `source` to `sink` until `stop` is set (or `max_posts` are written),
    reconnecting with exponential backoff (from `backoff_s`, at most BACKOFF_MAX_S). The cursor
    is saved to `cursor_file` after each flush of the sink, and read back at start. A
    SourceRefused before the source has sent anything in this session is raised, after the sink
    has flushed, instead of retried (one after it is retried: the configuration was right, and
    a proxy or rate limiter answers 403 or 404 for a while), and a SinkRefused at once (the
    cursor left where the sink last flushed)."""
    summary = ConnectSummary()
    cursor = cursor_file.read_text().strip() if cursor_file.exists() else None
    durable, recent = cursor, OrderedDict()
    delay, answered = backoff_s, False
    while not stop.is_set():
        summary.connections += 1
        try:
            for event in source(durable, stop):
                answered = True
                if event.cursor is not None:
                    cursor = event.cursor
                if event.malformed is not None:
                    summary.malformed += 1
                    log.warning("connect: skipped a message of the source: %s", event.malformed)
                if event.post is not None:
                    delay = backoff_s
                    post_id = event.post.get("id")
                    if post_id in recent:
                        summary.repeats += 1
                    else:
                        if post_id is not None:
                            recent[post_id] = None
                            if len(recent) > RECENT_IDS:
                                recent.popitem(last=False)
                        sink.write(event.post)
                        summary.posts += 1
                if sink.due() or (max_posts is not None and summary.posts >= max_posts):
                    durable = _flush(sink, cursor, cursor_file)
                if max_posts is not None and summary.posts >= max_posts:
                    stop.set()
                if stop.is_set():
                    break
        except SinkRefused:
            raise
        except Exception as exc:
            if isinstance(exc, SourceRefused) and not answered:
                _flush(sink, cursor, cursor_file)
                raise
            log.warning("connect: connection lost (%s); reconnecting in %.0f s", _lost(exc), delay)
            durable = _flush(sink, cursor, cursor_file)
            stop.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
            continue
        durable = _flush(sink, cursor, cursor_file)
        if not stop.is_set():
            stop.wait(delay)
    _flush(sink, cursor, cursor_file)
    log.info(
        "connect: %d post(s) written, %d repeat(s) skipped, %d malformed message(s) skipped, "
        "%d connection(s)",
        summary.posts,
        summary.repeats,
        summary.malformed,
        summary.connections,
    )
    return summary


def _lost(exc: Exception) -> str:
    """A lost connection's error as the log names it: its kind and message where the message
    cannot quote what the source sent (ours, a network or address error, an HTTP status, a
    websocket's handshake or close); else its kind and where it was raised, since a stream
    broken mid-chunk quotes the bytes it read and an error of our own mapping may quote a post."""
    import socket
    import traceback

    import requests
    from websockets.exceptions import WebSocketException

    told = (
        MoodcastError,
        ConnectionError,
        TimeoutError,
        socket.gaierror,
        requests.ConnectionError,
        requests.Timeout,
        requests.HTTPError,
        WebSocketException,
    )
    name = type(exc).__name__
    if isinstance(exc, told):
        return f"{name}: {exc}" if str(exc) else name
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{name} raised at {Path(where.filename).name}:{where.lineno}"


def _flush(sink: Sink, cursor: str | None, cursor_file: Path) -> str | None:
    """Make what the sink holds durable, then save the cursor that covers it."""
    sink.flush()
    if cursor is not None:
        cursor_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cursor_file.with_name(cursor_file.name + ".tmp")
        temporary.write_text(cursor + "\n")
        temporary.replace(cursor_file)
    return cursor
