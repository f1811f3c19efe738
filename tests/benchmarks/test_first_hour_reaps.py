"""benchmarks/first_hour.py stops a demo that never answers and waits for it: it sent SIGINT
and raised at once, leaving the demo (which may take a while to stop) running beside the
benchmark's next side and its temporary directory being deleted."""

from __future__ import annotations

import os

import pytest

from benchmarks import first_hour

SLOW_TO_STOP = """
import os, signal, sys, time

def cli():
    def stop(*_):
        time.sleep(5)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    with open("demo.pid", "w") as out:
        out.write(str(os.getpid()))
    time.sleep(600)
"""


def test_a_demo_that_never_answers_is_stopped_and_waited_for(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "moodcast").mkdir(parents=True)
    (tree / "moodcast" / "__init__.py").write_text("")
    (tree / "moodcast" / "cli.py").write_text(SLOW_TO_STOP)
    monkeypatch.setattr(first_hour, "TIMEOUT_S", 2)
    with pytest.raises(RuntimeError, match="no answer in 2 s"):
        first_hour.demo(tree, tmp_path / "side", posts=10)
    pid = int((tree / "demo.pid").read_text())
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
