import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from warehouse.errors import RunLocked, WarehouseError
from warehouse.lock import RunLock, lock_path

HOLD = textwrap.dedent(
    """
    import sys
    from warehouse.lock import RunLock
    lock = RunLock(sys.argv[1], command="moodcast run fixture-holder").acquire()
    print("ready", flush=True)
    sys.stdin.readline()
    lock.release()
    """
)


def _holder(data_dir) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_second_holder_in_another_process_is_told_who_holds_it(tmp_path):
    proc = _holder(tmp_path)
    try:
        with pytest.raises(RunLocked) as caught:
            RunLock(tmp_path).acquire()
        message = str(caught.value)
        assert f"pid {proc.pid}" in message
        assert "moodcast run fixture-holder" in message
        assert "Wait for it to finish" in message
        assert caught.value.holder is not None
        assert caught.value.holder.pid == proc.pid
        assert isinstance(caught.value, WarehouseError)
    finally:
        proc.communicate("done\n", timeout=30)
    with RunLock(tmp_path) as lock:
        assert lock.held


def test_a_killed_holder_never_blocks_the_next_run(tmp_path):
    proc = _holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    lock = RunLock(tmp_path, command="next run").acquire()
    try:
        assert lock.holder() is not None
        assert lock.holder().command == "next run"
    finally:
        lock.release()


def test_a_second_lock_in_the_same_process_is_refused(tmp_path):
    with RunLock(tmp_path, command="first"), pytest.raises(RunLocked, match="first"):
        RunLock(tmp_path).acquire()


def test_release_clears_the_holder_and_frees_the_lock(tmp_path):
    lock = RunLock(tmp_path).acquire()
    lock.release()
    lock.release()
    assert not lock.held
    assert lock.holder() is None
    with RunLock(tmp_path):
        pass


FORKS_WORKERS = textwrap.dedent(
    """
    import multiprocessing, sys, time
    from warehouse.lock import RunLock
    lock = RunLock(sys.argv[1], command="moodcast run with workers").acquire()
    lock.note({"run_id": "r-killed"})
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=time.sleep, args=(600,)) for _ in range(2)]
    for w in workers:
        w.start()
    print(" ".join(str(w.pid) for w in workers), flush=True)
    time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_forked_under_the_lock_never_hold_it_and_die_with_their_parent(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", FORKS_WORKERS, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    workers = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for _ in range(100):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"
    lock = RunLock(tmp_path).acquire()
    try:
        assert lock.stale is not None and lock.stale.run == {"run_id": "r-killed"}
        assert lock.stale.pid == proc.pid
    finally:
        lock.release()
    again = RunLock(tmp_path).acquire()
    assert again.stale is not None, "a stale holder stays until a writer has recorded it"
    again.stale = None
    again.release()
    assert RunLock(tmp_path).acquire().stale is None


def test_a_released_lock_leaves_no_stale_holder(tmp_path):
    with RunLock(tmp_path) as lock:
        lock.note({"run_id": "r1"})
    with RunLock(tmp_path) as lock:
        assert lock.stale is None


def _before_the_first_lock(monkeypatch, step) -> None:
    """Run `step` once, at the next `flock`, between a RunLock's opening of its file and its
    locking of it (where another process can act)."""
    flock = fcntl.flock

    def interleaved(fd, operation):
        monkeypatch.setattr(fcntl, "flock", flock)
        step()
        return flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", interleaved)


def test_a_lock_file_removed_and_replaced_before_it_is_locked_is_not_held(tmp_path, monkeypatch):
    """A run that opened the lock file, saw it removed (a stream session deleting its own) and a
    third process create and lock a new one, then locked the removed file: two holders."""
    RunLock(tmp_path).acquire().release()
    third = []

    def removed_and_replaced():
        lock_path(tmp_path).unlink()
        third.append(RunLock(tmp_path, command="the third run").acquire())

    _before_the_first_lock(monkeypatch, removed_and_replaced)
    try:
        with pytest.raises(RunLocked, match="the third run"):
            RunLock(tmp_path).acquire()
    finally:
        third[0].release()


def test_a_lock_file_removed_before_it_is_locked_is_taken_anew(tmp_path, monkeypatch):
    RunLock(tmp_path).acquire().release()
    _before_the_first_lock(monkeypatch, lock_path(tmp_path).unlink)
    with RunLock(tmp_path, command="first") as lock:
        assert lock.holder() is not None and lock.holder().command == "first"
        with pytest.raises(RunLocked, match="first"):
            RunLock(tmp_path).acquire()
