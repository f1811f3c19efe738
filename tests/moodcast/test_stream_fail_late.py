"""A stopping stream whose job fails late says so: a job that failed is recorded `failed`,
however late the runner's thread that shuts it down runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from apache_beam.runners.direct import executor

import warehouse
from tests.moodcast import test_stream_e2e as e2e
from tests.moodcast.stream_stops import broken_parse, stream_stopped_while_parsing
from transforms.errors import WorkerError
from warehouse import queries

pytestmark = pytest.mark.slow
emulator = e2e.emulator

SHUTDOWN_LATE_S = 3
"""How late the thread that takes the runner's report of a failure and shuts the job down
(Beam's `await_completion`, in RunningStream's watcher) runs, as on a loaded machine."""


def _runs(data_dir) -> list[tuple]:
    con = warehouse.open_published(data_dir)
    try:
        return queries.runs(con).select("status", "read").rows()
    finally:
        con.close()


def test_a_job_failing_as_the_stream_stops_fails_it_on_a_loaded_machine(
    emulator, tmp_path, monkeypatch
):
    """Before, the drain told a job that failed on its last bundle from one that caught up by
    the runner shutting the failed job down during the stand-in's first pull (IDLE_PULL): when
    the thread that shuts it down ran later than that, as on a loaded machine, the runner pulled
    again, the drain took the job as caught up, cancelled it and discarded its failure, and the
    run was recorded `ok`. Now the failure is recorded as the runner reports it, before it
    schedules the read again, and a pull made after it does not count as caught up."""
    updates = executor._ExecutorServiceParallelExecutor._TypedUpdateQueue
    take = updates.take

    def taken_late(self):
        update = take(self)
        time.sleep(SHUTDOWN_LATE_S)
        return update

    monkeypatch.setattr(updates, "take", taken_late)
    data_dir = tmp_path / "data"
    with pytest.raises(WorkerError, match="the parse step broke"):
        stream_stopped_while_parsing(
            emulator, data_dir, monkeypatch, broken_parse, datetime.now(UTC)
        )
    assert _runs(data_dir) == [("failed", 0)]
