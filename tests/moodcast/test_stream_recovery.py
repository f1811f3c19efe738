"""Recovery of stream sessions killed outright: a file that cannot be loaded is set aside
instead of blocking every start, finished and recovered sessions leave no folder behind, and
a pane loaded before a crash does not count its day twice."""

import fcntl
import json
import logging
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

import warehouse
from moodcast import stream_landing
from moodcast.config import load_settings
from moodcast.stream import load_landing
from moodcast.stream_landing import Session, close_session
from moodcast.stream_landing import session_lock as take_session_lock
from moodcast.stream_recovery import ended_session_lock, recover_killed_sessions
from tests.moodcast.stream_files import DAY, write_counts, write_pane
from transforms.contracts import DEAD_LETTER_SCHEMA
from warehouse import queries
from warehouse.lock import LOCK_NAME


def _killed_session(data_dir: Path, run_id: str) -> Path:
    """A session folder as a session killed outright leaves it: its lock file noting its run
    and landing location, no process holding it."""
    landing = data_dir / "stream" / run_id
    landing.mkdir(parents=True)
    session = Session(load_settings(data_dir), run_id, datetime(2025, 3, 1, tzinfo=UTC), "", {})
    holder = {"pid": 1, "host": "h", "command": "moodcast stream", "started_at": "2025-03-01"}
    note = {**session.record("running").as_note(), "landing": str(landing)}
    (landing / LOCK_NAME).write_text(json.dumps({**holder, "run": note}))
    return landing


def _runs(data_dir: Path) -> dict[str, dict]:
    con = warehouse.open_published(data_dir)
    try:
        return {r["run_id"]: r for r in queries.runs(con).iter_rows(named=True)}
    finally:
        con.close()


@pytest.mark.parametrize("damage", ["cut short", "another schema", "breaks a constraint"])
def test_a_file_that_cannot_be_loaded_is_set_aside_and_the_others_recover(tmp_path, caplog, damage):
    """A killed session's pane file that could not be loaded failed every `moodcast stream`
    start and `--recover` with polars' or the contract's error, naming no file; one whose rows
    break a warehouse constraint (more marked than scored) still did after the first fix."""
    bad = _killed_session(tmp_path, "stream-bad")
    pane = write_pane(bad)
    if damage == "cut short":
        pane.write_bytes(pane.read_bytes()[:100])
    elif damage == "another schema":
        pl.DataFrame({"day": [DAY], "posts": [3]}).write_parquet(pane)
    else:
        pl.read_parquet(pane).with_columns(n_marked=pl.lit(99, pl.Int64)).write_parquet(pane)
    write_counts(bad, read=5)
    good = _killed_session(tmp_path, "stream-good")
    write_counts(good, read=7)

    with caplog.at_level(logging.ERROR, logger="moodcast.stream_recovery"):
        recovered = recover_killed_sessions(load_settings(tmp_path))

    assert [r.run_id for r in recovered] == ["stream-bad", "stream-good"]
    runs = _runs(tmp_path)
    assert {r: (v["status"], v["read"], v["days"]) for r, v in runs.items()} == {
        "stream-bad": ("killed", 5, 0),
        "stream-good": ("killed", 7, 0),
    }
    aside = bad / "unloadable"
    assert [p.relative_to(aside) for p in aside.rglob("*.parquet")] == [
        Path("panes", DAY.isoformat(), pane.name)
    ]
    assert not pane.exists()
    assert str(pane) in caplog.text and str(aside) in caplog.text
    assert not (bad / LOCK_NAME).exists()
    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []


def test_every_file_that_cannot_be_loaded_is_set_aside_and_the_rest_loaded(tmp_path, caplog):
    """The first file that could not be loaded set aside every file the session left, loading
    none of the others: a killed session lost its good panes and counts with one bad file."""
    landing = _killed_session(tmp_path, "stream-two-bad")
    cut = write_pane(landing, day=DAY)
    cut.write_bytes(cut.read_bytes()[:100])
    write_pane(landing, day=date(2025, 3, 2))
    write_counts(landing, read=5)
    other = landing / "counts" / "written-by-another-version.parquet"
    pl.DataFrame({"posts": [4]}).write_parquet(other)

    with caplog.at_level(logging.ERROR, logger="moodcast.stream_recovery"):
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
            "stream-two-bad"
        ]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"], row["days"]) == ("killed", 5, 1)
    aside = landing / "unloadable"
    assert sorted(p.relative_to(aside) for p in aside.rglob("*.parquet")) == [
        Path("counts", other.name),
        Path("panes", DAY.isoformat(), cut.name),
    ]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and str(cut) in errors[0] and str(other) in errors[1]
    assert not (landing / LOCK_NAME).exists()


