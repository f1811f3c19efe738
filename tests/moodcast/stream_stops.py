"""A real stream (the Pub/Sub emulator, the DirectRunner) over one post, stopped as soon as its
job parses the post, for the tests of what a stop does with what the job still held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import orjson

import ingest.stream
import warehouse
from benchmarks.small_run import LEXICON_ONLY
from ingest.running_stream import RunningStream
from moodcast.config import load_settings
from moodcast.stream import StreamSummary, stream_run
from tests.emulator import post, topic_and_subscription
from warehouse import queries

PARSING = threading.Event()
"""Set by the job's parse step (a stand-in for ingest.stream.parse_messages) as it starts."""

PARSE = ingest.stream.parse_messages
"""The job's own parse step."""


WATCH = RunningStream._watch
"""RunningStream's watcher: the thread that waits for the job, in which the DirectRunner takes
a failure it reported and shuts the failed job down."""


def watching_once_stopped(self: RunningStream) -> None:
    """RunningStream's watcher, waiting for the job only once the stream stops (as late as
    that thread runs on a loaded machine, at its latest): a failure the job reports before
    then reaches the stream only as the runner reports it (RunningStream.error)."""
    while not self._stopping:
        time.sleep(0.05)
    WATCH(self)


def broken_parse(messages, **kwargs):
    """parse_messages failing on each of the runner's tries, 2.5 s late (it signals PARSING
    first)."""
    PARSING.set()
    time.sleep(2.5)
    raise RuntimeError("the parse step broke")


def signalling_parse(messages, **kwargs):
    """The job's own parse step, signalling PARSING first."""
    PARSING.set()
    return PARSE(messages, **kwargs)


def stream_stopped_while_parsing(
    emulator,
    data_dir,
    monkeypatch,
    *,
    parse=signalling_parse,
    now: datetime | None = None,
    early_every: timedelta = timedelta(seconds=1),
    name: str | None = None,
    stop_when: Callable[[], bool] = lambda: True,
) -> StreamSummary:
    """stream_run over one post made at `now` (by default, now) and published to a new
    subscription (named `name`, by default after `parse`), the job's parse step being `parse`
    (a module function, so that the runner's copy of the job calls it; it sets PARSING),
    stopped as soon as the job parses and `stop_when` is true (polled every 0.1 s, for up to 4
    minutes); panes fire early every `early_every`, loads every second."""
    now = now or datetime.now(UTC)
    subscription = one_post_subscription(
        emulator, data_dir, monkeypatch, parse, now, name=name or parse.__name__.strip("_")
    )
    stop = threading.Event()

    def stop_while_parsing() -> None:
        PARSING.wait(timeout=240)
        waited_for(stop_when)
        stop.set()

    stopper = threading.Thread(target=stop_while_parsing, daemon=True)
    stopper.start()
    try:
        return stream_run(
            subscription,
            settings=load_settings(data_dir),
            early_every=early_every,
            allowed_lateness=timedelta(days=2),
            load_every=timedelta(seconds=1),
            duration=timedelta(seconds=300),
            beam_args=[],
            stop=stop,
        )
    finally:
        stopper.join()
        assert PARSING.is_set(), "the job parsed the message"


def waited_for(condition: Callable[[], bool], *, timeout_s: float = 240) -> None:
    """Return once `condition` is true (polled every 0.1 s), or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def read_counted(data_dir) -> bool:
    """Whether a load of the stream into `data_dir` has counted a post read (its run ledger)."""
    if not warehouse.published_path(data_dir).exists():
        return False
    con = warehouse.open_published(data_dir)
    try:
        return queries.runs(con).get_column("read").sum() > 0
    finally:
        con.close()


def landed(data_dir) -> bool:
    """Whether a stream's job has written a pane file and a counts file under `data_dir`."""
    stream = data_dir / "stream"
    return any(stream.glob("*/panes/*/*.parquet")) and any(stream.glob("*/counts/*.parquet"))


def one_post_subscription(
    emulator, data_dir, monkeypatch, parse, now: datetime, *, name: str
) -> str:
    """A new subscription `name` holding one post made at `now`, `data_dir` configured
    (LEXICON_ONLY) and the job's parse step `parse` (PARSING cleared): the subscription."""
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, name)
    data_dir.mkdir(exist_ok=True)
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    monkeypatch.setattr(ingest.stream, "parse_messages", parse)
    PARSING.clear()
    publisher.publish(topic, orjson.dumps(post(1, now, author=1))).result()
    return subscription


def assert_published(data_dir, day: date, runs: list[tuple[str, int]]) -> None:
    """The warehouse of `data_dir` holds `day` as a provisional day (today so far, from a
    stream's pane) and its run ledger is `runs`, as (status, posts read)."""
    con = warehouse.open_published(data_dir)
    try:
        assert day in queries.provisional_days(con).get_column("day").to_list()
        assert queries.runs(con).select("status", "read").rows() == runs
    finally:
        con.close()
