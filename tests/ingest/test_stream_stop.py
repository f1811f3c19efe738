"""Stopping the streaming job on the DirectRunner against the Pub/Sub emulator: the source's
pull in flight is cut, and nothing it held is acknowledged."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from types import SimpleNamespace

import orjson
import pyarrow as pa
from apache_beam.runners.direct.transform_evaluator import _PubSubReadEvaluator

from ingest.job import IngestJob
from ingest.running_stream import start_stream
from ingest.stream import StreamJob
from tests.emulator import topic_and_subscription
from transforms.markers import parse_marker
from transforms.posts import PostOptions

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
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "stop")
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


def test_a_stream_stopped_before_its_first_pull_acknowledges_nothing(
    emulator, tmp_path, monkeypatch
):
    """Before, the cut reached a read only once the read had made its subscriber client, at its
    first pull: a stream stopped before then made that pull on a real client while it stopped,
    which acknowledged the waiting message, and the cancelled job dropped it. Now the cut puts
    the stand-in in place of the client the read has not made yet: the read pulls nothing, and
    Pub/Sub delivers the message to the next reader. (The read is held just before it gets its
    client until the stream has stopped reading.)"""
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "first")
    message = orjson.dumps({"id": "p1", "text": "so sad", "lang": "en"})
    publisher.publish(topic, message).result()
    at_first_pull, cut = threading.Event(), threading.Event()
    get_client = _PubSubReadEvaluator._get_subscriber_client

    def held_until_cut(transform):
        at_first_pull.set()
        cut.wait(120)
        return get_client(transform)

    monkeypatch.setattr(
        _PubSubReadEvaluator, "_get_subscriber_client", staticmethod(held_until_cut)
    )
    running = start_stream(
        _job(str(tmp_path)), subscription=subscription, landing_dir=str(tmp_path), beam_args=[]
    )
    assert at_first_pull.wait(120), "the job's read started"
    running.stop_reading()
    cut.set()
    assert running.caught_up(wait=60)
    running.stop()
    assert running.error is None

    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
    assert [m.message.data for m in response.received_messages] == [message]


def test_a_beam_without_the_client_cache_still_stops(monkeypatch):
    """The cut reads Beam's private client cache; a Beam release that moves it must leave
    `stop()` cancelling as before, not raising (it also runs on the job's failure path, where
    an AttributeError would hide the job's own error)."""
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from ingest.running_stream import RunningStream

    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = pipeline | beam.Create([1, 2])
    running = RunningStream(pipeline.run(), "projects/p/subscriptions/s")
    monkeypatch.delattr(_PubSubReadEvaluator, "_subscriber_client_cache")
    running.stop()
    assert running.error is None


def test_a_direct_runner_whose_insides_moved_says_its_reads_are_not_cut(caplog):
    """The cut and the record of step failures reach into the DirectRunner's insides (its
    executor's queue of updates, its client cache). Before, a Beam release that moved them left
    the reads uncut without a word, the stop then acknowledging and dropping the messages of
    the pull in flight; now the stream warns so (the queue removed here, as a release might)."""
    import apache_beam as beam
    from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner

    from ingest.running_stream import RunningStream

    pipeline = beam.Pipeline(runner=BundleBasedDirectRunner())
    _ = pipeline | beam.Create([1, 2])
    result = pipeline.run()
    result.wait_until_finish()
    del result._executor._executor.all_updates
    with caplog.at_level(logging.WARNING, logger="ingest.running_stream"):
        running = RunningStream(result, "projects/p/subscriptions/s")
        running.stop()
    assert running.error is None
    (said,) = [r.getMessage() for r in caplog.records if r.name == "ingest.running_stream"]
    assert "reads are not cut" in said and "acknowledged and dropped" in said


def _traceback_of(call) -> str:
    try:
        call()
    except Exception:
        return traceback.format_exc()
    raise AssertionError("the call did not fail")


class _Bundle:
    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name


class _ResultLoggingOnCancel:
    """A pipeline result whose cancel logs `records` through the DirectRunner executor's logger
    as its TransformExecutor does (message, bundle, traceback text), on the cancelling thread."""

    def __init__(self, records: list[tuple[str, tuple]]):
        self._records = records

    def wait_until_finish(self) -> None:
        pass

    def cancel(self) -> None:
        executor = logging.getLogger(EXECUTOR)
        for message, args in self._records:
            executor.error(message, *args)


EXECUTOR = "apache_beam.runners.direct.executor"
RETRY = "Exception at bundle %r, due to an exception.\n %s"
GIVING_UP = "Giving up after %s attempts."


def _stop_logging(tmp_path, monkeypatch, caplog, *, inside_worker_filter: bool) -> list:
    """stop() while the runner logs the cut pull's 4 tries and giving up, then a landing
    write's 4 failed tries and giving up (real tracebacks: Beam's `_read_from_pubsub` on a
    closed client, `_write_parquet` under a file), then a cut pull's try after stop(); the
    executor's records that were logged, as (level, message)."""
    from google.cloud import pubsub_v1

    from ingest.runner import worker_errors_unlogged
    from ingest.running_stream import RunningStream
    from ingest.stream import _write_parquet

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:9")  # never reached: closed first
    client = pubsub_v1.SubscriberClient()
    client.transport.close()
    reader = SimpleNamespace(
        _get_subscriber_client=lambda _transform: client,
        _applied_ptransform=None,
        _sub_name="projects/p/subscriptions/s",
    )
    cut = _traceback_of(lambda: _PubSubReadEvaluator._read_from_pubsub(reader, None))
    (tmp_path / "file").write_bytes(b"")
    landing = str(tmp_path / "file" / "x.parquet")  # under a file: the write fails
    failed = _traceback_of(lambda: _write_parquet(pa.table({"a": [1]}), landing))
    pull, write = _Bundle("<pull bundle>"), _Bundle("<landing bundle>")
    records = [(RETRY, (pull, cut))] * 4 + [(GIVING_UP, (4,))]
    records += [(RETRY, (write, failed))] * 4 + [(GIVING_UP, (4,))]
    running = RunningStream(_ResultLoggingOnCancel(records))
    worker_filter = worker_errors_unlogged() if inside_worker_filter else contextlib.nullcontext()
    with caplog.at_level(logging.WARNING, logger=EXECUTOR), worker_filter:
        running.stop()
        logging.getLogger(EXECUTOR).error(RETRY, _Bundle("<after>"), cut)
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == EXECUTOR]


