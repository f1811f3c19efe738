import os
import signal
import subprocess
import sys
import textwrap

import pytest

from warehouse.errors import RunLocked, WarehouseError
from warehouse.lock import RunLock

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
