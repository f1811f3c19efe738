"""`moodcast stream`: the Beam streaming job over Pub/Sub, and the single writer beside it.

The job (ingest.stream) writes a file per pane and per bundle of counts and dead letters under
`<data dir>/stream/<run id>/`; every `load_every` this process takes the data directory's run
lock, upserts the days pane-aware, adds the accounting, records the stream run in the ledger
(`running`, then `ok` or `failed`) and publishes atomically, then deletes the files it loaded.
The job keeps its windows' state in memory: a restarted stream starts new panes, which order
after the earlier run's (warehouse.panes). A session killed outright leaves the files it had not
loaded; the next session loads them as that session's run before its own job starts
(recover_killed_sessions), or sets them aside when one cannot be loaded. A session that stopped
or was recovered removes its emptied folder (close_session).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import polars as pl

import warehouse
import warehouse.lock
from ingest.job import IngestJob
from ingest.landing import landing_location
from ingest.runner import is_remote
from ingest.sources import InputError
from ingest.stream import (
    PaneFile,
    StreamJob,
    bundle_files,
    delete_landing_files,
    pane_files,
    read_landing_file,
    set_aside_landing_files,
    start_stream,
)
from moodcast.adapting import configured_markers
from moodcast.config import Settings, author_key
from moodcast.follow import stop_on_signals
from transforms.contracts import DEAD_LETTER_SCHEMA, conform
from transforms.errors import ContractError, WarehouseError
from transforms.markers import marker_versions
from transforms.posts import PostOptions
from warehouse import queries
from warehouse.ledger import killed_run
from warehouse.load import daily_rows
from warehouse.panes import STREAM_COUNT_SCHEMA, loaded_stream_files

log = logging.getLogger(__name__)

DRAIN_SLACK = timedelta(seconds=120)
"""How long past two early-pane intervals a stopping stream waits for its last panes."""

LAST_LOAD_WAIT = timedelta(minutes=10)
"""How long a stopping stream retries its last load while another run holds the lock."""

STARTING = timedelta(minutes=1)
"""How long a session lock file may stay empty while its session starts (created, not yet
locked): recovery neither locks nor removes an empty one younger than this."""

UNLOADABLE = "unloadable"
"""The folder, under a killed session's landing location, its files are set aside in when
one of them cannot be loaded."""


class UnloadableFile(WarehouseError):
    """A landing file that cannot be read as its contract (cut short, or written by a moodcast
    with another schema): `path` names it."""

    def __init__(self, message: str, *, path: str):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class StreamSummary:
    """What a stream session did: its run id, loads published, days upserted, and its counts
    (`read`, `valid`, `dead_lettered`, `duplicates`, `filtered` by reason)."""

    run_id: str
    loads: int
    days: int
    counts: dict

    def describe(self) -> str:
        """A short human summary for stderr."""
        c = self.counts
        filtered = ", ".join(f"{n:,} {r}" for r, n in sorted(c["filtered"].items())) or "none"
        return (
            f"stream {self.run_id}: read {c['read']:,} posts; {c['valid']:,} valid; "
            f"{c['dead_lettered']:,} dead-lettered; {c['duplicates']:,} duplicates; "
            f"filtered: {filtered}. {self.loads} loads published, {self.days} day upserts."
        )


@dataclass
class _Session:
    settings: Settings
    run_id: str
    started_at: datetime
    landing: str
    versions: dict
    loads: int = 0
    days: int = 0
    pane_posts: dict = field(default_factory=dict)
    counts: dict = field(default_factory=lambda: _counts(NO_COUNTS))

    def record(self, status: str) -> warehouse.RunRecord:
        c = self.counts
        return warehouse.RunRecord(
            run_id=self.run_id,
            started_at=self.started_at,
            finished_at=None if status == "running" else datetime.now(UTC),
            as_of=datetime.now(ZoneInfo(self.settings.tz)).date(),
            tz=self.settings.tz,
            package_version=version("moodcast"),
            marker_versions=self.versions,
            status=status,
            read=c["read"],
            valid=c["valid"],
            dead_lettered=c["dead_lettered"],
            duplicates=c["duplicates"],
            filtered=sum(c["filtered"].values()),
            days=self.days,
        )


NO_COUNTS = pl.DataFrame(schema={"category": pl.String, "reason": pl.String, "n": pl.Int64})


def _counts(totals: pl.DataFrame) -> dict:
    def total(category: str) -> int:
        return int(totals.filter(pl.col("category") == category).get_column("n").sum())

    filtered = totals.filter(pl.col("category") == "filtered")
    return {
        "read": total("read"),
        "valid": total("valid"),
        "dead_lettered": total("dead_letter"),
        "duplicates": total("duplicate"),
        "filtered": dict(filtered.select("reason", "n").iter_rows()),
    }


class _Landed(NamedTuple):
    """The files a stream job has written under its landing location: every pane file, each
    day's newest pane (panes accumulate: a day's newest holds all of it so far), and the
    bundle files of counts and of dead letters."""

    panes: list[PaneFile]
    newest: list[PaneFile]
    counts: list[str]
    dead: list[str]

    @classmethod
    def found(cls, landing: str) -> _Landed:
        panes = pane_files(landing)
        newest: dict[date, PaneFile] = {}
        for pane in panes:
            if pane.day not in newest or pane.index > newest[pane.day].index:
                newest[pane.day] = pane
        counts, dead = bundle_files(landing, "counts"), bundle_files(landing, "dead")
        return cls(panes, list(newest.values()), counts, dead)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.panes] + self.counts + self.dead


def _load_files(con, session: _Session, landed: _Landed) -> int:
    """Upsert `landed`'s newest panes as session's run and add its bundle files' counts and
    dead letters, inside the caller's `warehouse.writing`; set the session's counts and return
    the days upserted. Each file counts once ever, by name (`stream_files`): a file loaded
    before (a crash between a load and the deletion of its files) is skipped unread, so the
    run's `days` and counts stay exact. Raises UnloadableFile, naming it, for a file not yet
    loaded that cannot be read as its contract."""
    names = {p.path: _pane_name(session.run_id, p) for p in landed.newest}
    names |= {path: Path(path).name for path in [*landed.counts, *landed.dead]}
    done = loaded_stream_files(con, list(names.values()))
    fresh = [p for p in landed.newest if names[p.path] not in done]
    counts, dead = (
        [p for p in paths if names[p] not in done] for paths in (landed.counts, landed.dead)
    )
    upserted = warehouse.upsert_panes(
        con,
        [
            (
                warehouse.PaneMeta(
                    p.day, session.run_id, session.started_at, p.index, p.timing, p.fired_at
                ),
                _read(p.path, lambda frame, day=p.day: daily_rows(frame, days=[day])),
            )
            for p in fresh
        ],
    )
    totals = warehouse.add_stream_accounting(
        con,
        run_id=session.run_id,
        loaded_at=datetime.now(UTC),
        counts=[(names[p], _read(p, _STREAM_COUNTS)) for p in counts],
        dead_letters=[(names[p], _read(p, _DEAD_LETTERS)) for p in dead],
        panes=[names[p.path] for p in fresh],
    )
    session.counts = _counts(totals)
    session.days += upserted.days
    return upserted.days


def _pane_name(run_id: str, pane: PaneFile) -> str:
    """A pane file's name in `stream_files`: `<run id>/panes/<day>/<file name>`."""
    return f"{run_id}/panes/{pane.day.isoformat()}/{Path(pane.path).name}"


