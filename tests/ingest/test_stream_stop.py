"""Stopping the streaming job on the DirectRunner against the Pub/Sub emulator: the source's
pull in flight is cut, and nothing it held is acknowledged."""

from __future__ import annotations

import threading
import time

import orjson
from apache_beam.runners.direct.transform_evaluator import _PubSubReadEvaluator

from ingest.job import IngestJob
from ingest.stream import StreamJob, start_stream
from tests.moodcast import test_stream_e2e as e2e
from transforms.markers import parse_marker
from transforms.posts import PostOptions

emulator = e2e.emulator
MARKERS = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}


def _job(landing: str) -> StreamJob:
    ingest = IngestJob(
        inputs=[], landing_dir=landing, markers=MARKERS, key=b"k", run_id="stream-stop",
        options=PostOptions(tz="UTC"),
    )  # fmt: skip
    return StreamJob(ingest=ingest, source="pubsub:test")


def _reading(subscription: str) -> bool:
    """Whether the DirectRunner has a subscriber client for `subscription` (its first pull is
    under way once it has)."""
    return any(
        getattr(getattr(node.transform, "_source", None), "full_subscription", None) == subscription
        for node in list(_PubSubReadEvaluator._subscriber_client_cache)
    )


def test_a_message_published_as_the_stream_stops_is_delivered_to_the_next_reader(
    emulator, tmp_path, monkeypatch
):
    """Before, stop() waited for the source's pull in flight (on an idle subscription a 30 s
    long poll) and the runner then acknowledged what that pull brought and dropped it with the
    cancelled pipeline: a message published as the stream stopped was acknowledged and lost.
    Now the pull is cut when the stream stops, nothing it held is acknowledged, and Pub/Sub
    delivers the message to the next reader of the subscription."""
    publisher, topic, subscription = e2e._topic_and_subscription(emulator, monkeypatch, "stop")
    running = start_stream(
        _job(str(tmp_path)), subscription=subscription, landing_dir=str(tmp_path), beam_args=[]
    )
    deadline = time.monotonic() + 120
    while not _reading(subscription):
        assert running.error is None and time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(1)
    message = orjson.dumps({"id": "p1", "text": "so sad", "lang": "en"})

    def publish_while_stopping() -> None:
        time.sleep(1)
        publisher.publish(topic, message).result()

    publishing = threading.Thread(target=publish_while_stopping)
    publishing.start()
    running.stop()
    publishing.join()
    assert running.error is None, "stopping is not the job's failure"

    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    received = []
    deadline = time.monotonic() + 60  # a message leased to the cut pull returns after 10 s
    while not received and time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=15)
        received = [m.message.data for m in response.received_messages]
    assert received == [message]


def test_a_beam_without_the_client_cache_still_stops(monkeypatch):
    """The cut reads Beam's private client cache; a Beam release that moves it must leave
    `stop()` cancelling as before, not raising (it also runs on the job's failure path, where
    an AttributeError would hide the job's own error)."""
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from ingest.stream import RunningStream

    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = pipeline | beam.Create([1, 2])
    running = RunningStream(pipeline.run(), "projects/p/subscriptions/s")
    monkeypatch.delattr(_PubSubReadEvaluator, "_subscriber_client_cache")
    running.stop()
    assert running.error is None
