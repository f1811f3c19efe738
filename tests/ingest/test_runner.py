"""Beam options from the flags after `--`, which runners are remote, and what is logged of a
remote job's messages (ingest.runner); what Beam logs of a step's error in this process:
tests/ingest/test_in_process_worker_errors.py."""

import logging
import traceback

from ingest.runner import is_remote, pipeline_options, worker_errors_unlogged
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


def _job_message(error: Exception) -> str:
    """A remote job's error message: the worker's traceback of `error` as Beam re-raised it in
    step `Tag` (the same kind with the step appended, raised while handling it)."""
    try:
        try:
            raise error
        except Exception as exc:
            raise type(exc)(f"{exc.args[0]} [while running 'Tag']") from None
    except Exception as exc:
        return "Error received from SDK harness:\n" + "".join(traceback.format_exception(exc))


def test_a_job_message_holding_a_workers_error_is_not_logged(caplog):
    with worker_errors_unlogged():
        logging.error("%s", _job_message(ModelError("the static head of marker sad")))
        logging.error("%s", _job_message(ValueError("a bug")))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_other_records_are_still_logged(caplog):
    with worker_errors_unlogged():
        logging.error("Job service unreachable: connection refused")
    assert "connection refused" in caplog.text
