"""Starting and stopping the streaming job (ingest.stream) in the background.

`start_stream` runs the job reading Pub/Sub. A stop ends the reads first
(`RunningStream.stop_reading`: the DirectRunner's pull in flight is cut and its later pulls
return nothing, `_cut_pubsub_reads`), lets the job process what they pulled
(`RunningStream.caught_up`) and then cancels it (`RunningStream.stop`), dropping meanwhile only
the runner's records of the cut pull's retries (`CutPullRetries`). `check_reachable` asks Pub/Sub
for the subscription before a job that reads it in process starts: the DirectRunner's read
retries a pull that Pub/Sub never answers quietly, for minutes, and reads nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from ingest.stream import StreamJob, build_stream
from transforms.errors import InputError, MoodcastError

STREAM_RUNNER = "BundleBasedDirectRunner"

log = logging.getLogger(__name__)


class RunningStream:
    """A streaming pipeline started in the background: `error` holds the job's failure, if it
    failed; `stop_reading()` ends its Pub/Sub reads, `caught_up()` says whether it has processed
    what they pulled, and `stop()` cancels it.

    On the DirectRunner a failure is recorded as the runner reports it (`_record_failures`): a
    step's before the runner schedules any other step, and the runner's own (its monitor dying,
    a stall it detected) before the thread that waits for the job takes it, which on a loaded
    machine may be after the stop began; on other runners, when the job's run ends with it."""

    def __init__(self, result, subscription: str | None = None):
        self._result = result
        self._subscription = subscription
        self._stopping = False
        self._cut: list[NoMorePulls] | None = None
        self._quiet = CutPullRetries()
        self.error: BaseException | None = None
        self._records_failures = False
        with contextlib.suppress(AttributeError):  # another runner, or a Beam whose insides moved
            _record_failures(result, self._failed)
            self._records_failures = True
        self._watcher = threading.Thread(target=self._watch, name="moodcast-stream", daemon=True)
        self._watcher.start()

    def _failed(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def _watch(self) -> None:
        try:
            self._result.wait_until_finish()
        except BaseException as exc:  # the pipeline's own failure, reported to the loader
            if not self._stopping:  # after it, the cancel's (a DirectRunner's is recorded)
                self._failed(exc)

    def stop_reading(self) -> None:
        """End the job's reads of the subscription and let it run on (`caught_up()` says when
        it has processed what they pulled). The DirectRunner's read acknowledges each pull's
        messages as soon as the pull returns, before any step of the job ran: a job cancelled
        before those steps ran would lose them. Each read's pull in flight is cut and every
        later pull, a read's first included, returns nothing (`_cut_pubsub_reads`), so no
        message is pulled after this; a message the cut pull held is delivered again by
        Pub/Sub. Nothing is cut where the job's step failures are not recorded as reported
        (another runner, or a Beam whose insides moved): `caught_up()` rests on them; on the
        DirectRunner, a read not cut so is logged as a warning (_NOT_CUT). From now
        until `stop()` returns, the runner's error records of the cut pull's retries are
        dropped (`CutPullRetries`, the executor logger's first filter, so it sees Beam's
        records as Beam logs them); every other record the runner logs passes. Calls after the
        first do nothing."""
        if self._cut is not None:
            return
        self._cut = []
        logging.getLogger(_EXECUTOR_LOGGER).filters.insert(0, self._quiet)
        if self._subscription is None:
            return
        with contextlib.suppress(ImportError, AttributeError):  # another Beam's insides
            if self._records_failures:
                self._cut = _cut_pubsub_reads(
                    self._result, self._subscription, failed=lambda: self.error is not None
                )
        if not self._cut and type(self._result).__module__.startswith(_DIRECT_RUNNER):
            log.warning(_NOT_CUT, beam.__version__)

    def caught_up(self, *, wait: float = 0) -> bool:
        """Whether, since `stop_reading()`, the job has processed every message its reads
        pulled, up to the windows that hold posts for their next pane (waiting up to `wait`
        seconds for it): each cut read has been asked to pull while the job had not failed
        (NoMorePulls.asked), which the DirectRunner does only when no other step has work left.
        True when no read was cut (another runner, or a Beam whose insides moved)."""
        if self._cut is None:
            return False
        deadline = time.monotonic() + wait
        return all(read.asked.wait(max(deadline - time.monotonic(), 0)) for read in self._cut)

    def stop(self) -> None:
        """Cancel the pipeline (panes already written stay), its reads ended first
        (`stop_reading()`): the DirectRunner's cancel otherwise waits for the pull in flight
        (a 30 s long poll on an idle subscription) and then acknowledges and drops what it
        brought. A failure the DirectRunner reports until the cancel returns (a step's, or its
        own) is the job's and stays in `error` (its cancel waits for the step in flight and does
        not make it fail), however late the thread that waits for the job takes it; what the
        run raises once the stop began is otherwise the cancel's, not the job's. Calls after the
        first do nothing."""
        if self._stopping:
            return
        self._stopping = True
        try:
            self.stop_reading()
            for read in self._cut:
                read.stopped.set()
            with contextlib.suppress(Exception):
                self._result.cancel()
        finally:
            logging.getLogger(_EXECUTOR_LOGGER).removeFilter(self._quiet)


_DIRECT_RUNNER = "apache_beam.runners.direct."
_NOT_CUT = (
    "stream: this Beam's DirectRunner (apache-beam %s) keeps its step failures or Pub/Sub "
    "clients where moodcast does not know, so the job's reads are not cut as it stops: the "
    "messages of the pull in flight are acknowledged and dropped, and a step failing as it "
    "stops may go unrecorded (moodcast is tested with apache-beam 2.77)"
)
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


class NoMorePulls:
    """Stands in for the subscriber client of a DirectRunner Pub/Sub read that was cut: a
    pull acknowledges nothing and returns no message (after IDLE_PULL, or at once once
    `stopped` is set). `asked` is set by the first pull made while `failed()` is false: the
    runner schedules its reads only when no other step has work left, so by then every message
    pulled before was processed. A job that failed still pulls: the runner reports the failure,
    then schedules its reads, until the thread that waits for the job shuts it down, which on a
    loaded machine can take several pulls; but `failed()` is true from the report on
    (RunningStream records it then), so those pulls do not count."""

    def __init__(self, failed: Callable[[], bool]):
        self.asked = threading.Event()
        self.stopped = threading.Event()
        self._failed = failed

    def pull(self, **_request) -> SimpleNamespace:
        if not self._failed():
            self.asked.set()
        self.stopped.wait(IDLE_PULL.total_seconds())
        return SimpleNamespace(received_messages=[])

    def close(self) -> None:
        """Nothing to close (Beam closes the client it cached when the job is collected)."""


IDLE_PULL = timedelta(milliseconds=500)
"""How long a cut read's pull waits before it returns nothing: the runner fires panes between
pulls, and a read that returned at once would keep one core busy."""


class RunnerFailed(MoodcastError):
    """The DirectRunner itself failed outside any step (its monitor's own error, a stall it
    detected): not the input's fault nor a step's; the runner's error is the cause."""

    def __init__(self, error: BaseException):
        super().__init__(
            f"the DirectRunner running the streaming job failed outside any step: "
            f"{type(error).__name__}: {error}. What was published stays; start `moodcast "
            "stream` again, and report it with --verbose's traceback if it recurs."
        )
        self.__cause__ = error


def _record_failures(result, record: Callable[[BaseException], None]) -> None:
    """Have `record` called with each failure of the DirectRunner job of `result` as it is
    reported: the error of a step that failed every try of a bundle, as the step offers it to
    the executor's queue of updates (which its monitor reads before it schedules more work),
    and the runner's own failures as its monitor offers them to the queue of visible updates
    (the monitor's own error, a stall it detected: Beam offers that one as a tuple, the error
    first), which the thread that waits for the job takes only when it next runs, as a
    RunnerFailed (a step's failure, which the monitor passes on there too, was recorded
    first). Other runners keep no such queues (AttributeError)."""
    executor = result._executor._executor
    updates, visible = executor.all_updates, executor.visible_updates
    updates.offer = _recording(updates.offer, record)
    visible.offer = _recording(visible.offer, lambda error: record(RunnerFailed(error)))


def _recording(offer: Callable, record: Callable[[BaseException], None]) -> Callable:
    """`offer`, calling `record` first with the failure an update carries, if any."""

    def recording(update) -> None:
        if (error := update.exception) is not None:
            record(error[0] if isinstance(error, tuple) else error)
        offer(update)

    return recording


def _cut_pubsub_reads(
    result, subscription: str, *, failed: Callable[[], bool]
) -> list[NoMorePulls]:
    """Cut the DirectRunner's reads of `subscription` in the job of `result` (its executor's
    root steps; Beam caches a subscriber client per read, made at the read's first pull): each
    read's client is replaced by a NoMorePulls, then closed, which ends its pull in flight with
    an error and acknowledges nothing (the runner retries that pull on the stand-in); a read
    that has not pulled yet gets the stand-in as its client; a pull sets a stand-in's `asked`
    only while `failed()` is false. Returns the stand-ins; other
    runners keep no such clients (none). It changes Beam's private client cache: where a Beam
    release moves it, the AttributeError or ImportError leaves the reads as they were
    (tests/ingest/test_stream_stop.py then fails)."""
    from apache_beam.runners.direct.transform_evaluator import (
        _PubSubReadEvaluator,
        _PubSubSubscriberClient,
    )

    reads = [
        node
        for node in result._executor._executor.root_nodes
        if getattr(getattr(node.transform, "_source", None), "full_subscription", None)
        == subscription
    ]
    cache = _PubSubReadEvaluator._subscriber_client_cache
    stand_ins, clients = [], []
    with _PubSubReadEvaluator._subscriber_client_cache_lock:
        for node in reads:
            stand_in = NoMorePulls(failed)
            stand_ins.append(stand_in)
            if (state := cache.get(node)) is None:
                cache[node] = _PubSubSubscriberClient(stand_in)
            else:
                clients.append(state.client)
                state.client = stand_in
    for client in clients:
        with contextlib.suppress(Exception):
            client.transport.close()
    return stand_ins


REACH_TIMEOUT = timedelta(seconds=10)
"""How long `check_reachable` retries a Pub/Sub that does not answer (an emulator starting)."""
CONSUME = "pubsub.subscriptions.consume"
"""The permission a stream's pulls need; Google Cloud's roles/pubsub.subscriber grants it, but not
pubsub.subscriptions.get, which GetSubscription needs."""


class SubscriptionUnreachable(InputError):
    """Pub/Sub could not be asked for the subscription (not reached in time, no credentials),
    or answered that it does not hold it or refuses this client."""


def check_reachable(subscription: str, *, timeout: timedelta = REACH_TIMEOUT) -> None:
    """Ask Pub/Sub (the emulator at $PUBSUB_EMULATOR_HOST when set) for `subscription`,
    retrying for up to `timeout` while it is unavailable or does not answer. Raises
    SubscriptionUnreachable, naming the subscription, where Pub/Sub is looked for and what to
    check, where no answer came (connection refused, a host that does not resolve, no answer in
    time), no credentials were found, or Pub/Sub answered with an error (no such subscription,
    permission denied). A client denied GetSubscription is asked instead whether it may consume
    the subscription (TestIamPermissions, which needs no permission: a least-privileged account
    may pull without reading the subscription's settings); where it may, the check passes with
    an info line, else SubscriptionUnreachable says it may neither."""
    from google.api_core import exceptions, retry
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import pubsub_v1

    host = os.environ.get("PUBSUB_EMULATOR_HOST")
    where = (
        f"the Pub/Sub emulator at PUBSUB_EMULATOR_HOST={host}"
        if host
        else "Google Cloud Pub/Sub, PUBSUB_EMULATOR_HOST being unset,"
    )
    check = (
        "Check that the emulator runs there and PUBSUB_EMULATOR_HOST names its host:port"
        if host
        else "Set PUBSUB_EMULATOR_HOST for the emulator, or check this host's network and its "
        "Google Cloud credentials (GOOGLE_APPLICATION_CREDENTIALS, or `gcloud auth "
        "application-default login`)"
    )
    seconds = timeout.total_seconds()
    unanswered = retry.Retry(
        predicate=retry.if_exception_type(
            exceptions.ServiceUnavailable, exceptions.DeadlineExceeded
        ),
        initial=0.25,
        maximum=2.0,
        timeout=seconds,
    )
    try:
        with pubsub_v1.SubscriberClient() as client:
            try:
                client.get_subscription(
                    subscription=subscription, retry=unanswered, timeout=seconds
                )
            except exceptions.PermissionDenied as denied:
                asked = {"resource": subscription, "permissions": [CONSUME]}
                granted = client.test_iam_permissions(
                    request=asked, retry=unanswered, timeout=seconds
                ).permissions
                if CONSUME not in granted:
                    raise SubscriptionUnreachable(
                        f"--subscription {subscription}: {where} answered {_answer(denied)}, "
                        f"and that this client may not consume it either ({CONSUME}, granted "
                        "by roles/pubsub.subscriber), or that it does not exist. Check the "
                        "subscription's name and project, and the roles of this host's "
                        "credentials on it."
                    ) from denied
                log.info(
                    "--subscription %s: %s does not let this client read the subscription's "
                    "settings (%s: no pubsub.subscriptions.get), but it may consume it (%s), "
                    "so the stream starts",
                    subscription,
                    where.rstrip(","),
                    _answer(denied),
                    CONSUME,
                )
    except DefaultCredentialsError as exc:
        raise SubscriptionUnreachable(
            f"--subscription {subscription}: no credentials were found for {where} ({exc}). "
            f"{check}."
        ) from exc
    except (
        exceptions.RetryError,
        exceptions.ServiceUnavailable,
        exceptions.DeadlineExceeded,
    ) as exc:
        last = exc.cause if isinstance(exc, exceptions.RetryError) and exc.cause else exc
        raise SubscriptionUnreachable(
            f"--subscription {subscription}: {where} did not answer within {seconds:.0f} s "
            f"({_answer(last)}): a session that cannot reach Pub/Sub reads nothing, which "
            f"would look like a quiet hour. {check}."
        ) from exc
    except exceptions.GoogleAPICallError as exc:
        raise SubscriptionUnreachable(
            f"--subscription {subscription}: {where} answered {_answer(exc)}. Check the "
            "subscription's name and project and that it exists "
            "(docs/streaming.md, Quickstart, creates one on the emulator), and that "
            + (
                "PUBSUB_EMULATOR_HOST names the emulator that holds it."
                if host
                else "this host's Google Cloud credentials may read it."
            )
        ) from exc


def _answer(exc: BaseException) -> str:
    """An API error in a few words: its code and message (the first line of a long one, without
    a closing full stop, as the sentence it is put in goes on)."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "code", None)
    said = message.strip().splitlines()[0][:300].rstrip(".")
    return f"{code} {said}" if code else said


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
