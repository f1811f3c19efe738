"""Recovery of `moodcast stream` sessions that died without stopping (SIGKILL, power loss) or
stopped with files unloaded: their files are loaded as their runs, once, before a new session's
job starts (and by `moodcast stream --recover`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import polars as pl

import warehouse
import warehouse.lock
from ingest.stream import bundle_files, delete_landing_files, set_aside_landing_files
from moodcast.config import Settings
from moodcast.stream_landing import (
    Ending,
    Landed,
    Session,
    UnloadableFile,
    close_session,
    load_files,
    noted_landing,
)
from moodcast.stream_summary import StreamSummary
from transforms.errors import ConfigError
from warehouse import queries
from warehouse.ledger import killed_run

log = logging.getLogger(__name__)

STARTING = timedelta(minutes=1)
"""How long a session lock file may stay empty while its session starts (created, not yet
locked): recovery neither locks nor removes an empty one younger than this."""

UNLOADABLE = "unloadable"
"""The folder, under a dead session's landing location, that each of its files that cannot be
loaded is moved to."""


def refuse_dp(settings: Settings) -> None:
    """Raise ConfigError where `settings` publish in DP mode: neither the stream nor its
    recovery (`moodcast stream --recover`) does. Its panes release a day again every
    `early_every` and with each late post, and each noisy release of a day would spend the
    budget per author per local day again; DP mode releases a day once, after it ends
    (warehouse.load_dp_daily), which follow mode does. (Before this refusal a DP stream, and a
    recovery, loaded exact counts that DP mode never shows, and published nothing.)"""
    if settings.dp_budget is None:
        return
    raise ConfigError(
        f'{settings.data_dir / "config.toml"}: privacy = "dp" is not published by moodcast '
        "stream: its panes release each day again and again, and every noisy release of a day "
        "would spend the day's budget anew. Use follow mode, which releases each day's noisy "
        "cells once after the day ends (moodcast run --follow DIR; moodcast connect ... "
        '--spool DIR writes that directory), or stream with privacy = "suppress" (which is also '
        "what moodcast stream --recover needs to load what earlier sessions left)."
    )


ENDED = ("ok", "incomplete", "failed")
"""The statuses a stream session records itself when it ends, which its recovery keeps."""


def recover_killed_sessions(settings: Settings) -> list[StreamSummary]:
    """Load what stream sessions that died without stopping (SIGKILL, power loss) wrote and
    did not load, and record their runs `killed` (their ledger rows would stay `running`),
    each with its `unpublished` count, a floor (`_recover`), which its log line says, and its
    posts kept out of days another run holds, which a warning names; return what each
    recovery did (its run id, days upserted, counts and ending as recorded). The dead sessions
    are found by their session locks under `<data dir>/stream/`; each one's pane and bundle files are loaded as its own run's, once:
    a day is upserted from its newest pane unless a later pane is already loaded, and a file
    already loaded (by name: `stream_files`) is skipped, so a recovery killed half-way is
    simply done again by the next session, which still finds the note. Each file that cannot
    be loaded is moved to `<landing>/unloadable/` (an error line each, with what to do) and
    the run is recorded without it; the session's other files, and the other sessions, are
    recovered as usual. Raises ConfigError, before anything is read, for `privacy = "dp"`
    (refuse_dp). A run that recorded itself ended keeps that status (a session whose
    last load failed left its files and its note: close_session). The folder of a session recovered, or
    that finished, is removed once empty (close_session); an empty lock file younger than
    STARTING is left alone, as a session starting now has created it and not yet locked it
    (ended_session_lock). One whose data directory is locked by another run now is left for
    the next session to find. A dead session whose lock file notes no readable run is loaded
    as the run the ledger records under its folder's name (`_ledgered_run`), from the landing
    location its folder's LANDING_FILE records (noted_landing); with no such row
    (it died before its first load) its files stay, with an error line naming them and why at
    every start. A note that says the session failed (close_session) records it `failed`."""
    refuse_dp(settings)
    done = []
    for lock_file in sorted((settings.data_dir / "stream").glob(f"*/{warehouse.lock.LOCK_NAME}")):
        lock = ended_session_lock(lock_file)
        if lock is None:
            continue
        try:
            note = lock.stale.run if lock.stale else None
            landing = str((note or {}).get("landing") or noted_landing(lock_file.parent))
            row = killed_run(note) if note else _ledgered_run(settings, lock_file.parent.name)
            if row is not None:
                lock.note(note or {**row.as_note(), "landing": landing})
                recovered = _recover_setting_aside(settings, row, landing)
                log.warning(
                    "stream %s ended without loading all it wrote; loaded the %d day(s) it "
                    "had not loaded from %s and recorded it %s%s",
                    row.run_id,
                    recovered.days,
                    landing,
                    recovered.status,
                    _unpublished_said(recovered.ending),
                )
                if recovered.kept_out:
                    log.warning("%s", recovered.kept_out_warning())
                done.append(recovered)
            elif Landed.found(landing).paths:
                log.error(
                    "stream session folder %s holds files its session did not load, but %s no "
                    "longer notes that session's run (unreadable, or rewritten by a start killed "
                    "while it recovered them) and the ledger has no row of run %s (the session "
                    "died before its first load recorded it), so its start time, which orders "
                    "its panes and keys its run, is recorded nowhere: they cannot be loaded as "
                    "that run and are left there: inspect them, then delete that folder",
                    landing,
                    lock_file,
                    lock_file.parent.name,
                )
            lock.stale = None
            close_session(lock, landing)
        except warehouse.RunLocked:
            pass
        finally:
            lock.release()
    return done


def ended_session_lock(lock_file: Path) -> warehouse.RunLock | None:
    """The lock of the stream session whose lock file is `lock_file`, taken, once that session
    has ended; None while it runs, or starts (its lock file still empty and younger than
    STARTING: created, not locked yet, and a lock taken on it now would refuse the session its
    own), or when the file is gone. The lock's `stale` is what the session noted, if it was
    killed."""
    try:
        if _starting(lock_file):
            return None
        return warehouse.RunLock(lock_file.parent).acquire()
    except (FileNotFoundError, warehouse.RunLocked):
        return None


def running_sessions(
    data_dir: Path, *, besides: str | None = None
) -> dict[str, warehouse.Holder | None]:
    """The stream sessions of `data_dir` running now (their lock taken: RunLock.taken), or
    starting (`_starting`), other than run `besides`, by run id, each with the holder its lock
    file records (None while it records none yet). Locks and writes no session's lock file, so
    an ended session's is left as it was, for recover_killed_sessions."""
    found = {}
    for lock_file in sorted((data_dir / "stream").glob(f"*/{warehouse.lock.LOCK_NAME}")):
        lock = warehouse.RunLock(lock_file.parent)
        with contextlib.suppress(FileNotFoundError):
            if lock_file.parent.name != besides and (_starting(lock_file) or lock.taken()):
                found[lock_file.parent.name] = lock.holder()
    return found