def test_a_dead_letter_file_that_breaks_a_constraint_is_set_aside_and_the_rest_loaded(tmp_path):
    """A dead-letter file with no reason conforms to its contract but breaks the warehouse's
    NOT NULL: its LoadError failed every start, naming no file, and loaded none of the rest."""
    landing = _killed_session(tmp_path, "stream-no-reason")
    write_pane(landing)
    write_counts(landing, read=5)
    dead = landing / "dead" / "no-reason.parquet"
    dead.parent.mkdir()
    pl.DataFrame(
        [("pubsub:s", 1, None, "ab" * 32)], schema=DEAD_LETTER_SCHEMA, orient="row"
    ).write_parquet(dead)

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
        "stream-no-reason"
    ]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"], row["days"]) == ("killed", 5, 1)
    aside = landing / "unloadable"
    assert [p.relative_to(aside) for p in aside.rglob("*.parquet")] == [Path("dead", dead.name)]


def test_files_of_a_session_whose_note_is_lost_are_named_at_every_start(tmp_path, caplog):
    """A lock file that no longer notes its session's run (a start killed while recovering it
    had rewritten it with its own holder) left that session's files unloaded, silently, for
    ever: every start skipped them without a word."""
    landing = tmp_path / "stream" / "stream-no-note"
    landing.mkdir(parents=True)
    holder = {"pid": 2, "host": "h", "command": "moodcast stream", "started_at": "2025-03-01"}
    (landing / LOCK_NAME).write_text(json.dumps(holder))
    pane = write_pane(landing)

    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="moodcast.stream_recovery"):
            assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []
        (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert str(landing) in error and "delete that folder" in error
        assert "no row of run stream-no-note" in error and "before its first load" in error
    assert pane.exists()


def test_recovered_and_finished_sessions_leave_no_folder(tmp_path):
    """Every session left `stream/<run id>/moodcast.lock` behind, emptied, and every start
    locked each of them again: the folder list grew with every session."""
    write_counts(_killed_session(tmp_path, "stream-killed"), read=3)
    old = tmp_path / "stream" / "stream-finished-earlier"
    old.mkdir(parents=True)
    (old / LOCK_NAME).write_text("")
    os.utime(old / LOCK_NAME, (0, 0))
    landing = tmp_path / "stream" / "stream-finished"
    session = Session(load_settings(tmp_path), landing.name, datetime.now(UTC), str(landing), {})
    lock = take_session_lock(session)
    write_counts(landing, read=2)
    assert load_landing(session, last=True)
    close_session(lock, str(landing))

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == ["stream-killed"]

    assert list((tmp_path / "stream").iterdir()) == []
    runs = _runs(tmp_path)
    assert {r: (v["status"], v["read"]) for r, v in runs.items()} == {
        "stream-killed": ("killed", 3),
        "stream-finished": ("incomplete", 2),  # its 2 posts read are in no pane
    }


def test_a_pane_loaded_before_a_crash_counts_its_day_once(tmp_path):
    """A session killed between a load's publication and the deletion of its files left the
    pane behind; recovery upserted it again and the ledger's `days` counted the day twice."""
    landing = _killed_session(tmp_path, "stream-crash")
    note = json.loads((landing / LOCK_NAME).read_text())
    pane = write_pane(landing)
    kept = tmp_path / "kept.parquet"
    shutil.copyfile(pane, kept)
    settings = load_settings(tmp_path)
    session = Session(settings, "stream-crash", datetime(2025, 3, 1, tzinfo=UTC), str(landing), {})
    assert load_landing(session)
    assert not pane.exists()
    shutil.copyfile(kept, pane)
    (landing / LOCK_NAME).write_text(json.dumps(note))

    assert [r.run_id for r in recover_killed_sessions(settings)] == ["stream-crash"]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["days"]) == ("killed", 1)
    con = warehouse.open_published(tmp_path)
    try:
        daily = queries.current_daily(con)
    finally:
        con.close()
    assert daily.filter(pl.col("marker") == "sadness")["n_posts"].to_list() == [3]


