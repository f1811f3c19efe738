"""`moodcast stream`: the Beam streaming job over Pub/Sub, and the single writer beside it.

The job (ingest.stream, started and stopped by ingest.running_stream) writes a file per pane and
per bundle of counts and dead letters under `<data dir>/stream/<run id>/`; every `load_every`
this process takes the data directory's run lock, upserts the days pane-aware, adds the
accounting, records the stream run in the ledger (`running`, then `ok`, `incomplete` when posts
it read are counted in no day other than by being kept out of a day another run holds, or
`failed`) and publishes atomically, then deletes the files
it loaded. The job keeps its windows' state in
memory: a restarted stream starts new panes, which order after the earlier run's
(warehouse.panes). A session killed outright leaves the files it had not loaded, and one whose
last load failed keeps them; the next session loads them as that session's run before its own
job starts (moodcast.stream_recovery), setting aside those that cannot be loaded. A session that
stopped with nothing left, or was recovered, removes its emptied folder
(moodcast.stream_landing.close_session).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import warehouse
from ingest.landing import landing_location
from ingest.runner import is_remote, worker_errors_unlogged
from ingest.running_stream import (
    REACH_TIMEOUT,
    SubscriptionUnreachable,
    check_reachable,
    start_stream,
)
from ingest.sources import InputError
from ingest.stream import StreamJob, delete_landing_files
from ingest.worker_errors import worker_error
from moodcast.adapting import configured_markers
from moodcast.config import Settings, author_key
from moodcast.follow import stop_on_signals
from moodcast.jobs import ingest_job
from moodcast.stream_landing import (
    Ending,
    Landed,
    Session,
    close_session,
    load_files,
    session_lock,
)
from moodcast.stream_recovery import recover_killed_sessions, running_sessions
from moodcast.stream_summary import StreamSummary
from transforms.errors import BusyError, MoodcastError
from transforms.markers import marker_versions

log = logging.getLogger(__name__)

DRAIN_SLACK = timedelta(seconds=120)
"""How long past two early-pane intervals a stopping stream waits for its last panes."""

LAST_LOAD_WAIT = timedelta(minutes=10)
"""How long a stopping stream retries its last load while another run holds the lock."""


class StreamIncomplete(MoodcastError):
    """A stream session stopped, and published what it loaded, with posts read and counted
    in no day, provisional or published (its run recorded `incomplete`); `summary` is what it did."""

    def __init__(self, message: str, summary: StreamSummary):
        super().__init__(message)
        self.summary = summary

    @classmethod
    def of(cls, summary: StreamSummary) -> StreamIncomplete:
        """The error of a session that stopped with posts read in no pane loaded and not kept
        out of a day another run holds (and more not counted, where its count is a floor), or
        whose panes (loaded, or kept out) hold more posts than its counts say it read (a
        counts file its job never wrote), saying which, why (its drain's time ran out) and what to do; its message ends
        with the summary."""
        ending = summary.ending
        ledger = "(run ledger: status `incomplete`, count `unpublished`)"
        if ending.overcounted:
            panes = (
                "its panes, loaded or kept out of days another run holds,"
                if summary.kept_out
                else "its panes loaded"
            )
            said = (
                f"{panes} hold more posts than its counts say it read (e.g. a counts "
                "file its job never wrote), so how many of the posts it read are counted in no "
                f"day is not known {ledger}. Its days hold every post of its panes loaded; its "
                "counts below miss some posts it read."
            )
        else:
            more = ", and an unknown number more that its job had pulled" if ending.floor else ""
            said = (
                f"{summary.unpublished:,} post(s) it read are counted in no day{more} {ledger}. "
                "The job was cancelled with them still in its windows, waiting for their pane, "
                "when the drain's time (2 × --early-every + 2 minutes) ran out: another run held "
                "the data directory's lock, or the job ran behind. A stream stopped while no "
                "batch run holds the data directory, or with a longer --early-every, has longer "
                "to drain. Pub/Sub will not deliver them again (they were acknowledged as read): "
                "publish them to the subscription again if their source keeps them."
            )
        return cls(
            f"stream {summary.run_id} stopped incomplete: {said} {summary.describe()}", summary
        )


class StreamRunning(BusyError):
    """Another `moodcast stream` session runs on the data directory: two would replace each
    other's days (a later-started stream's pane outranks the earlier's), so a second is
    refused at start; `running` maps each session's run id to its lock's holder."""

    def __init__(self, data_dir, running: dict[str, warehouse.Holder | None]):
        sessions = "; ".join(
            f"{run_id} ({holder.describe() if holder else 'starting'})"
            for run_id, holder in running.items()
        )
        super().__init__(
            f"stream session {sessions} is running on {data_dir}, so this stream does not "
            "start: two streams on one data directory replace each other's days, and the "
            "posts of the one outranked would be counted in no day. Stop it first (SIGTERM: "
            "it drains, loads what it counted and ends), then start this one; or give this "
            "stream its own --data-dir."
        )
        self.running = running


def refuse_second_session(settings: Settings, *, besides: str | None = None) -> None:
    """Raise StreamRunning where a stream session other than run `besides` is running on
    `settings`' data directory, or starting (stream_recovery.running_sessions)."""
    if running := running_sessions(settings.data_dir, besides=besides):
        raise StreamRunning(settings.data_dir, running)


def load_landing(session: Session, *, last: bool = False, caught_up: bool = True) -> bool:
    """Load what the job has written since the last load (publishing the days that have
    ended) and record the stream run `running`; the `last` load, the job stopped, records how
    it ended and keeps that as `session.ending` (Ending.of: `ok`, or `incomplete` with the
    posts read and in no pane loaded, Session.undelivered, a floor where the job had not
    `caught_up` with every message it pulled). False when the data directory was locked by
    another run (the files wait for the next load; nothing recorded)."""
    landed = Landed.found(session.landing)
    try:
        with warehouse.writing(session.settings.data_dir) as con:
            days = load_files(con, session, landed)
            ending = Ending.of(session, caught_up=caught_up) if last else None
            if ending is None:
                warehouse.record_run(con, session.record("running"))
            else:
                ending.record(con, session.record(ending.status))
    except warehouse.RunLocked as exc:
        log.warning("stream: %s; loading at the next interval", exc)
        return False
    session.ending = ending
    delete_landing_files(landed.paths)
    session.loads += 1
    if days or landed.counts:
        log.info(
            "stream: loaded %d day(s) from %d pane file(s) (a day still open is counted, and "
            "published once it has ended); read %s so far",
            days,
            len(landed.panes),
            f"{session.counts['read']:,}",
        )
    return True


def drain(session: Session, running, *, load_every: timedelta, timeout: timedelta) -> bool:
    """Stop the job's reads, wait until it has processed every message they pulled (Pub/Sub
    holds them acknowledged: ingest.running_stream.RunningStream.stop_reading), then keep
    loading until a load has run (another run may hold the data directory's lock) and found
    every post read in a pane loaded, or kept out of a day another run holds
    (Session.waiting; early panes keep firing while posts wait), the job
    fails, or `timeout` passes. Returns whether the job had processed every message its reads
    pulled (where not, those it still held are dropped with it, their number not known)."""
    deadline = time.monotonic() + timeout.total_seconds()
    running.stop_reading()
    while not running.caught_up(wait=1.0) and time.monotonic() < deadline:
        _raise_if_failed(running)
    if not running.caught_up():
        log.warning(
            "stream: the job had not processed every message it pulled when the drain ended; "
            "those it still held are dropped with it, acknowledged (Pub/Sub will not resend them)"
        )
    loaded = load_landing(session)
    while (not loaded or session.waiting()) and time.monotonic() < deadline:
        if loaded:
            log.info(
                "stream: draining, %d post(s) read and in no pane loaded yet (counted in no day)",
                session.waiting(),
            )
        time.sleep(load_every.total_seconds())
        _raise_if_failed(running)
        loaded = load_landing(session)
    if not loaded:
        log.warning(
            "stream: the drain ended while another run held the data directory's lock, so its "
            "count of posts read and in no pane loaded (%d) is from the last load that ran "
            "(%d loads ran): the posts read since are not counted yet, and those still in the "
            "job's windows are dropped with it. The last load waits up to %s for the lock; "
            "what it cannot publish stays in %s for the next `moodcast stream` (or `moodcast "
            "stream --recover`) to publish",
            session.undelivered(),
            session.loads,
            LAST_LOAD_WAIT,
            session.landing,
        )
    return running.caught_up()


def stream_run(
    subscription: str,
    *,
    settings: Settings,
    early_every: timedelta,
    allowed_lateness: timedelta,
    load_every: timedelta,
    duration: timedelta | None,
    beam_args: list[str],
    stop: threading.Event | None = None,
) -> StreamSummary:
    """Run the streaming job on `subscription` and publish its panes every `load_every`, until
    `stop` is set (SIGTERM/SIGINT set it) or `duration` has passed; then cancel the job, load
    what it wrote (retrying while another run holds the lock: `publish_last`), and record the
    stream run `ok`. Before stopping it drains (`drain`, up to two
    `early_every` and DRAIN_SLACK): it ends the job's reads, waits until the job has processed
    what they pulled, and then until every post read is in a pane loaded (an early pane, of
    today in progress, counts) or kept out of a day another run holds (not a failure: a
    warning names them and how to publish them). A session that stopped with posts read and in
    no pane loaded and not kept out (the drain's time ran out), or with
    messages its job had pulled and not processed, is recorded `incomplete` instead, with
    their count, and raises StreamIncomplete. A job that failed before it was cancelled, after
    the drain included, is recorded `failed` and its error raised. It first recovers what
    killed sessions left (recover_killed_sessions), which raises ConfigError, before anything
    starts, for `privacy = "dp"` (refuse_dp), and StreamRunning, before anything starts and
    again once its own session lock is held, where another stream session runs on the data
    directory (two sessions starting together may both be refused). Then, unless the Beam flags
    name a remote runner (whose workers read with their own network and credentials), it asks
    Pub/Sub for `subscription` (check_reachable, for up to REACH_TIMEOUT) and raises
    SubscriptionUnreachable, an InputError, before the markers load or the job starts, where
    Pub/Sub does not answer or refuses it; a session that read no post asks again once its job
    is cancelled, and is recorded `failed`, raising SubscriptionUnreachable, where Pub/Sub no
    longer answers (_check_still_reachable)."""
    refuse_second_session(settings)
    recover_killed_sessions(settings)
    if not is_remote(beam_args):
        check_reachable(subscription, timeout=REACH_TIMEOUT)
    stop = stop or threading.Event()
    markers = configured_markers(settings)
    versions = marker_versions(markers)
    started = datetime.now(UTC)
    run_id = (
        "stream-"
        + hashlib.sha256(f"{subscription}|{started.isoformat()}".encode()).hexdigest()[:12]
    )
    landing = landing_location(beam_args, local_dir=settings.data_dir / "stream", run_id=run_id)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    job = stream_job(
        settings,
        markers,
        source=f"pubsub:{subscription}",
        run_id=run_id,
        landing=landing,
        key=author_key(settings.data_dir, remote=is_remote(beam_args)),
    )
    job = replace(job, early_every=early_every, allowed_lateness=allowed_lateness)
    session = Session(settings, run_id, started, landing, versions)
    alive = session_lock(session)
    try:
        refuse_second_session(settings, besides=run_id)
        return _stream_session(session, job, subscription, beam_args, stop, duration, load_every)
    finally:
        close_session(alive, landing, failed_at=session.failed_at)


def stream_job(
    settings: Settings,
    markers: dict,
    *,
    source: str,
    run_id: str,
    landing: str,
    key: bytes,
) -> StreamJob:
    """The streaming job of `settings` over `markers`, its posts from `source` kept as a run
    keeps a file's (moodcast.jobs.ingest_job: read with the input preset or mapping and the
    default language, `--lang`; regions, text length, plausible dates), as of the clock's day;
    panes and counts written under `landing`, authors keyed with `key`."""
    ingest = ingest_job(
        settings, markers, key=key, run_id=run_id, landing=landing, sources=[source]
    )
    return StreamJob(ingest=ingest, source=source)


def _stream_session(
    session: Session,
    job: StreamJob,
    subscription: str,
    beam_args: list[str],
    stop: threading.Event,
    duration: timedelta | None,
    load_every: timedelta,
) -> StreamSummary:
    """stream_run's session: run the job, load every `load_every`, drain, publish the last."""
    run_id, landing, early_every = session.run_id, session.landing, job.early_every
    log.info("stream %s: reading %s; panes land in %s", run_id, subscription, landing)
    with stop_on_signals(stop, name="stream"), worker_errors_unlogged():
        running = start_stream(
            job, subscription=subscription, landing_dir=landing, beam_args=beam_args
        )
        deadline = None if duration is None else time.monotonic() + duration.total_seconds()
        try:
            while not stop.is_set():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                stop.wait(min(load_every.total_seconds(), left or load_every.total_seconds()))
                _raise_if_failed(running)
                load_landing(session)
            caught_up = drain(
                session, running, load_every=load_every, timeout=2 * early_every + DRAIN_SLACK
            )
            running.stop()
            _raise_if_failed(running)
            if not session.counts["read"] and not is_remote(beam_args):
                _check_still_reachable(session, subscription)
        except BaseException:
            running.stop()
            _record_failed(session)
            raise
    ending = publish_last(session, caught_up=caught_up, wait=LAST_LOAD_WAIT)
    log.info("stream %s: stopped", run_id)
    summary = StreamSummary.of(session, ending)
    if summary.kept_out:
        log.warning("%s", summary.kept_out_warning())
    if summary.status == "incomplete":
        raise StreamIncomplete.of(summary)
    return summary


def publish_last(
    session: Session,
    *,
    caught_up: bool = True,
    wait: timedelta = LAST_LOAD_WAIT,
    every: float = 5.0,
) -> Ending:
    """Load what the stopped job wrote last and record the stream run ended (`ok`, or
    `incomplete`: load_landing, its job having `caught_up` or not), and return that ending as
    recorded; retry every `every`
    seconds while another run holds the data directory's lock, for up to `wait`. A load that
    fails, or a lock still held after `wait`, is recorded `failed` where the ledger can be
    reached (`session.failed_at` either way) and raised; the files not loaded stay under the
    run's landing location, for the next `moodcast stream` (or `moodcast stream --recover`)
    to load (close_session keeps the session's note for it, saying `failed` where the ledger
    could not)."""
    deadline = time.monotonic() + wait.total_seconds()
    try:
        while not load_landing(session, last=True, caught_up=caught_up):
            if time.monotonic() >= deadline:
                raise warehouse.RunLocked(
                    f"the data directory stayed locked by another run for {wait}, so the "
                    f"stream's last files were not published; they are kept in {session.landing} "
                    "for the next `moodcast stream` (or `moodcast stream --recover`) to load",
                    holder=None,
                )
            time.sleep(every)
    except BaseException:
        _record_failed(session)
        raise
    return session.ending


def _raise_if_failed(running) -> None:
    """Raise the streaming job's own failure, if it has failed, as an error the CLI reports in
    one line: a step's error on a worker as ingest.worker_errors.worker_error gives it (an
    error of moodcast's family as itself or its kind, such as a static or finetune head's model
    folder missing there; any other as a WorkerError naming the step), an error of the family
    as itself (the DirectRunner's own, ingest.running_stream.RunnerFailed, among them), and
    any other failure of the job as an InputError that names the usual causes."""
    if (error := running.error) is None:
        return
    if (worker := worker_error(error)) is not None:
        raise worker from error
    if isinstance(error, MoodcastError):
        raise error
    raise InputError(
        f"the streaming job stopped: {type(error).__name__}: {error}. Check that --subscription "
        "names an existing subscription (projects/P/subscriptions/S) and that this host can "
        "reach Pub/Sub (credentials, or PUBSUB_EMULATOR_HOST for the emulator)."
    ) from error


def _check_still_reachable(session: Session, subscription: str) -> None:
    """For a session that read no post: raise SubscriptionUnreachable, saying so, where Pub/Sub
    no longer answers for `subscription` (lost after the check at start: its pulls may never
    have been answered), so that the session is not taken for a quiet one."""
    try:
        check_reachable(subscription, timeout=REACH_TIMEOUT)
    except SubscriptionUnreachable as exc:
        raise SubscriptionUnreachable(
            f"stream {session.run_id} read no post, and Pub/Sub does not answer for its "
            f"subscription now, so it is recorded failed, not as a quiet session: {exc}"
        ) from exc


def _record_failed(session: Session) -> None:
    session.failed_at = datetime.now(UTC)
    try:
        with warehouse.writing(session.settings.data_dir) as con:
            warehouse.record_run(con, session.record("failed"))
    except Exception:
        log.warning("stream: could not record the failed stream run", exc_info=True)