_STREAM_COUNTS = partial(conform, schema=STREAM_COUNT_SCHEMA, name="stream counts")
_DEAD_LETTERS = partial(conform, schema=DEAD_LETTER_SCHEMA, name="stream dead letters")


def _read(path: str, contract) -> pl.DataFrame:
    """The landing file `path` as `contract` (a function that conforms a frame) returns it;
    UnloadableFile when it cannot be read (cut short) or conformed (another schema)."""
    try:
        return contract(read_landing_file(path))
    except (pl.exceptions.PolarsError, ContractError, warehouse.LoadError) as exc:
        raise UnloadableFile(f"{type(exc).__name__}: {exc}", path=path) from exc


def load_landing(session: _Session, *, status: str = "running") -> bool:
    """Publish what the job has written since the last load; False when the data directory
    was locked by another run (the files wait for the next load)."""
    landed = _Landed.found(session.landing)
    try:
        with warehouse.writing(session.settings.data_dir) as con:
            days = _load_files(con, session, landed)
            warehouse.record_run(con, session.record(status))
    except warehouse.RunLocked as exc:
        log.warning("stream: %s; loading at the next interval", exc)
        return False
    delete_landing_files(landed.paths)
    for p in landed.panes:
        session.pane_posts[p.day] = max(p.posts, session.pane_posts.get(p.day, 0))
    session.loads += 1
    if days or landed.counts:
        log.info(
            "stream: published %d day(s) from %d pane file(s); read %s so far",
            days,
            len(landed.panes),
            f"{session.counts['read']:,}",
        )
    return True


def undelivered(session: _Session) -> int:
    """Posts read but not yet in a published pane (or not yet accounted for): zero when the
    job has caught up with everything it read."""
    c = session.counts
    accounted = c["valid"] + c["duplicates"] + c["dead_lettered"] + sum(c["filtered"].values())
    return (c["read"] - accounted) + (c["valid"] - sum(session.pane_posts.values()))


