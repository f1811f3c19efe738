import json
import subprocess
import sys
import textwrap

import pytest

from tests.warehouse.conftest import D1, D2, cell, publish, run_record
from warehouse.errors import NoWarehouse, RunLocked, WarehouseError
from warehouse.load import load_daily
from warehouse.lock import RunLock
from warehouse.store import (
    open_published,
    published_cursor,
    published_path,
    published_version,
    writing,
)


def _count(con) -> int:
    return con.sql("SELECT count(*) FROM daily_aggregates").fetchall()[0][0]


def test_open_published_without_a_warehouse_says_to_run_first(tmp_path):
    assert published_version(tmp_path) is None
    with pytest.raises(NoWarehouse, match="moodcast run"):
        open_published(tmp_path)


def test_writing_publishes_a_fresh_warehouse_and_leaves_nothing_behind(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moodcast.duckdb", "moodcast.lock"]
    con = open_published(tmp_path)
    assert _count(con) == 1
    with pytest.raises(Exception, match="read-only"):
        con.execute("DELETE FROM published.main.daily_aggregates")


def test_a_crash_inside_writing_leaves_the_published_file_intact(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    before = published_path(tmp_path).read_bytes()
    version = published_version(tmp_path)
    with pytest.raises(RuntimeError, match="boom"), writing(tmp_path) as con:
        load_daily(con, make_daily(cell(D1, n_marked=1), cell(D2)), days=[D1, D2])
        raise RuntimeError("boom")
    assert published_path(tmp_path).read_bytes() == before
    assert published_version(tmp_path) == version
    assert not (tmp_path / "moodcast.duckdb.next").exists()
    with writing(tmp_path) as con:
        assert _count(con) == 1


def test_leftovers_of_a_killed_writer_are_discarded(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    (tmp_path / "moodcast.duckdb.next").write_bytes(b"half a file")
    (tmp_path / "moodcast.duckdb.next.wal").write_bytes(b"stale log")
    with writing(tmp_path) as con:
        load_daily(con, make_daily(cell(D2)), days=[D2])
    assert _count(open_published(tmp_path)) == 2
    assert not (tmp_path / "moodcast.duckdb.next.wal").exists()


def test_writing_while_another_run_holds_the_lock_is_refused(tmp_path):
    with (
        RunLock(tmp_path, command="other run"),
        pytest.raises(RunLocked, match="other run"),
        writing(tmp_path),
    ):
        pass
    assert published_version(tmp_path) is None


def test_writing_under_a_lock_the_caller_holds_keeps_it_held(tmp_path, make_daily):
    with RunLock(tmp_path) as lock:
        with writing(tmp_path, lock=lock) as con:
            load_daily(con, make_daily(cell(D1)), days=[D1])
        assert lock.held
    with pytest.raises(WarehouseError, match="acquire it first"), writing(tmp_path, lock=lock):
        pass


def test_a_reader_keeps_its_version_while_a_run_publishes_and_reopening_sees_the_new(
    tmp_path, make_daily
):
    publish(tmp_path, make_daily(cell(D1)))
    reader = open_published(tmp_path)
    opened = published_version(tmp_path)
    with writing(tmp_path) as con:
        load_daily(con, make_daily(cell(D2)), days=[D2])
        assert _count(reader) == 1
    assert _count(reader) == 1
    assert published_version(tmp_path) != opened
    assert _count(open_published(tmp_path)) == 2
    assert _count(reader.cursor()) == 1


READER = textwrap.dedent(
    """
    import sys
    from warehouse.store import open_published
    count = "SELECT count(*) FROM daily_aggregates"
    con = open_published(sys.argv[1])
    print(con.sql(count).fetchall()[0][0], flush=True)
    sys.stdin.readline()
    print(con.sql(count).fetchall()[0][0], flush=True)
    print(open_published(sys.argv[1]).sql(count).fetchall()[0][0], flush=True)
    """
)


def test_a_reader_in_another_process_never_blocks_a_run(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"
        with writing(tmp_path) as con:
            load_daily(con, make_daily(cell(D2)), days=[D2])
        out, _ = proc.communicate("go\n", timeout=60)
    finally:
        proc.kill()
    assert out.split() == ["1", "2"]


def _left_by_a_killed_run(data_dir, record) -> None:
    """The lock file as a run killed outright leaves it: its holder and run note, unlocked."""
    holder = {"pid": 1, "host": "h", "command": "moodcast run", "started_at": "2025-03-04"}
    (data_dir / "moodcast.lock").write_text(json.dumps({**holder, "run": record.as_note()}))


def test_the_next_writer_records_a_run_killed_outright_once(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    _left_by_a_killed_run(tmp_path, run_record("r-dead", hour=5, status="failed"))
    with writing(tmp_path):
        pass
    with writing(tmp_path):
        pass
    rows = open_published(tmp_path).sql("SELECT run_id, status FROM runs ORDER BY 1").fetchall()
    assert rows == [("r-dead", "killed"), ("r1", "ok")]


def test_a_killed_note_never_overwrites_what_the_run_recorded_itself(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    _left_by_a_killed_run(tmp_path, run_record("r1"))
    with writing(tmp_path):
        pass
    rows = open_published(tmp_path).sql("SELECT run_id, status FROM runs").fetchall()
    assert rows == [("r1", "ok")]


def test_a_killed_note_survives_a_writer_that_fails_before_recording_it(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1)))
    _left_by_a_killed_run(tmp_path, run_record("r-dead", hour=5))
    with pytest.raises(RuntimeError), writing(tmp_path):
        raise RuntimeError("boom")
    with writing(tmp_path):
        pass
    rows = open_published(tmp_path).sql("SELECT run_id, status FROM runs ORDER BY 1").fetchall()
    assert rows == [("r-dead", "killed"), ("r1", "ok")]
    assert RunLock(tmp_path).acquire().stale is None


def test_a_slow_query_draws_no_progress_bar_on_stdout(tmp_path, make_daily, capfd):
    """Regression: DuckDB drew its progress bar on stdout (fd 1) for a query that ran over
    progress_bar_time (2 s), so `moodcast stream --json` under load printed '\\r 29% ▕██…'
    before its JSON (test_stream_e2e failed to parse it). Warehouse connections never draw it;
    here every query is 'slow' (progress_bar_time 0)."""
    publish(tmp_path, make_daily(cell(D1)))
    slow = "SELECT count(*) FROM range(1000000) AS t(i) WHERE i % 7 = 3"
    capfd.readouterr()
    with writing(tmp_path) as con:
        con.execute("SET progress_bar_time = 0")
        assert con.sql(slow).fetchall() == [(142857,)]
    con = open_published(tmp_path)
    try:
        for reader in (con, published_cursor(con)):
            reader.execute("SET progress_bar_time = 0")
            assert reader.sql(slow).fetchall() == [(142857,)]
    finally:
        con.close()
    assert capfd.readouterr().out == ""