def test_stop_keeps_the_runners_other_errors_and_drops_only_the_cut_pulls_retries(
    monkeypatch, caplog, tmp_path
):
    """Before, stop() dropped every record of the DirectRunner's executor while it cancelled:
    a DoFn or landing write failing in the last bundle went unlogged. Now only the cut pull's
    retries (Beam's `_read_from_pubsub` on a closed channel) and their "Giving up" are
    dropped; the other error, its "Giving up" and records after stop() pass."""
    kept = _stop_logging(tmp_path, monkeypatch, caplog, inside_worker_filter=False)
    assert len(kept) == 6
    assert all("<landing bundle>" in m and "FileExistsError" in m for _, m in kept[:4])
    assert kept[4] == ("ERROR", "Giving up after 4 attempts.")
    assert "<after>" in kept[5][1]


def test_stop_inside_moodcast_streams_worker_filter_keeps_only_the_other_errors_line(
    monkeypatch, caplog, tmp_path
):
    """`moodcast stream` stops its job inside worker_errors_unlogged, whose filter rewrites a
    bundle's first failed try to one WARNING line and drops the rest: the cut pull's first try
    must not come out as such a line, the landing write's must (and so must a try after
    stop())."""
    kept = _stop_logging(tmp_path, monkeypatch, caplog, inside_worker_filter=True)
    assert [level for level, _ in kept] == ["WARNING", "WARNING"]
    assert all(m.startswith("Beam retries a bundle") for _, m in kept)
    assert "FileExistsError" in kept[0][1]
    assert kept[1][1].endswith("ValueError: Cannot invoke RPC on closed channel!")
