"""A stream session and the files its job writes, made without a job: the setup the stream
loader's tests share (the session, its counts and pane files)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

import warehouse
from ingest.stream import Pane, WriteBundleCountsFn, WritePaneFn
from moodcast.config import load_settings
from moodcast.stream import load_landing, publish_last
from moodcast.stream_landing import Session, close_session, session_lock
from transforms.contracts import DAILY_SCHEMA

DAY = date(2025, 3, 1)
"""The day of the panes `write_pane` writes unless told."""


def session(data_dir: Path, run_id: str = "stream-test") -> Session:
    """A session `run_id` of `data_dir` started now, landing in `<data dir>/stream/<run id>`
    (created)."""
    landing = data_dir / "stream" / run_id
    landing.mkdir(parents=True)
    return Session(load_settings(data_dir), run_id, datetime.now(UTC), str(landing), {})


def write_counts(landing: Path | str, **counts: int) -> None:
    """One bundle's counts file under `landing`: `n` posts of each category (`read=3`, the
    reason empty), as the job's WriteBundleCountsFn writes it."""
    writer = WriteBundleCountsFn(str(landing))
    writer.start_bundle()
    for category, n in counts.items():
        writer.process(((category, ""), n))
    writer.finish_bundle()


def write_pane(landing: Path | str, *, index: int = 0, posts: int = 3, day: date = DAY) -> Path:
    """An early pane file of `day` under `landing` holding `posts` posts (one cell, of the run
    named as `landing`'s folder), as the job's WritePaneFn writes it."""
    landing = Path(landing)
    row = daily_row(day, posts=posts, run_id=landing.name)
    table = pl.DataFrame([row], schema=DAILY_SCHEMA).to_arrow()
    fired = datetime(2025, 3, 1, 12, index, tzinfo=UTC)
    (path,) = WritePaneFn(str(landing)).process(Pane(day, index, "early", fired, table, posts))
    return Path(path)


def daily_row(day: date, *, posts: int, run_id: str) -> dict:
    """One Daily aggregate row of `day` (north, en, sadness) holding `posts` posts, one of them
    marked, of run `run_id`."""
    return {
        "day": day,
        "region": "north",
        "lang": "en",
        "marker": "sadness",
        "marker_version": "1",
        "n_posts": posts,
        "n_scored": posts,
        "n_marked": 1,
        "n_authors": posts,
        "n_marked_authors": 1,
        "sample_rate": 1.0,
        "run_id": run_id,
    }


def file_run(
    data_dir: Path, *, posts: int = 40, run_id: str = "run-batch", day: date = DAY
) -> None:
    """A file run's load of `day` into `data_dir`'s warehouse: one cell of `posts` posts."""
    row = daily_row(day, posts=posts, run_id=run_id)
    with warehouse.writing(data_dir) as con:
        warehouse.load_daily(con, pl.DataFrame([row], schema=DAILY_SCHEMA), days=[day])


def killed_after_a_load(data_dir: Path, *, read: int, posts: int, run_id: str) -> Session:
    """Session `run_id` of `data_dir`, its session lock taken, that counted `read` posts (all
    valid) and loaded one pane of `posts` posts, then was killed (its lock abandoned, noting
    it), leaving its folder for recovery."""
    killed = session(data_dir, run_id)
    alive = session_lock(killed)
    write_counts(killed.landing, read=read, valid=read)
    write_pane(killed.landing, posts=posts)
    assert load_landing(killed)
    alive.abandon()
    return killed


def stopped_after_a_failed_last_load(
    data_dir: Path, *, posts: int | None = None, **counts: int
) -> Session:
    """A session `stream-test` of `data_dir` that wrote a counts file (`counts`, as
    write_counts) and, given `posts`, a pane of DAY holding that many, then stopped while a
    batch run held the data directory's lock: its last load failed, its files kept, its note
    saying `failed`."""
    stopped = session(data_dir)
    alive = session_lock(stopped)
    write_counts(stopped.landing, **counts)
    if posts is not None:
        write_pane(stopped.landing, posts=posts)
    with warehouse.RunLock(data_dir, command="moodcast run (a batch run)"):
        try:
            publish_last(stopped, wait=timedelta(seconds=0.3), every=0.1)
        except warehouse.RunLocked:
            pass
        else:
            raise AssertionError("the last load ran while a batch run held the lock")
    close_session(alive, stopped.landing, failed_at=stopped.failed_at)
    return stopped
