"""A line now and then while a long step prints nothing of its own (the Beam job of a run), so
whoever watches it sees it is still going."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HEARTBEAT_S = 60.0
"""Seconds between two lines of `heartbeat` in a run."""


@contextmanager
def heartbeat(log: logging.Logger, step: str, *, every_s: float = HEARTBEAT_S) -> Iterator[None]:
    """While the block runs, log at INFO `<step>: still running, N s so far` every `every_s`
    seconds, from a daemon thread that ends with the block (nothing is logged by a block
    shorter than `every_s`)."""
    done = threading.Event()
    started = time.perf_counter()

    def beat() -> None:
        while not done.wait(every_s):
            log.info("%s: still running, %.0f s so far", step, time.perf_counter() - started)

    thread = threading.Thread(target=beat, name=f"heartbeat {step}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