def _starting(lock_file: Path) -> bool:
    """Whether `lock_file` is empty and younger than STARTING: created by a session starting
    now, not locked yet."""
    found = lock_file.stat()
    return found.st_size == 0 and time.time() - found.st_mtime < STARTING.total_seconds()


def _ledgered_run(settings: Settings, run_id: str) -> warehouse.RunRecord | None:
    """The ledger row of stream run `run_id` as a `killed` RunRecord (its start, as-of day,
    time zone, moodcast and marker versions: all a load of its files needs), the newest if
    several; None when the ledger has none (the session died before its first load)."""
    try:
        con = warehouse.open_published(settings.data_dir)
    except warehouse.NoWarehouse:
        return None
    try:
        rows = queries.runs(con).filter(pl.col("run_id") == run_id)
    finally:
        con.close()
    if rows.is_empty():
        return None
    row = rows.row(0, named=True)
    return warehouse.RunRecord(
        run_id=run_id,
        started_at=row["started_at"],
        as_of=row["as_of"],
        tz=row["tz"],
        package_version=row["package_version"],
        marker_versions=row["marker_versions"],
        status="killed",
    )


def _recover_setting_aside(
    settings: Settings, row: warehouse.RunRecord, landing: str
) -> StreamSummary:
    """`_recover`, moving the files that cannot be loaded to `<landing>/unloadable/` (an error
    line names each, why, and what to do) and loading the others, however many are moved: one
    pass finds them all (load_files), so each file is read at most twice. Returns what
    `_recover` does; a counts file set aside makes the run's counts a floor (`uncounted`)."""
    uncounted = False
    while True:
        try:
            return _recover(settings, row, landing, uncounted=uncounted)
        except UnloadableFile as exc:
            uncounted |= not exc.files.keys().isdisjoint(bundle_files(landing, "counts"))
            for path, reason in exc.files.items():
                aside = set_aside_landing_files(landing, [path], UNLOADABLE)
                log.error(
                    "stream %s: cannot load %s (%s), so it was moved to %s and the run is "
                    "recorded without it; the session's other files are loaded. A file cut "
                    "short, written by a moodcast version with another file schema, or holding "
                    "rows that break a warehouse constraint does this; moodcast will not try it "
                    "again: inspect it there, then delete that folder",
                    row.run_id,
                    path,
                    reason,
                    aside,
                )


