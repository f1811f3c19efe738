"""A stopping stream whose job fails late, or whose loads meet another run's lock, says so: a
job that failed before it was cancelled is recorded `failed`, however late the runner's thread
that shuts it down runs; and the drain does not count the posts left unpublished from a load
that did not run."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import apache_beam as beam
import pytest
from apache_beam.runners.direct import executor
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

import warehouse
from ingest.running_stream import RunnerFailed, RunningStream
from ingest.stream import WritePaneFn
from moodcast.cli import exit_code
from moodcast.stream import drain
from tests.moodcast import stream_files
from tests.moodcast.stream_stops import (
    PARSING,
    assert_published,
    broken_parse,
    stream_stopped_while_parsing,
    watching_once_stopped,
)
from transforms.errors import WorkerError
from warehouse import queries

pytestmark = pytest.mark.slow


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
    schedules the read again, and a pull made after it does not count as caught up. (The thread
    that shuts the job down waits for the job only once the stream stops; before, the test
    delayed Beam's private queue of updates.)"""
    monkeypatch.setattr(RunningStream, "_watch", watching_once_stopped)
    data_dir = tmp_path / "data"
    with pytest.raises(WorkerError, match="the parse step broke"):
        stream_stopped_while_parsing(emulator, data_dir, monkeypatch, parse=broken_parse)
    assert _runs(data_dir) == [("failed", 0)]


MONITOR_BROKE = threading.Event()
_fire_timers = executor._ExecutorServiceParallelExecutor._MonitorTask._fire_timers


def _monitor_broken_once_parsed(self):
    """The runner's monitor's step that fires timers, failing once after the job parsed."""
    if PARSING.is_set() and not MONITOR_BROKE.is_set():
        MONITOR_BROKE.set()
        raise RuntimeError("the runner's monitor broke")
    return _fire_timers(self)


def test_a_runner_failure_taken_once_the_stop_began_fails_the_stream(
    emulator, tmp_path, monkeypatch
):
    """Before, a failure the DirectRunner raises outside a step (its monitor dying, a stall it
    detects) reached the stream only when the thread that waits for the job took it, and was
    dropped once the stop had begun: here that thread waits for the job only once the stream
    stops (as on a loaded machine, late), and the run was recorded `ok`. Now it is recorded as
    the monitor reports it, and fails the stream. (Such a failure cannot be provoked without
    reaching into Beam: no input makes the monitor fail, so its own timer step, a private of
    Beam's, is made to fail once; the test's one such patch. Real timers cannot make it fail:
    a timer callback that raises fails inside its step, a step failure the other tests here
    cover, and the monitor's own firing only collects fired timers and schedules an empty
    bundle for each; nor can a real stall, since the Pub/Sub read is scheduled again after
    every pull.) It is told as the runner's
    failure, exit 1: before, an InputError (exit 4) advising to check --subscription."""
    monkeypatch.setattr(RunningStream, "_watch", watching_once_stopped)
    monkeypatch.setattr(
        executor._ExecutorServiceParallelExecutor._MonitorTask,
        "_fire_timers",
        _monitor_broken_once_parsed,
    )
    MONITOR_BROKE.clear()
    data_dir = tmp_path / "data"
    failed = "outside any step: RuntimeError: the runner's monitor broke"
    with pytest.raises(RunnerFailed, match=failed) as err:
        stream_stopped_while_parsing(emulator, data_dir, monkeypatch, name="monitor")
    assert MONITOR_BROKE.is_set()
    assert exit_code(err.value) == 1, "the runner's failure, not the subscription's (exit 4)"
    assert [status for status, _ in _runs(data_dir)] == ["failed"]


PANE_LANDED = threading.Event()
_write_pane = WritePaneFn.process


def _pane_published_then_broken(self, pane):
    """WritePaneFn.process, failing on each try; on the first, only once the loader has
    published the pane it wrote (the file is deleted once loaded), and a second later."""
    if PANE_LANDED.is_set():
        raise RuntimeError("the pane step broke")
    PANE_LANDED.set()
    (path,) = _write_pane(self, pane)
    deadline = time.monotonic() + 120
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    raise RuntimeError("the pane step broke")


def test_a_job_failing_after_the_drain_caught_up_fails_the_stream(emulator, tmp_path, monkeypatch):
    """Before, a failure the job reported after the drain had found it caught up was discarded
    once the stop began: here the pane step fails after its pane was published (nothing read
    is left unpublished), while the stream cancels the job, and the run was recorded `ok`. Now
    every step failure the runner reports until the cancel returns fails the stream (the
    cancel waits for the step in flight and does not make it fail)."""
    monkeypatch.setattr(WritePaneFn, "process", _pane_published_then_broken)
    PANE_LANDED.clear()
    data_dir, now = tmp_path / "data", datetime.now(UTC)
    with pytest.raises(WorkerError, match="the pane step broke"):
        stream_stopped_while_parsing(
            emulator, data_dir, monkeypatch, now=now, early_every=timedelta(seconds=3)
        )
    assert PANE_LANDED.is_set()
    assert_published(data_dir, now.date(), [("failed", 1)])


RELEASED_AFTER_S = 8
"""How long after the job parses the post the batch run holds the data directory's lock."""


def test_a_drain_that_meets_a_batch_runs_lock_loads_again_and_publishes_the_post(
    emulator, tmp_path, monkeypatch
):
    """Before, a drain whose load met a batch run's lock counted the posts left unpublished
    from the last load that had run (here none: zero), ended at once and cancelled the job
    before the post's pane fired; the last load then recorded the post read and valid, `ok`,
    and no day held it. Now the drain loads again until a load runs, and waits for the pane."""
    data_dir, now = tmp_path / "data", datetime.now(UTC)
    data_dir.mkdir()
    batch_run = warehouse.RunLock(data_dir, command="moodcast run (a batch run)").acquire()

    def release_later() -> None:
        PARSING.wait(timeout=240)
        time.sleep(RELEASED_AFTER_S)
        batch_run.release()

    releaser = threading.Thread(target=release_later, daemon=True)
    releaser.start()
    try:
        summary = stream_stopped_while_parsing(
            emulator,
            data_dir,
            monkeypatch,
            now=now,
            early_every=timedelta(seconds=5),
            name="locked",
        )
    finally:
        releaser.join()
    assert (summary.counts["read"], summary.counts["valid"]) == (1, 1)
    assert_published(data_dir, now.date(), [("ok", 1)])


def test_a_drain_ended_under_another_runs_lock_says_its_count_is_not_known(tmp_path, caplog):
    """Before, a drain whose every load met another run's lock counted nothing read (no load
    had run) and ended without a word, though the job had written the counts of 3 posts. Now it
    says that the posts read since the last load that ran are not counted, and where what the
    last load cannot publish waits for the next `moodcast stream`."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3)
    pipeline = beam.Pipeline(runner=FnApiRunner())
    _ = pipeline | beam.Create([1])
    running = RunningStream(pipeline.run())
    with (
        warehouse.RunLock(tmp_path, command="moodcast run (a batch run)"),
        caplog.at_level(logging.WARNING, logger="moodcast.stream"),
    ):
        drain(
            session,
            running,
            load_every=timedelta(seconds=0.1),
            timeout=timedelta(seconds=0.5),
        )
    running.stop()
    (said,) = [r.getMessage() for r in caplog.records if "drain ended" in r.getMessage()]
    assert "another run held the data directory's lock" in said
    assert "not counted" in said
    assert f"stays in {session.landing} for the next `moodcast stream`" in said
