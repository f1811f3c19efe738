"""A Pub/Sub that acknowledges nothing (no emulator where PUBSUB_EMULATOR_HOST points, no
network) stops `moodcast connect … --topic` with an error naming the topic and what to check.
Before, the flush's bare TimeoutError reached the command as `Error: ` and nothing after it."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from moodcast.cli import error_message
from moodcast.connect import SinkUnreachable, TopicSink


def test_a_topic_nobody_acknowledges_is_an_error_naming_it(monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{port}")
    topic = "projects/moodcast-test/topics/posts"
    sink = TopicSink(topic, rotate_every=timedelta(minutes=1), ack_timeout_s=1)
    sink.write({"id": "p1", "text": "a calm day"})
    with pytest.raises(SinkUnreachable) as raised:
        sink.flush()
    assert topic in error_message(raised.value) and "PUBSUB_EMULATOR_HOST" in str(raised.value)


def test_an_operating_system_error_without_a_message_is_named_by_its_kind():
    assert error_message(TimeoutError()) == "TimeoutError"
