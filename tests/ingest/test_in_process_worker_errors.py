"""The error a step raised on a real in-process runner (FnApiRunner, and the streaming
DirectRunner that `moodcast stream` uses), read back by ingest.worker_errors.worker_error, and
what Beam logs of it (ingest.runner.worker_errors_unlogged)."""

import logging
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream

from ingest.runner import worker_errors_unlogged
from ingest.worker_errors import VERBOSE_HINT, worker_error
from tests.ingest.worker_failures import run_failing
from transforms.errors import ModelError, WorkerError, WorkerOSError


@pytest.mark.parametrize(
    ("error", "kind", "named"),
    [
        (PermissionError(13, "Permission denied", "/srv/models/x"), WorkerOSError,
         "PermissionError: [Errno 13] Permission denied: '/srv/models/x'"),
        (MemoryError(), WorkerError, "MemoryError; the worker ran out of memory"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("streaming", [False, True])
def test_an_in_process_runners_worker_error_is_one_error_and_beam_logs_no_traceback(
    error, kind, named, streaming, caplog
):
    """Regression: FnApiRunner raised Beam's RuntimeError (exit 1, a traceback) for a worker's
    OSError or MemoryError, after Beam had logged the traceback; the streaming DirectRunner
    logged it once per retry of the bundle (four times, twice each)."""
    with worker_errors_unlogged():
        failure = run_failing(error, streaming=streaming)
    found = worker_error(failure)
    assert type(found) is kind
    assert f"step 'Fails' of the Beam job failed on a worker with {named}" in str(found)
    assert _warnings(caplog) == (
        [f"{RETRY}{found}".removesuffix(VERBOSE_HINT)] if streaming else []
    )
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("streaming", [False, True])
def test_an_in_process_runner_reports_our_error_as_itself_without_the_step(streaming, caplog):
    error = ModelError("the static head of marker sad needs its model folder")
    with worker_errors_unlogged():
        failure = run_failing(error, streaming=streaming)
    found = worker_error(failure)
    assert type(found) is ModelError and str(found) == str(error)
    assert _warnings(caplog) == ([f"{RETRY}{error}"] if streaming else [])
    assert "Traceback" not in caplog.text


RETRY = "Beam retries a bundle (the job fails if every try does): "


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


class _FailsOnce(beam.DoFn):
    """Raises a full disk's OSError on its first element only (`flag` written when it does)."""

    def __init__(self, flag: Path):
        self._flag = flag

    def process(self, element):
        if not self._flag.exists():
            self._flag.touch()
            raise OSError(28, "No space left on device")
        yield element


def test_a_bundle_that_fails_once_on_the_streaming_runner_is_one_warning_line(tmp_path, caplog):
    """Regression: while a streaming job ran, every record of a failed bundle was dropped, so an
    error that a retry of the bundle got past (a disk full for a moment) was never told: the
    job went on and nothing was logged."""
    pipeline = beam.Pipeline(
        options=PipelineOptions(["--runner=BundleBasedDirectRunner", "--streaming"])
    )
    source = BeamTestStream().add_elements([1]).advance_watermark_to_infinity()
    _ = pipeline | source | "Fails" >> beam.ParDo(_FailsOnce(tmp_path / "failed"))
    with worker_errors_unlogged():
        pipeline.run().wait_until_finish()
    assert _warnings(caplog) == [
        f"{RETRY}step 'Fails' of the Beam job failed on a worker with OSError: [Errno 28] No "
        "space left on device; check the permissions and free space of that path on the workers"
    ]
    assert "Traceback" not in caplog.text


def test_without_it_the_streaming_runner_logs_the_traceback_once_per_retry(caplog):
    run_failing(ModelError("gone"), streaming=True)
    assert caplog.text.count("Traceback") >= 4


@pytest.mark.parametrize("stop", [SystemExit(143), KeyboardInterrupt()])
def test_a_stop_the_user_asked_for_inside_a_step_is_itself_and_not_logged(stop, caplog):
    with worker_errors_unlogged():
        failure = run_failing(stop)
    found = worker_error(failure)
    assert type(found) is type(stop) and found.args == stop.args
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
