"""A real stream (the Pub/Sub emulator, the DirectRunner) over one post, stopped as soon as its
job parses the post, for the tests of what a stop does with what the job still held."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import orjson

import ingest.stream
import warehouse
from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.stream import StreamSummary, stream_run
from tests.moodcast import test_stream_e2e as e2e
from warehouse import queries

PARSING = threading.Event()
"""Set by the job's parse step (a stand-in for ingest.stream.parse_messages) as it starts."""

PARSE = ingest.stream.parse_messages
"""The job's own parse step."""


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
    parse,
    now: datetime,
    *,
    early_every: timedelta = timedelta(seconds=1),
    name: str | None = None,
) -> StreamSummary:
    """stream_run over one post made at `now` and published to a new subscription (named
    `name`, by default after `parse`), the job's parse step being `parse` (a module function,
    so that the runner's copy of the job calls it; it sets PARSING), stopped as soon as the
    job parses; panes fire early every `early_every`, loads every second."""
    subscription = one_post_subscription(
        emulator, data_dir, monkeypatch, parse, now, name=name or parse.__name__.strip("_")
    )
    stop = threading.Event()

    def stop_while_parsing() -> None:
        PARSING.wait(timeout=240)
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


def one_post_subscription(
    emulator, data_dir, monkeypatch, parse, now: datetime, *, name: str
) -> str:
    """A new subscription `name` holding one post made at `now`, `data_dir` configured
    (LEXICON_ONLY) and the job's parse step `parse` (PARSING cleared): the subscription."""
    publisher, topic, subscription = e2e._topic_and_subscription(emulator, monkeypatch, name)
    data_dir.mkdir(exist_ok=True)
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    monkeypatch.setattr(ingest.stream, "parse_messages", parse)
    PARSING.clear()
    publisher.publish(topic, orjson.dumps(e2e._post(1, now, author=1))).result()
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
