"""A long step that prints nothing of its own (a run's Beam job: minutes on a loaded machine
between its first line and `ingest: done`) logs that it is still running."""

from __future__ import annotations

import logging
import threading

from moodcast.progress import heartbeat


class _Lines(logging.Handler):
    """Collects the messages it handles; `two` is set at the second."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.two = threading.Event()

    def emit(self, record):
        self.lines.append(record.getMessage())
        if len(self.lines) >= 2:
            self.two.set()


def test_a_step_logs_that_it_is_still_running_until_it_ends():
    log = logging.getLogger("tests.heartbeat")
    log.setLevel(logging.INFO)
    lines = _Lines()
    log.addHandler(lines)
    try:
        with heartbeat(log, "ingest", every_s=0.01):
            assert lines.two.wait(60), "no line while the step ran"
        assert all(line.startswith("ingest: still running, ") for line in lines.lines)
        assert lines.lines[0].endswith(" s so far")
        assert not any(t.name == "heartbeat ingest" for t in threading.enumerate())
    finally:
        log.removeHandler(lines)
