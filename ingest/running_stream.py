"""Starting and stopping the streaming job (ingest.stream) in the background.

`start_stream` runs the job reading Pub/Sub; `RunningStream.stop` cancels it, cutting the
DirectRunner's Pub/Sub pull in flight first (`_close_pubsub_reads`) and dropping only the
runner's records of that cut pull's retries (`CutPullRetries`) while it stops.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from ingest.stream import StreamJob, build_stream

STREAM_RUNNER = "BundleBasedDirectRunner"


class RunningStream:
    """A streaming pipeline started in the background: `error` holds what stopped it, if it
    failed; `stop()` cancels it."""

    def __init__(self, result, subscription: str | None = None):
        self._result = result
        self._subscription = subscription
        self._stopping = False
        self.error: BaseException | None = None
        self._watcher = threading.Thread(target=self._watch, name="moodcast-stream", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        try:
            self._result.wait_until_finish()
        except BaseException as exc:  # the pipeline's own failure, reported to the loader
            if not self._stopping:
                self.error = exc

    def stop(self) -> None:
        """Cancel the pipeline (panes already written stay). The Pub/Sub source's pull in
        flight is cut first (`_close_pubsub_reads`): the DirectRunner's cancel otherwise waits
        for it (a 30 s long poll on an idle subscription) and then acknowledges and drops
        what it brought; cut, nothing it holds is acknowledged, so Pub/Sub re-delivers it.
        While it stops, the runner's error records of the cut pull's retries are dropped
        (`CutPullRetries`, the executor logger's first filter, so it sees Beam's records as
        Beam logs them); every other record the runner logs passes."""
        self._stopping = True
        executor = logging.getLogger(_EXECUTOR_LOGGER)
        quiet = CutPullRetries()
        executor.filters.insert(0, quiet)  # before any filter that rewrites Beam's records
        try:
            if self._subscription is not None:
                with contextlib.suppress(ImportError, AttributeError):  # another Beam's insides
                    _close_pubsub_reads(self._subscription)
            with contextlib.suppress(Exception):
                self._result.cancel()
        finally:
            executor.removeFilter(quiet)


_EXECUTOR_LOGGER = "apache_beam.runners.direct.executor"
_RETRY_MESSAGE = "Exception at bundle %r, due to an exception.\n %s"
_GIVING_UP_MESSAGE = "Giving up after %s attempts."
_CLOSED_CHANNEL = (
    "google.api_core.exceptions.Cancelled: 499 Channel closed!",
    "ValueError: Cannot invoke RPC on closed channel!",
)


class CutPullRetries(logging.Filter):
    """A filter for the DirectRunner executor's logger that drops the records of the cut
    pull's retries and keeps every other: a retry record (_RETRY_MESSAGE, its traceback as the
    last argument) whose traceback passes through Beam's `_read_from_pubsub` and ends in a
    closed channel (_CLOSED_CHANNEL: the pull cut in flight, or a retry on the closed client),
    and the _GIVING_UP_MESSAGE its thread logs next when its last retry was such a one. Any
    other record, a retry of a failing DoFn or landing write included, passes."""

    def __init__(self):
        super().__init__()
        self._cut_threads: set[int | None] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == _GIVING_UP_MESSAGE:
            return record.thread not in self._cut_threads
        if record.msg != _RETRY_MESSAGE or not record.args:
            return True
        trace = str(record.args[-1]).rstrip()
        if "in _read_from_pubsub" in trace and trace.endswith(_CLOSED_CHANNEL):
            self._cut_threads.add(record.thread)
            return False
        self._cut_threads.discard(record.thread)
        return True


def _close_pubsub_reads(subscription: str) -> None:
    """Close the subscriber clients of the DirectRunner's reads of `subscription` (Beam keeps
    one per applied read; the pipeline it runs is a copy of ours), which ends their pulls in
    flight with an error and acknowledges nothing; other runners keep no such clients. It reads
    Beam's private client cache: where a Beam release moves it, `stop()` cancels as before
    (tests/ingest/test_stream_stop.py then fails)."""
    from apache_beam.runners.direct.transform_evaluator import _PubSubReadEvaluator

    cache = _PubSubReadEvaluator._subscriber_client_cache
    for node, state in list(cache.items()):
        source = getattr(node.transform, "_source", None)
        if getattr(source, "full_subscription", None) == subscription:
            with contextlib.suppress(Exception):
                state.client.transport.close()


def stream_options(beam_args: list[str]) -> PipelineOptions:
    """Beam options for the streaming job: `--streaming`, and the in-process
    BundleBasedDirectRunner unless the flags name a runner (e.g. DataflowRunner)."""
    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    standard.streaming = True
    if not standard.runner:
        standard.runner = STREAM_RUNNER
    return options


def start_stream(
    job: StreamJob, *, subscription: str, landing_dir: str, beam_args: list[str]
) -> RunningStream:
    """Start the streaming job reading Pub/Sub `subscription` (projects/P/subscriptions/S; the
    emulator's address in $PUBSUB_EMULATOR_HOST when set) and writing under `landing_dir`."""
    pipeline = beam.Pipeline(options=stream_options(beam_args))
    messages = pipeline | "ReadFromPubSub" >> beam.io.ReadFromPubSub(subscription=subscription)
    build_stream(messages, job, landing_dir)
    return RunningStream(pipeline.run(), subscription)
