"""Beam options from the flags after `--`, which runners are remote, and what Beam logs of a
stop the user asked for and of a worker's error of moodcast's family (ingest.runner)."""

import logging
import traceback

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from ingest.runner import is_remote, pipeline_options, stops_unlogged, worker_errors_unlogged
from transforms.errors import ModelError


def test_runner_defaults_to_fnapi_and_beam_flags_pass_through():
    options = pipeline_options(["--runner=DataflowRunner", "--project=p", "--region=europe-west1"])
    assert options.get_all_options()["project"] == "p"
    assert pipeline_options([]).get_all_options()["runner"] == "FnApiRunner"
    assert (
        is_remote(["--runner=DataflowRunner"])
        and not is_remote([])
        and not is_remote(["--runner=DirectRunner"])
    )


class _StopsInSetup(beam.DoFn):
    def __init__(self, stop):
        self._stop = stop

    def setup(self):
        raise self._stop

    def process(self, element):
        yield element


def _run_stopping(stop):
    with BeamTestPipeline(runner="FnApiRunner") as p:
        p | beam.Create([1]) | beam.ParDo(_StopsInSetup(stop))


@pytest.mark.parametrize("stop", [SystemExit(143), KeyboardInterrupt()])
def test_a_stop_the_user_asked_for_is_not_logged_as_a_beam_error(stop, caplog):
    with pytest.raises((type(stop), RuntimeError)), stops_unlogged():
        _run_stopping(stop)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_other_errors_inside_a_dofn_are_still_logged(caplog):
    with pytest.raises(ValueError), stops_unlogged():
        _run_stopping(ValueError("bad"))
    assert any(r.levelno >= logging.ERROR for r in caplog.records)


def test_without_it_beam_logs_the_stop_with_its_traceback(caplog):
    with pytest.raises((SystemExit, RuntimeError)):
        _run_stopping(SystemExit(143))
    assert any(r.exc_info and isinstance(r.exc_info[1], SystemExit) for r in caplog.records)


def _job_message(*, raised_from_it: bool) -> str:
    """A remote job's error message: the worker's traceback of a ModelError, or of an OSError
    raised from one."""
    try:
        try:
            raise ModelError("the static head of marker sad needs its model folder")
        except ModelError as exc:
            if raised_from_it:
                raise OSError(28, "No space left on device") from exc
            raise
    except Exception as exc:
        return "Error received from SDK harness:\n" + "".join(traceback.format_exception(exc))


def test_a_job_message_holding_a_workers_model_error_is_not_logged(caplog):
    with worker_errors_unlogged():
        logging.error("%s", _job_message(raised_from_it=False))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_job_message_of_a_failure_raised_from_our_error_is_still_logged(caplog):
    """Regression: a worker's OSError raised from a ModelError was dropped from the log as if
    the run were to report the ModelError, so the failure that stopped the job was shown
    nowhere."""
    with worker_errors_unlogged():
        logging.error("%s", _job_message(raised_from_it=True))
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
