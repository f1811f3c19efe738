"""A stream session's landed files and their load, shared by the live loader (moodcast.stream)
and the recovery of sessions that died (moodcast.stream_recovery): the session and its ledger
row, the files its job wrote under its landing location, their pane-aware load as its run, how
a stopped session ended (`Ending`, decided and recorded in one place for both), and the session
lock that says it is alive.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import polars as pl

import warehouse
from ingest.stream import PANE_NAME, PaneFile, bundle_files, pane_files, read_landing_file
from moodcast.config import Settings
from transforms.contracts import DEAD_LETTER_SCHEMA, conform
from transforms.errors import ContractError, WarehouseError
from warehouse import queries
from warehouse.exports import write_atomically
from warehouse.load import daily_rows
from warehouse.panes import STREAM_COUNT_SCHEMA, loaded_stream_files

log = logging.getLogger(__name__)


class UnloadableFile(WarehouseError):
    """Landing files that cannot be read as their contract (cut short, or written by a
    moodcast with another schema) or whose rows break a warehouse constraint: `files` maps
    each path to the reason."""

    def __init__(self, files: dict[str, str]):
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in files.items()))
        self.files = files


@dataclass
class Session:
    """A stream session: its settings, run id and start, landing location and marker versions,
    and what it has done so far: loads, days upserted, the posts in each day's newest pane
    loaded (by any load of its run: `stream_files`) of the days its run still holds, the posts
    of its newest pane of each day another run holds, with that run (`kept_out`: day ->
    warehouse.Kept; a file run's day, or a later-started stream's, which its panes do not
    replace), its counts (`read`, `valid`, `dead_lettered`, `duplicates`, `filtered` by
    reason), when it failed, if it did (`failed_at`, set whether or not the ledger could record
    it), and how it ended, once its last load recorded that (`ending`)."""

    settings: Settings
    run_id: str
    started_at: datetime
    landing: str
    versions: dict
    loads: int = 0
    days: int = 0
    pane_posts: dict = field(default_factory=dict)
    kept_out: dict[date, warehouse.Kept] = field(default_factory=dict)
    counts: dict = field(default_factory=lambda: _counts(NO_COUNTS))
    failed_at: datetime | None = None
    ending: Ending | None = None

    def undelivered(self) -> int:
        """Posts read and in no pane loaded of a day its run holds (counted in no day), or not
        yet accounted for (valid, duplicate, dead-lettered or filtered): zero once every post
        read is in a day."""
        c = self.counts
        accounted = c["valid"] + c["duplicates"] + c["dead_lettered"] + sum(c["filtered"].values())
        return (c["read"] - accounted) + (c["valid"] - sum(self.pane_posts.values()))

    def kept_posts(self) -> int:
        """The posts of its panes of days another run holds (`kept_out`), all days together."""
        return sum(kept.posts for kept in self.kept_out.values())

    def waiting(self) -> int:
        """The posts of `undelivered` that no pane of its job holds yet (not those `kept_out`,
        which no later pane can put in a day)."""
        return self.undelivered() - self.kept_posts()

    def record(self, status: str) -> warehouse.RunRecord:
        """Its ledger row with `status`: finished now unless `running`, `as_of` today in its
        time zone."""
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


UNPUBLISHED = "read, in no pane loaded (counted in no day) when the stream stopped"
"""The reason of a stopped session's exact `unpublished` count (warehouse.record_unpublished):
the only reason a recovery reads as exact."""
UNPUBLISHED_AT_LEAST = (
    f"{UNPUBLISHED}; at least: more may be, how many not known (its job had not processed "
    "every message it pulled, or its counts miss posts it read)"
)
"""The reason where the count is a floor: the job had not processed every message it pulled,
or the run's counts miss posts it read (its panes hold more posts than they count, or a counts
file was set aside)."""


@dataclass(frozen=True)
class Ending:
    """How a stopped stream session ended, as its run records it: `status` `ok` when every
    post it read is in a pane loaded (an early pane counts) or kept out of a day another run
    holds, and its job had processed every message it pulled, else `incomplete`;
    `unpublished`, its posts read, in no pane loaded and not kept out (counted in no day for
    another reason: its drain's time ran out with them in the job's windows); `floor`, where
    its job had not processed every message it pulled or its panes loaded hold more posts than
    its counts (`of`), so that more may be in no day than `unpublished` counts, how many not
    known; `overcounted`, where the latter is why (then `floor` too, and `unpublished` 0);
    `kept_out`, the posts of its panes of days another run holds (Session.kept_out: in no day
    of its run's, not a failure of it, and not in `unpublished`)."""

    status: str
    unpublished: int
    floor: bool
    overcounted: bool = False
    kept_out: int = 0

    @classmethod
    def of(cls, session: Session, *, caught_up: bool) -> Ending:
        """`session`'s ending from what its loads found, its job having `caught_up` or not.
        Panes loaded or kept out that hold more posts than its counts say are valid (a counts
        file the job never wrote) leave how many are in no day not known: `incomplete`, a
        floor of 0."""
        kept = session.kept_posts()
        left = session.undelivered() - kept
        ok = caught_up and left == 0
        return cls(
            "ok" if ok else "incomplete", max(left, 0), not caught_up or left < 0, left < 0, kept
        )

    @classmethod
    def recorded(cls, con, run_id: str) -> Ending | None:
        """The ending stream run `run_id` recorded `incomplete` (its `unpublished` count, a
        floor unless its reason is UNPUBLISHED: a count whose reason is worded otherwise, an
        older moodcast's or a floor's, is not known to be exact), or None where it recorded no
        such count."""
        counts = queries.run_counts(con, run_id).filter(pl.col("category") == "unpublished")
        if counts.is_empty():
            return None
        row = counts.row(0, named=True)
        return cls("incomplete", row["n"], row["reason"] != UNPUBLISHED)

    def record(self, con, run: warehouse.RunRecord) -> None:
        """Record `run` (its status this ending's) and, `incomplete` or `killed`, its
        `unpublished` count with its reason (UNPUBLISHED, or UNPUBLISHED_AT_LEAST for a
        floor), or, `ok`, no such count."""
        warehouse.record_run(con, replace(run, status=self.status))
        counted = self.status in ("incomplete", "killed")
        reason = UNPUBLISHED_AT_LEAST if self.floor else UNPUBLISHED
        warehouse.record_unpublished(con, run.run_id, self.unpublished if counted else None, reason)


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


class Landed(NamedTuple):
    """The files a stream job has written under its landing location: every pane file, each
    day's newest pane (panes accumulate: a day's newest holds all of it so far), and the
    bundle files of counts and of dead letters."""

    panes: list[PaneFile]
    newest: list[PaneFile]
    counts: list[str]
    dead: list[str]

    @classmethod
    def found(cls, landing: str) -> Landed:
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


def load_files(con, session: Session, landed: Landed) -> int:
    """Upsert `landed`'s newest panes as session's run and add its bundle files' counts and
    dead letters, inside the caller's `warehouse.writing`; set the session's counts, its
    `pane_posts` (from every pane file of its run loaded, by this load or an earlier one:
    loaded_pane_posts, of the days its run still holds) and its `kept_out` (the days another
    run holds, warehouse.day_holders: a pane this load skipped for that, or one loaded before
    whose day a file run or a later-started stream has loaded since), record
    those as the run's `kept_out` counts (warehouse.record_kept_out, all of them), and, for
    each day this load replaced that an earlier stream run held, that run's posts there as its
    `kept_out` count of the day, with a warning; return the days upserted, and record the
    release they make
    (warehouse.record_release; today, in the session's time zone, has not ended: its partial
    counts are neither published nor recorded, and the first load after midnight publishes
    it). Each file counts once ever, by name (`stream_files`): a file loaded
    before (a crash between a load and the deletion of its files) is skipped unread, so the
    run's `days` and counts stay exact. Each file is read once. Raises UnloadableFile, naming
    every file not yet loaded that cannot be read as its contract, or whose rows, loaded
    alone, break a warehouse constraint (then the caller's writing must be discarded: the
    other files are in it)."""
    names = {p.path: _pane_name(session.run_id, p) for p in landed.newest}
    names |= {path: Path(path).name for path in [*landed.counts, *landed.dead]}
    done = loaded_stream_files(con, list(names.values()))
    frames, unloadable = _read_all(_keeping(landed, lambda path: names[path] not in done))
    fresh = _keeping(landed, lambda path: path in frames)
    streamed = streamed_days(con, [p.day for p in fresh.newest], besides=session.run_id)
    try:
        upserted, totals = _load(con, session, fresh, names, frames)
    except warehouse.LoadError:
        breaking = _breaking_alone(con, session, fresh, names, frames)
        if not breaking:
            raise
        unloadable |= breaking
    if unloadable:
        raise UnloadableFile(unloadable)
    session.counts = _counts(totals)
    _hold(con, session, [p for p in fresh.newest if p.day in upserted.kept_out])
    warehouse.record_kept_out(con, session.run_id, session.kept_out)
    for day, (run_id, posts) in sorted(streamed.items()):
        if day in upserted.loaded:
            kept = {day: warehouse.Kept(posts, session.run_id)}
            warehouse.record_kept_out(con, run_id, kept, days=[day])
            log.warning(
                "stream %s: its pane of %s replaced the day stream run %s had loaded: that "
                "run's %d post(s) there are in no day now, counted `kept_out` in its ledger (a "
                "restarted stream's windows start afresh; docs/streaming.md, who holds a day)",
                session.run_id,
                day,
                run_id,
                posts,
            )
    session.days += upserted.days
    settings, today = session.settings, session.record("running").as_of
    warehouse.record_release(
        con,
        k=settings.k,
        week_grain=settings.week_grain,
        privacy=settings.privacy,
        as_of=today,
        today=today,
    )
    return upserted.days


def _hold(con, session: Session, skipped: list[PaneFile]) -> None:
    """Set `session.pane_posts` to the posts of the days its run holds (taking any it holds
    again out of its `kept_out`), and add to its `kept_out` (the most posts of its panes of
    each day, panes accumulating) those of the days another run holds: the panes of its run
    loaded before (loaded_pane_posts) and the `skipped` pane files, each named with the run
    that holds the day now (one kept out earlier, or recorded so in the ledger, may have been
    recomputed by another run since)."""
    noted = loaded_pane_posts(con, session.run_id)
    holders = warehouse.day_holders(con, {*noted, *session.kept_out, *(p.day for p in skipped)})
    session.pane_posts = {d: n for d, n in noted.items() if holders.get(d) == session.run_id}
    posts = {d: k.posts for d, k in session.kept_out.items() if d not in session.pane_posts}
    others = [(d, n) for d, n in noted.items() if d not in session.pane_posts]
    for day, n in others + [(p.day, p.posts) for p in skipped]:
        posts[day] = max(posts.get(day, 0), n)
    session.kept_out = {
        day: warehouse.Kept(n, holders.get(day, "a file run that left it empty"))
        for day, n in posts.items()
    }


def streamed_days(
    con, days: list[date], *, besides: str | None = None
) -> dict[date, tuple[str, int]]:
    """Those of `days` a stream run other than `besides` holds (its pane was loaded last:
    warehouse.stream_held_days), each with that run and the posts of its newest pane of the
    day loaded (loaded_pane_posts)."""
    held = warehouse.stream_held_days(con, days)
    posts = {run_id: loaded_pane_posts(con, run_id) for run_id in set(held.values()) - {besides}}
    return {day: (run, posts[run].get(day, 0)) for day, run in held.items() if run in posts}


def loaded_pane_posts(con, run_id: str) -> dict[date, int]:
    """The posts in each day's newest pane of stream run `run_id` loaded into the warehouse,
    read from the names of its pane files in `stream_files` (`<run id>/panes/<day>/<index>-
    <timing>-<fired>-<posts>.parquet`; panes accumulate, so a day's most posts are its newest
    pane's). Only those rows are read (filtered in SQL by that prefix), not the run's counts
    and dead-letter files, which a long session accumulates."""
    files = queries.stream_files(con, run_id, prefix=panes_prefix(run_id))
    return pane_posts(files, run_id)


def panes_prefix(run_id: str) -> str:
    """What the names of stream run `run_id`'s pane files in `stream_files` start with."""
    return f"{run_id}/panes/"


def pane_posts(files: pl.DataFrame, run_id: str) -> dict[date, int]:
    """The posts in each day's newest pane of stream run `run_id` among `files`
    (`stream_files` rows), from their names; the other rows are skipped."""
    name = rf"^{re.escape(panes_prefix(run_id))}(\d{{4}}-\d{{2}}-\d{{2}})/{PANE_NAME.pattern}$"
    panes = (
        files.select(parts=pl.col("name").str.extract_groups(name))
        .unnest("parts")
        .drop_nulls()
        .group_by(day=pl.col("1").str.to_date())
        .agg(posts=pl.col("5").cast(pl.Int64).max())
    )
    return dict(panes.iter_rows())


def _keeping(landed: Landed, keep: Callable[[str], bool]) -> Landed:
    """`landed`'s newest panes and bundle files whose path `keep` is true of (as both its
    panes and its newest: each day once)."""
    newest = [p for p in landed.newest if keep(p.path)]
    return Landed(
        newest, newest, [p for p in landed.counts if keep(p)], [p for p in landed.dead if keep(p)]
    )


def _read_all(landed: Landed) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """Every file of `landed` (its newest panes and bundle files) read as its contract, by
    path, and those that cannot be read (cut short) or conformed (another schema), with why."""
    contracts = [
        (p.path, lambda frame, day=p.day: daily_rows(frame, days=[day])) for p in landed.newest
    ]
    contracts += [(path, _STREAM_COUNTS) for path in landed.counts]
    contracts += [(path, _DEAD_LETTERS) for path in landed.dead]
    frames, unloadable = {}, {}
    for path, contract in contracts:
        try:
            frames[path] = contract(read_landing_file(path))
        except (pl.exceptions.PolarsError, ContractError, warehouse.LoadError) as exc:
            unloadable[path] = f"{type(exc).__name__}: {exc}"
    return frames, unloadable


def _load(
    con, session: Session, fresh: Landed, names: dict[str, str], frames: dict[str, pl.DataFrame]
) -> tuple[warehouse.PaneLoad, pl.DataFrame]:
    """load_files' load of the files `fresh` (none loaded before; `names` gives each its name
    in `stream_files`, `frames` its rows): what the upsert did and the run's counts so far. A
    pane skipped (its day holds a later pane, or is another run's: PaneLoad.kept_out) is not
    noted in `stream_files`: its posts are in no day (loaded_pane_posts)."""
    upserted = warehouse.upsert_panes(
        con,
        [
            (
                warehouse.PaneMeta(
                    p.day, session.run_id, session.started_at, p.index, p.timing, p.fired_at
                ),
                frames[p.path],
            )
            for p in fresh.newest
        ],
    )
    totals = warehouse.add_stream_accounting(
        con,
        run_id=session.run_id,
        loaded_at=datetime.now(UTC),
        counts=[(names[p], frames[p]) for p in fresh.counts],
        dead_letters=[(names[p], frames[p]) for p in fresh.dead],
        panes=[names[p.path] for p in fresh.newest if p.day in upserted.loaded],
    )
    return upserted, totals


def _breaking_alone(
    con, session: Session, fresh: Landed, names: dict[str, str], frames: dict[str, pl.DataFrame]
) -> dict[str, str]:
    """Every file of `fresh` whose rows, loaded alone, break a warehouse constraint, with the
    LoadError's text; empty when none does alone. Loads the others into `con` on the way."""
    alone = [Landed([p], [p], [], []) for p in fresh.newest]
    alone += [Landed([], [], [path], []) for path in fresh.counts]
    alone += [Landed([], [], [], [path]) for path in fresh.dead]
    breaking = {}
    for one in alone:
        try:
            _load(con, session, one, names, frames)
        except warehouse.LoadError as exc:
            (path,) = one.paths
            breaking[path] = f"{type(exc).__name__}: {exc}"
    return breaking


def _pane_name(run_id: str, pane: PaneFile) -> str:
    """A pane file's name in `stream_files`: `<run id>/panes/<day>/<file name>`."""
    return f"{panes_prefix(run_id)}{pane.day.isoformat()}/{Path(pane.path).name}"


_STREAM_COUNTS = partial(conform, schema=STREAM_COUNT_SCHEMA, name="stream counts")
_DEAD_LETTERS = partial(conform, schema=DEAD_LETTER_SCHEMA, name="stream dead letters")


LANDING_FILE = "landing"
"""The file of a session's folder (`stream/<run id>/`) that holds its landing location, written
once as it starts: where its lock file lost its note, the only record of a remote landing."""
LANDING_STAGED = f".{LANDING_FILE}.tmp"
"""LANDING_FILE's name while it is written (write_atomically's staging name), before it is
renamed."""


def session_lock(session: Session) -> warehouse.RunLock:
    """The held lock that says `session` is alive (`<data dir>/stream/<run id>/moodcast.lock`),
    noting its run and its landing location: a session killed outright leaves the note for
    `recover_killed_sessions`. The landing location is also written into LANDING_FILE beside
    it (warehouse.exports.write_atomically: LANDING_STAGED, fsynced, then renamed), which no
    other process rewrites."""
    folder = session.settings.data_dir / "stream" / session.run_id
    lock = warehouse.RunLock(folder, command="moodcast stream").acquire()
    write_atomically(
        folder / LANDING_FILE,
        lambda path: path.write_text(session.landing + "\n", encoding="utf-8"),
    )
    lock.note({**session.record("running").as_note(), "landing": session.landing})
    return lock


def noted_landing(folder: Path) -> str:
    """The landing location of the session whose folder is `folder` (`stream/<run id>/`), from
    its LANDING_FILE: the folder itself when there is none (a local landing, or a session of a
    moodcast before that file)."""
    try:
        noted = (folder / LANDING_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        noted = ""
    return noted or str(folder)


def close_session(
    lock: warehouse.RunLock, landing: str, *, failed_at: datetime | None = None
) -> None:
    """Release a session lock and delete its file (released, it notes nothing), LANDING_FILE
    and LANDING_STAGED (left by a session killed while it wrote LANDING_FILE), then remove the
    empty folders under it: a session that finished or was recovered leaves nothing for the
    next session to examine again. While files are still under `landing` (a last load or a job
    that failed), the lock file keeps the session's note instead, as a killed
    session's does, so that the next start loads them (recover_killed_sessions); a session that
    failed at `failed_at` adds `status` `failed` and that time to it, which the next start
    records if the ledger still says `running` (the lock that stopped its last load also kept it
    from recording itself)."""
    if Landed.found(landing).paths:
        holder = lock.holder()
        if failed_at is not None and holder is not None and holder.run is not None:
            lock.note({**holder.run, "status": "failed", "finished_at": failed_at.isoformat()})
        lock.abandon()
        return
    if lock.stale is None:
        lock.path.unlink(missing_ok=True)
    for name in (LANDING_FILE, LANDING_STAGED):
        (lock.path.parent / name).unlink(missing_ok=True)
    lock.release()
    for root, _, _ in os.walk(lock.path.parent, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(root)