def drain(session: _Session, running, *, load_every: timedelta, timeout: timedelta) -> None:
    """Keep loading until every post read is in a published pane (early panes keep firing
    while posts wait), the job fails, or `timeout` passes."""
    deadline = time.monotonic() + timeout.total_seconds()
    while (left := undelivered(session)) and time.monotonic() < deadline:
        log.info("stream: draining, %d post(s) read but not yet in a published day", left)
        time.sleep(load_every.total_seconds())
        if running.error is not None:
            raise _job_failed(running.error)
        load_landing(session)
    if left := undelivered(session):
        log.warning("stream: stopped with %d post(s) read but not in a published day", left)


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
    stream run `ok`. Before stopping it drains: it waits (up to
    two `early_every` and DRAIN_SLACK) until every post read is in a published day. A failed
    job is recorded `failed` and its error raised."""
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
    ingest = IngestJob(
        inputs=[],
        landing_dir=landing,
        markers=markers,
        key=author_key(settings.data_dir, remote=is_remote(beam_args)),
        run_id=run_id,
        options=PostOptions(
            tz=settings.tz, include_reposts=settings.include_reposts, models=settings.model_config
        ),
        source_tz=settings.source_tz,
    )
    job = StreamJob(
        ingest=ingest,
        source=f"pubsub:{subscription}",
        early_every=early_every,
        allowed_lateness=allowed_lateness,
        mapping=settings.record_mapping,
    )
    session = _Session(settings, run_id, started, landing, versions)
    recover_killed_sessions(settings)
    alive = session_lock(session)
    try:
        return _stream_session(session, job, subscription, beam_args, stop, duration, load_every)
    finally:
        close_session(alive, landing)


def _stream_session(
    session: _Session,
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
    with stop_on_signals(stop, name="stream"):
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
                if running.error is not None:
                    raise _job_failed(running.error)
                load_landing(session)
            drain(session, running, load_every=load_every, timeout=2 * early_every + DRAIN_SLACK)
        except BaseException:
            running.stop()
            _record_failed(session)
            raise
        running.stop()
    publish_last(session)
    log.info("stream %s: stopped", run_id)
    return StreamSummary(
        run_id=run_id, loads=session.loads, days=session.days, counts=session.counts
    )


def session_lock(session: _Session) -> warehouse.RunLock:
    """The held lock that says `session` is alive (`<data dir>/stream/<run id>/moodcast.lock`),
    noting its run and its landing location: a session killed outright leaves the note for
    `recover_killed_sessions`."""
    folder = session.settings.data_dir / "stream" / session.run_id
    lock = warehouse.RunLock(folder, command="moodcast stream").acquire()
    lock.note({**session.record("running").as_note(), "landing": session.landing})
    return lock


def close_session(lock: warehouse.RunLock, landing: str) -> None:
    """Release a session lock and delete its file (released, it notes nothing), then remove
    the empty folders under it: a session that finished or was recovered leaves nothing for
    the next session to examine again. While files are still under `landing` (a last load or
    a job that failed), the lock file keeps the session's note instead, as a killed session's
    does, so that the next start loads them (recover_killed_sessions)."""
    if _Landed.found(landing).paths:
        lock.abandon()
        return
    if lock.stale is None:
        lock.path.unlink(missing_ok=True)
    lock.release()
    for root, _, _ in os.walk(lock.path.parent, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(root)


def recover_killed_sessions(settings: Settings) -> list[str]:
    """Load what stream sessions that died without stopping (SIGKILL, power loss) wrote and
    did not load, and record their runs `killed` (their ledger rows would stay `running`);
    return their ids. The dead sessions are found by their session locks under
    `<data dir>/stream/`; each one's pane and bundle files are loaded as its own run's, once:
    a day is upserted from its newest pane unless a later pane is already loaded, and a file
    already loaded (by name: `stream_files`) is skipped, so a recovery killed half-way is
    simply done again by the next session, which still finds the note. Each file that cannot
    be loaded is moved to `<landing>/unloadable/` (an error line each, with what to do) and
    the run is recorded without it; the session's other files, and the other sessions, are
    recovered as usual. A run that recorded itself ended keeps that status (a session whose
    last load failed left its files and its note: close_session). The folder of a session recovered, or
    that finished, is removed once empty (close_session); an empty lock file younger than
    STARTING is left alone, as a session starting now has created it and not yet locked it
    (ended_session_lock). One whose data directory is locked by another run now is left for
    the next session to find."""
    killed = []
    for lock_file in sorted((settings.data_dir / "stream").glob(f"*/{warehouse.lock.LOCK_NAME}")):
        lock = ended_session_lock(lock_file)
        if lock is None:
            continue
        try:
            note = lock.stale.run if lock.stale else None
            row = killed_run(note) if note else None
            landing = str((note or {}).get("landing") or lock_file.parent)
            if row is not None:
                lock.note(note)
                days = _recover_setting_aside(settings, row, landing)
                log.warning(
                    "stream %s was killed without stopping; loaded the %d day(s) it had not "
                    "loaded from %s and recorded it as killed",
                    row.run_id,
                    days,
                    landing,
                )
                killed.append(row.run_id)
            lock.stale = None
            close_session(lock, landing)
        except warehouse.RunLocked:
            pass
        finally:
            lock.release()
    return killed


def ended_session_lock(lock_file: Path) -> warehouse.RunLock | None:
    """The lock of the stream session whose lock file is `lock_file`, taken, once that session
    has ended; None while it runs, or starts (its lock file still empty and younger than
    STARTING: created, not locked yet, and a lock taken on it now would refuse the session its
    own), or when the file is gone. The lock's `stale` is what the session noted, if it was
    killed."""
    try:
        found = lock_file.stat()
        if found.st_size == 0 and time.time() - found.st_mtime < STARTING.total_seconds():
            return None
        return warehouse.RunLock(lock_file.parent).acquire()
    except (FileNotFoundError, warehouse.RunLocked):
        return None


def _recover_setting_aside(settings: Settings, row: warehouse.RunRecord, landing: str) -> int:
    """`_recover`, moving each file that cannot be loaded to `<landing>/unloadable/` (an error
    line names it, why, and what to do) and loading the others, however many are moved."""
    while True:
        try:
            return _recover(settings, row, landing)
        except UnloadableFile as exc:
            aside = set_aside_landing_files(landing, [exc.path], UNLOADABLE)
            log.error(
                "stream %s: cannot load %s (%s), so it was moved to %s and the run is recorded "
                "without it; the session's other files are loaded. A file cut short, or written "
                "by a moodcast version with another file schema, does this; moodcast will not "
                "try it again: inspect it there, then delete that folder",
                row.run_id,
                exc.path,
                exc,
                aside,
            )


def _recover(settings: Settings, row: warehouse.RunRecord, landing: str) -> int:
    """Load the files a dead session left under `landing` as its run `row` (killed_run) and
    record the run `killed` with its counts, or with the status it recorded itself, under the
    `as_of`, time zone and moodcast version it noted; return the days upserted. Raises
    RunLocked while another run holds the data directory, UnloadableFile (nothing loaded) for
    a file not yet loaded that cannot be."""
    session = _Session(settings, row.run_id, row.started_at, landing, dict(row.marker_versions))
    landed = _Landed.found(landing)
    with warehouse.writing(settings.data_dir) as con:
        recorded = queries.runs(con).filter(pl.col("run_id") == row.run_id)
        status, finished = "killed", None
        if not recorded.is_empty() and recorded.item(0, "status") in ("ok", "failed"):
            status, finished = recorded.item(0, "status"), recorded.item(0, "finished_at")
        session.days = 0 if recorded.is_empty() else recorded.item(0, "days")
        days = _load_files(con, session, landed)
        ran = {"as_of": row.as_of, "tz": row.tz, "package_version": row.package_version}
        warehouse.record_run(con, replace(session.record(status), finished_at=finished, **ran))
    delete_landing_files(landed.paths)
    return days


def publish_last(
    session: _Session, *, wait: timedelta = LAST_LOAD_WAIT, every: float = 5.0
) -> None:
    """Load what the stopped job wrote last and record the stream run `ok`, retrying every
    `every` seconds while another run holds the data directory's lock, for up to `wait`. A
    load that fails, or a lock still held after `wait`, is recorded `failed` where the ledger
    can be reached and raised; the files not loaded stay under the run's landing location,
    for the next start to load (close_session keeps the session's note for it)."""
    deadline = time.monotonic() + wait.total_seconds()
    try:
        while not load_landing(session, status="ok"):
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


def _job_failed(error: BaseException) -> InputError:
    """The streaming job's own failure, as an error the CLI reports in one line."""
    failure = InputError(
        f"the streaming job stopped: {type(error).__name__}: {error}. Check that --subscription "
        "names an existing subscription (projects/P/subscriptions/S) and that this host can "
        "reach Pub/Sub (credentials, or PUBSUB_EMULATOR_HOST for the emulator)."
    )
    failure.__cause__ = error
    return failure


def _record_failed(session: _Session) -> None:
    try:
        with warehouse.writing(session.settings.data_dir) as con:
            warehouse.record_run(con, session.record("failed"))
    except Exception:
        log.warning("stream: could not record the failed stream run", exc_info=True)
