"""CPU seconds of this process, what the benchmarks compare: on a shared machine, wall time
measures the neighbours as much as the code."""

from __future__ import annotations

import time
from collections.abc import Callable


def least_cpu_s(run: Callable[[], object], *, repeats: int) -> float:
    """The least CPU seconds (`time.process_time`: this process, all its threads) of `repeats`
    calls of `run`."""
    spent = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        spent.append(time.process_time() - start)
    return min(spent)
