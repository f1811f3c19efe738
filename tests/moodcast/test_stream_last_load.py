"""A stopping stream's last load waits for a batch run that holds the data directory's lock,
instead of leaving its last files unpublished."""

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

import warehouse
from moodcast.config import load_settings
from moodcast.stream import load_landing, publish_last
from moodcast.stream_landing import Session, session_lock
from moodcast.stream_recovery import recover_killed_sessions
from tests.moodcast import stream_files
from warehouse import queries


def _statuses(data_dir) -> list[str]:
    con = warehouse.open_published(data_dir)
    try:
        return queries.runs(con)["status"].to_list()
    finally:
        con.close()


def test_the_last_load_waits_for_the_lock_and_records_the_run_ok(tmp_path):
    session = stream_files.session(tmp_path)
    lock = warehouse.RunLock(tmp_path, command="moodcast run (a batch run)").acquire()
    threading.Timer(1.0, lock.release).start()
    publish_last(session, wait=timedelta(seconds=60), every=0.1)
    assert _statuses(tmp_path) == ["ok"]


def test_a_lock_held_past_the_wait_is_an_error_naming_the_kept_files(tmp_path):
    session = stream_files.session(tmp_path)
    with (
        warehouse.RunLock(tmp_path, command="moodcast run (a batch run)"),
        pytest.raises(warehouse.RunLocked, match=r"kept in .*stream-test"),
    ):
        publish_last(session, wait=timedelta(seconds=0.3), every=0.1)
    assert not warehouse.published_path(tmp_path).exists()


def test_files_kept_after_a_failed_last_load_are_loaded_by_the_next_start_as_failed(tmp_path):
    """A stopping stream whose last load failed kept its files but deleted its session lock,
    so no later start found them: their posts never reached the warehouse. Once found, its run
    was recorded `killed` (the lock that stopped the load also kept it from recording itself
    `failed`), though it had stopped on its own."""
    session = stream_files.stopped_after_a_failed_last_load(tmp_path, read=4)
    recovering = datetime.now(UTC)

    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == ["stream-test"]
    (row,) = _run_rows(tmp_path)
    assert (row["status"], row["read"]) == ("failed", 4)
    assert session.started_at < row["finished_at"] < recovering
    assert not (tmp_path / "stream" / "stream-test").exists()


