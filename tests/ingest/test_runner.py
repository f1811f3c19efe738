"""Beam options from the flags after `--`, which runners are remote, and what Beam logs of a
stop the user asked for (ingest.runner)."""

import logging

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from ingest.runner import is_remote, pipeline_options, stops_unlogged


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