def test_a_starting_sessions_lock_file_is_not_removed(tmp_path):
    """A session starting beside a recovery has created its lock file but not yet locked it;
    the recovery locked it, found it empty and deleted it, so the session then locked a file
    no longer in its folder: killed later, it was never recovered, its run `running` for ever."""
    folder = tmp_path / "stream" / "stream-starting"
    folder.mkdir(parents=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []

        assert os.path.samestat(os.fstat(fd), os.stat(folder / LOCK_NAME))
    finally:
        os.close(fd)


def test_a_recovery_beside_a_starting_session_does_not_refuse_it(tmp_path, monkeypatch):
    """A recovery that locked a starting session's lock file (created, still empty) at the
    moment the session locked it made the start fail with RunLocked."""
    landing = tmp_path / "stream" / "stream-starting"
    session = Session(load_settings(tmp_path), landing.name, datetime.now(UTC), str(landing), {})
    flock = fcntl.flock

    def a_recovery_in_between(fd, operation):
        monkeypatch.setattr(fcntl, "flock", flock)
        recovering = ended_session_lock(landing / LOCK_NAME)
        try:
            return flock(fd, operation)
        finally:
            if recovering is not None:
                recovering.release()

    monkeypatch.setattr(fcntl, "flock", a_recovery_in_between)
    lock = take_session_lock(session)
    try:
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []
        assert (landing / LOCK_NAME).exists()
    finally:
        close_session(lock, str(landing))


def test_reading_a_session_with_many_bad_files_reads_each_file_at_most_twice(tmp_path, monkeypatch):
    """Recovery set aside one file that could not be loaded per pass and read every file of
    the session again after each: quadratic in the bad files (the good pane read 5 times
    beside 4 files cut short)."""
    landing = _killed_session(tmp_path, "stream-many-bad")
    good = write_pane(landing, day=DAY)
    for day in range(2, 6):
        cut = write_pane(landing, day=date(2025, 3, day))
        cut.write_bytes(cut.read_bytes()[:100])
    write_counts(landing, read=5)
    reads: dict[str, int] = {}
    read = stream_landing.read_landing_file

    def counted(path):
        name = str(Path(path).relative_to(landing))
        reads[name] = reads.get(name, 0) + 1
        return read(path)

    monkeypatch.setattr(stream_landing, "read_landing_file", counted)

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
        "stream-many-bad"
    ]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"], row["days"]) == ("killed", 5, 1)
    assert len(list((landing / "unloadable").rglob("*.parquet"))) == 4
    assert len(reads) == 6 and reads[str(good.relative_to(landing))] == 2
    assert max(reads.values()) == 2


def test_a_session_whose_note_is_lost_is_loaded_as_the_run_its_ledger_row_records(tmp_path):
    """A lock file that no longer noted its session's run (a start killed while recovering it
    had written its own holder there) left the session's files unloaded for ever, with an
    error at every start, though the ledger row its first load wrote carries all a load needs."""
    landing = tmp_path / "stream" / "stream-lost-note"
    started = datetime(2025, 3, 1, 9, tzinfo=UTC)
    session = Session(
        load_settings(tmp_path), landing.name, started, str(landing), {"sadness": "1"}
    )
    lock = take_session_lock(session)
    write_pane(landing, index=0, posts=3)
    write_counts(landing, read=3)
    assert load_landing(session)
    write_pane(landing, index=1, posts=5)
    write_pane(landing, day=date(2025, 3, 2), posts=4)
    write_counts(landing, read=6)
    lock.abandon()
    holder = {"pid": 2, "host": "h", "command": "moodcast stream", "started_at": "2025-03-02"}
    (landing / LOCK_NAME).write_text(json.dumps(holder))

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
        "stream-lost-note"
    ]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"], row["days"], row["started_at"]) == (
        "killed",
        9,
        3,
        started,
    )
    assert json.loads(row["marker_versions"]) == {"sadness": "1"}
    con = warehouse.open_published(tmp_path)
    try:
        days = con.sql("SELECT day, n_posts FROM daily_aggregates ORDER BY day").fetchall()
    finally:
        con.close()
    assert days == [(DAY, 5), (date(2025, 3, 2), 4)]
    assert not landing.exists()