def _unpublished_said(ending: Ending) -> str:
    """What the recovery's log line adds about the posts a recovered run read and left in no
    day: nothing where none, their count, and, where it is a floor, that more may be."""
    if ending.status == "ok" or (ending.unpublished == 0 and not ending.floor):
        return ""
    more = (
        ", and more may be: how many its job held unwritten when it stopped is not known"
        if ending.floor
        else ""
    )
    return f"; {ending.unpublished:,} post(s) it read are counted in no day{more}"


def _recover(
    settings: Settings, row: warehouse.RunRecord, landing: str, *, uncounted: bool = False
) -> StreamSummary:
    """Load the files a dead session left under `landing` as its run `row` (killed_run) and
    record the run with its counts and the status it recorded itself (`ok`, `incomplete`,
    `failed`), else the row's (`killed`, or `failed` where its note says so), under the time
    zone and moodcast version it noted and the later of the `as_of` it noted (its start's day)
    and the one its ledger row holds (its last load's), so a run recovered from its note and
    one recovered from its ledger row (`_ledgered_run`) record the same day; return what it
    did (StreamSummary: the days upserted, the run's counts, its ending as recorded, and its
    posts kept out of days another run holds, those the ledger's `kept_out` counts name
    included: a pane skipped while the session ran is no longer among its files). A run
    recorded `killed` gets the `unpublished` count an `incomplete` one gets (Ending.of),
    always a floor: the posts its job held unwritten when it was killed are known nowhere; one
    recorded `failed` is returned with that floor too (its ledger row keeps no such count). A
    run that recorded itself `incomplete` has its ending decided again from every file of its
    run now loaded (Ending.of, a floor staying a floor): its
    `unpublished` count is what the recovered panes still leave in no day, and with none left
    (and a count that was not a floor) it is recorded `ok`; where counts files of the run were
    set aside (`uncounted`: posts were read that its counts miss) the count is a floor. Raises
    RunLocked while another run holds the data directory, UnloadableFile (nothing loaded)
    naming the files not yet loaded that cannot be."""
    session = Session(settings, row.run_id, row.started_at, landing, dict(row.marker_versions))
    landed = Landed.found(landing)
    with warehouse.writing(settings.data_dir) as con:
        recorded = queries.runs(con).filter(pl.col("run_id") == row.run_id)
        status, finished = row.status, row.finished_at
        if not recorded.is_empty() and recorded.item(0, "status") in ENDED:
            status, finished = recorded.item(0, "status"), recorded.item(0, "finished_at")
        session.days = 0 if recorded.is_empty() else recorded.item(0, "days")
        session.kept_out = warehouse.recorded_kept_out(con, row.run_id)
        days = load_files(con, session, landed)
        as_of = max([row.as_of, *recorded.get_column("as_of")])
        ran = {"as_of": as_of, "tz": row.tz, "package_version": row.package_version}
        run = replace(session.record(status), finished_at=finished, **ran)
        if status == "incomplete" and (was := Ending.recorded(con, row.run_id)) is not None:
            ending = Ending.of(session, caught_up=not (was.floor or uncounted))
            ending.record(con, run)
        elif status in ("killed", "failed"):
            ending = replace(Ending.of(session, caught_up=False), status=status)
            ending.record(con, run)
        else:
            ending = Ending(status, 0, floor=False, kept_out=session.kept_posts())
            warehouse.record_run(con, run)
    delete_landing_files(landed.paths)
    return StreamSummary.of(session, ending, days=days)
