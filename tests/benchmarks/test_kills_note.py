"""`benchmarks.kills.wait_for_note`: a run has noted itself in the lock file once the holder's
`run` is set (RunLock.note), not as soon as the lock is taken."""

from __future__ import annotations

import subprocess

from benchmarks.kills import wait_for_note
from warehouse.lock import RunLock


def test_a_lock_taken_but_not_yet_noted_is_no_noted_run(tmp_path):
    """Regression (tests/reliability/test_kills.py, SIGTERM): waiting for `"run"` in the lock
    file's text returned as soon as the lock was taken, whose holder reads `"run": null`."""
    with RunLock(tmp_path) as lock:
        assert '"run": null' in lock.path.read_text()
        ended = subprocess.Popen(["true"])
        ended.wait()
        assert wait_for_note(tmp_path, ended) is None
        lock.note({"run_id": "r1"})
        with subprocess.Popen(["sleep", "600"]) as running:
            assert wait_for_note(tmp_path, running) is not None
            running.kill()
