"""A stopping stream's last load waits for a batch run that holds the data directory's lock,
instead of leaving its last files unpublished."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

import warehouse
from moodcast.config import load_settings
from moodcast.stream import _Session, publish_last
from warehouse import queries


def _session(tmp_path) -> _Session:
    landing = tmp_path / "stream" / "stream-test"
    landing.mkdir(parents=True)
    settings = load_settings(tmp_path)
    return _Session(settings, "stream-test", datetime.now(UTC), str(landing), {})


def _statuses(data_dir) -> list[str]:
    con = warehouse.open_published(data_dir)
    try:
        return queries.runs(con)["status"].to_list()
    finally:
        con.close()


def test_the_last_load_waits_for_the_lock_and_records_the_run_ok(tmp_path):
    session = _session(tmp_path)
    lock = warehouse.RunLock(tmp_path, command="moodcast run (a batch run)").acquire()
    threading.Timer(1.0, lock.release).start()
    publish_last(session, wait=timedelta(seconds=60), every=0.1)
    assert _statuses(tmp_path) == ["ok"]


def test_a_lock_held_past_the_wait_is_an_error_naming_the_kept_files(tmp_path):
    session = _session(tmp_path)
    with (
        warehouse.RunLock(tmp_path, command="moodcast run (a batch run)"),
        pytest.raises(warehouse.RunLocked, match=r"kept in .*stream-test"),
    ):
        publish_last(session, wait=timedelta(seconds=0.3), every=0.1)
    assert not warehouse.published_path(tmp_path).exists()