def test_a_remote_landing_session_whose_note_is_lost_is_loaded_from_its_landing(tmp_path):
    """Regression: a session's landing location was recorded only in its lock file's note; a
    remote runner's (`<temp_location>/moodcast-landing/<id>/<run id>`, here a local path as the
    portable runner's) was lost with the note, so the session's run was recorded from its
    ledger row but its files there were never found, loaded or deleted."""
    folder = tmp_path / "stream" / "stream-remote"
    landing = tmp_path / "beam-temp" / "moodcast-landing" / "0123456789abcdef" / folder.name
    started = datetime(2025, 3, 1, 9, tzinfo=UTC)
    session = Session(load_settings(tmp_path), folder.name, started, str(landing), {"sadness": "1"})
    lock = take_session_lock(session)
    write_pane(landing, index=0, posts=3)
    write_counts(landing, read=3)
    assert load_landing(session)
    write_pane(landing, index=1, posts=5)
    write_counts(landing, read=5)
    lock.abandon()
    holder = {"pid": 2, "host": "h", "command": "moodcast stream", "started_at": "2025-03-02"}
    (folder / LOCK_NAME).write_text(json.dumps(holder))

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == ["stream-remote"]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"], row["days"]) == ("killed", 8, 2)
    assert not list(landing.rglob("*.parquet"))
    assert not folder.exists()


@pytest.mark.parametrize("note", ["kept", "lost"])
def test_a_recovered_session_keeps_the_as_of_day_of_its_last_load(tmp_path, note):
    """Regression: a session's note holds the day it started as its `as_of`, its ledger row the
    day of its last load; recovered from its note, its run was recorded as of the day it
    started (over the later day its last load had recorded), and recovered from its ledger row
    (the note lost) as of its last load's day."""
    landing = _killed_session(tmp_path, "stream-overnight")
    written = json.loads((landing / LOCK_NAME).read_text())
    started = datetime.fromisoformat(written["run"]["started_at"])
    session = Session(load_settings(tmp_path), landing.name, started, str(landing), {})
    write_pane(landing, index=0)
    assert load_landing(session)
    (loaded,) = _runs(tmp_path).values()
    assert loaded["as_of"] > DAY
    write_pane(landing, index=1)
    held = {**written, "run": {**written["run"], "as_of": DAY.isoformat()}}
    (landing / LOCK_NAME).write_text(json.dumps(held if note == "kept" else {"pid": 2}))

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
        "stream-overnight"
    ]

    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["as_of"]) == ("killed", loaded["as_of"])


def test_a_session_killed_while_writing_its_landing_file_leaves_no_folder(tmp_path):
    """Regression: a session killed after writing its landing location under the temporary
    name and before renaming it left that file, so the folder of the session, recovered or not,
    was never removed (close_session removes only empty folders)."""
    folder = tmp_path / "stream" / "stream-starting"
    folder.mkdir(parents=True)
    holder = {"pid": 1, "host": "h", "command": "moodcast stream", "started_at": "2025-03-01"}
    (folder / LOCK_NAME).write_text(json.dumps(holder))
    (folder / ".landing.tmp").write_text(f"{folder}\n")

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []

    assert not folder.exists()


def test_a_session_that_ended_incomplete_keeps_its_status_when_recovered(tmp_path):
    """A session killed after its last load had recorded it `incomplete`, before it deleted
    that load's files, was recorded `killed` by the next start: recovery kept only `ok` and
    `failed`, the statuses a session recorded itself before `incomplete`."""
    landing = tmp_path / "stream" / "stream-ended"
    session = Session(load_settings(tmp_path), landing.name, datetime.now(UTC), str(landing), {})
    lock = take_session_lock(session)
    write_counts(landing, read=2)
    (counts,) = (landing / "counts").iterdir()
    kept = tmp_path / "kept.parquet"
    shutil.copyfile(counts, kept)
    assert load_landing(session, last=True)
    shutil.copyfile(kept, counts)
    lock.abandon()

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == ["stream-ended"]
    (row,) = _runs(tmp_path).values()
    assert (row["status"], row["read"]) == ("incomplete", 2)