def test_a_recovered_session_is_reported_with_the_status_recorded(tmp_path):
    """Recovery said every session it loaded "was killed without stopping ... recorded it as
    killed", and `--recover` counted them as "killed outright", a session that stopped on its
    own after a failed last load (recorded `failed`) included."""
    from click.testing import CliRunner

    from moodcast.cli import main

    stream_files.stopped_after_a_failed_last_load(tmp_path, read=4)
    result = CliRunner().invoke(main, ["stream", "--recover", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (said,) = [line for line in result.stderr.splitlines() if "stream-test" in line]
    assert "recorded it failed" in said
    assert "recovered 1 stream session(s)" in result.stderr
    assert "killed" not in result.stderr
    assert [row["status"] for row in _run_rows(tmp_path)] == ["failed"]


def _kill_a_session_after(tmp_path, steps: str, said: str) -> None:
    """In a child process, a stream session `stream-dead` of the data directory `tmp_path`
    takes its session lock, runs `steps` (Python with `session` and `landing` defined), prints
    `said`, and is then killed outright (SIGKILL)."""
    script = (
        "import sys, time\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from moodcast.config import load_settings\n"
        "from moodcast.stream_landing import Session, session_lock\n"
        "data = Path(sys.argv[1])\n"
        "landing = data / 'stream' / 'stream-dead'\n"
        "landing.mkdir(parents=True)\n"
        "session = Session(load_settings(data), 'stream-dead', datetime.now(UTC), str(landing), {})\n"
        "lock = session_lock(session)\n"
        f"{steps}"
        f"print({said!r}, flush=True)\n"
        "time.sleep(600)\n"
    )
    dead = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert dead.stdout.readline().strip() == said
    finally:
        dead.kill()
        dead.wait()


def test_a_stream_killed_outright_is_recorded_killed_by_the_next_session(tmp_path):
    """Its ledger row used to stay `running` for ever (the Overview and Data health showed it
    as still running): a stream session holds the data directory's lock only while it loads."""
    _kill_a_session_after(
        tmp_path, "from moodcast.stream import load_landing\nload_landing(session)\n", "loaded"
    )
    live = stream_files.session(tmp_path)
    held = session_lock(live)
    try:
        load_landing(live)
        assert sorted(_statuses(tmp_path)) == ["running", "running"]
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
            "stream-dead"
        ]
        runs = _runs(tmp_path)
        assert runs == {"stream-dead": "killed", "stream-test": "running"}
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []
    finally:
        held.release()
    publish_last(live, wait=timedelta(seconds=5), every=0.1)
    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == []
    assert _runs(tmp_path) == {"stream-dead": "killed", "stream-test": "ok"}


def _run_rows(data_dir) -> list[dict]:
    con = warehouse.open_published(data_dir)
    try:
        return list(queries.runs(con).iter_rows(named=True))
    finally:
        con.close()


def _runs(data_dir) -> dict[str, str]:
    return {row["run_id"]: row["status"] for row in _run_rows(data_dir)}


def test_recover_loads_what_a_killed_session_wrote_once_and_exits(tmp_path):
    """`moodcast stream --recover`: without starting a job (no subscription), the counts a
    session killed outright had written and not loaded reach its ledger row, once."""
    import json

    from click.testing import CliRunner

    from moodcast.cli import main

    _kill_a_session_after(
        tmp_path,
        "from ingest.stream import WriteBundleCountsFn\n"
        "counts = WriteBundleCountsFn(str(landing))\n"
        "counts.start_bundle()\n"
        "counts.process((('read', ''), 7))\n"
        "counts.process((('dead_letter', 'invalid JSON'), 2))\n"
        "counts.finish_bundle()\n",
        "written",
    )
    assert list((tmp_path / "stream" / "stream-dead" / "counts").iterdir())

    def recover() -> list[dict]:
        result = CliRunner().invoke(
            main, ["stream", "--recover", "--data-dir", str(tmp_path), "--json"], obj={}
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.splitlines()[-1])["recovered"]

    assert [session["run_id"] for session in recover()] == ["stream-dead"]
    assert recover() == []
    (row,) = _run_rows(tmp_path)
    assert (row["run_id"], row["status"], row["read"], row["dead_lettered"]) == (
        "stream-dead",
        "killed",
        7,
        2,
    )
    assert not (tmp_path / "stream" / "stream-dead").exists()


def test_a_recovered_session_keeps_the_time_zone_version_and_day_it_ran_under(tmp_path):
    """Recovery recorded a killed session with the recovering process's time zone, moodcast
    version and today as its `as_of`, not those its session lock noted."""
    import json
    from dataclasses import replace
    from datetime import date

    from warehouse.lock import LOCK_NAME

    landing = tmp_path / "stream" / "stream-dead"
    landing.mkdir(parents=True)
    settings = load_settings(tmp_path, tz="Europe/Madrid")
    dead = Session(settings, "stream-dead", datetime(2025, 3, 1, tzinfo=UTC), str(landing), {})
    ran = replace(dead.record("running"), as_of=date(2025, 3, 1), package_version="0.1.dead")
    holder = {"pid": 1, "host": "h", "command": "moodcast stream", "started_at": "2025-03-01"}
    (landing / LOCK_NAME).write_text(json.dumps({**holder, "run": ran.as_note()}))
    assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path, tz="UTC"))] == [
        "stream-dead"
    ]
    (row,) = _run_rows(tmp_path)
    assert (row["status"], row["tz"], row["package_version"], row["as_of"]) == (
        "killed",
        "Europe/Madrid",
        "0.1.dead",
        date(2025, 3, 1),
    )
