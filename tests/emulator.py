"""What the tests of the streaming job (ingest and `moodcast stream`) do on the Pub/Sub emulator
(the `emulator` fixture, tests/conftest.py): a topic and subscription per test, and a post to
publish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

PROJECT, TOPIC, SUBSCRIPTION = "moodcast-test", "posts", "posts-moodcast"


def post(i: int, when: datetime, *, author: int) -> dict:
    """Post `i`, made `when` by author `author`: sad (odd `i`, in the north) or calm."""
    return {
        "id": f"p{i}",
        "created_at": when.isoformat(),
        "text": ("so sad and lonely tonight", "a calm and happy day")[i % 2],
        "lang": "en",
        "region": ("north", "south")[i % 2],
        "author_id": f"author-{author}",
    }


def topic_and_subscription(emulator: str, monkeypatch, name: str):
    """A publisher on the emulator, with the test's topic `posts-<name>` and a subscription to
    it created: (publisher, topic path, subscription path)."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator)
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(PROJECT, f"{TOPIC}-{name}")
    subscription = subscriber.subscription_path(PROJECT, f"{SUBSCRIPTION}-{name}")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    return publisher, topic, subscription


def stream_process(
    emulator: str,
    subscription: str,
    data_dir: Path,
    log: Path,
    *,
    early_every: str,
    load_every: str,
) -> subprocess.Popen:
    """`moodcast stream --json` on `subscription` of the emulator at `emulator`, for up to 240 s
    (SIGTERM stops it earlier), its data in `data_dir`: its stdout piped, its stderr into `log`."""
    return subprocess.Popen(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "stream"]
        + ["--subscription", subscription, "--early-every", early_every, "--load-every", load_every]
        + ["--duration", "240s", "--data-dir", str(data_dir), "--json"],
        stdout=subprocess.PIPE,
        stderr=log.open("wb"),
        env={**os.environ, "PUBSUB_EMULATOR_HOST": emulator},
    )


def stopped_when(
    process: subprocess.Popen, log: Path, condition: Callable[[], bool], *, timeout_s: float
) -> bytes:
    """Once `condition()` holds (polled every second; the stream `process` must still run and
    `timeout_s` not have passed, else the test fails showing `log`), stop `process` with
    SIGTERM, as an operator does, and return its stdout; kill it where that fails."""
    try:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(1)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=150)
        return out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
