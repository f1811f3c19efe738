"""Worker errors whose message is hard to read back (ingest.worker_errors.worker_error): over
several lines, with indented lines, holding Beam's own words, a class-like prefix, its first
argument within its text, or a helper's chained traceback."""

import subprocess
import sys

from ingest.worker_errors import worker_error
from tests.ingest.worker_failures import ROOT, STEP, beam_step, run_failing, runner_failure
from transforms.errors import InputError, ModelError, WorkerError


def test_a_message_over_several_lines_is_read_whole():
    error = ModelError("the static head of marker sad needs its model folder\nstatic-0a1b: gone")
    found = worker_error(runner_failure(lambda: beam_step(error)))
    assert type(found) is ModelError and str(found) == str(error)


def _undecodable() -> UnicodeDecodeError:
    try:
        b"\xff".decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError("it decoded")


UNDECODABLE = "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0"


def test_an_error_whose_text_holds_its_first_argument_within_is_found_with_its_step():
    """Regression: Beam appends the step to an error's first argument, which a
    UnicodeDecodeError's text holds within its line (`'utf-8 [while running 'Step']' codec
    can't decode…`): only a step that ended a line was found, so from a remote runner it was
    the runner's failure (exit 1 and Beam's traceback; `moodcast stream` said to check the
    subscription), and in process its step was not named."""
    remote = worker_error(runner_failure(lambda: beam_step(_undecodable())))
    assert type(remote) is WorkerError
    assert f"step '{STEP}' of the Beam job failed on a worker with {UNDECODABLE}: " in str(remote)
    in_process = worker_error(run_failing(_undecodable()))
    assert type(in_process) is WorkerError
    assert f"step 'Fails' of the Beam job failed on a worker with {UNDECODABLE}: " in str(
        in_process
    )
    assert "[while running" not in str(remote) + str(in_process)


def test_a_message_holding_beams_words_names_the_step_that_failed():
    """Regression: in process the first ` [while running '…']` of the error's text was its step,
    so a message holding those words (a file name) named a step that never ran."""
    error = ValueError("cannot read /data/x [while running 'Elsewhere']\nof the posts")
    for found, step in [
        (worker_error(run_failing(error)), "Fails"),
        (worker_error(runner_failure(lambda: beam_step(error))), STEP),
    ]:
        assert type(found) is WorkerError
        assert str(found).startswith(f"step '{step}' of the Beam job failed on a worker with ")


def test_a_message_with_an_indented_line_is_read_whole():
    """Regression: the last line beginning with a space was taken for the traceback's last
    frame, so a remote InputError whose message lists files on indented lines (or a library's
    message so laid out) lost its class: a WorkerError `with ;`, exit 10 instead of 4."""
    error = InputError("these inputs are damaged:\n  a.jsonl\n  b.jsonl")
    found = worker_error(runner_failure(lambda: beam_step(error)))
    assert type(found) is InputError and str(found) == str(error)


def test_a_runtime_error_whose_message_looks_like_a_class_is_a_runtime_error():
    """Regression: `RuntimeError: Error: disk gone` was read as Beam's RuntimeError naming a class
    `Error`, so the worker's error was reported as `Error: disk gone`, its class lost."""
    found = worker_error(runner_failure(lambda: beam_step(RuntimeError("Error: disk gone"))))
    assert type(found) is WorkerError
    assert (
        f"step '{STEP}' of the Beam job failed on a worker with RuntimeError: Error: disk gone;"
        in (str(found))
    )


CHILD = """
from transforms.errors import ModelError
try:
    raise KeyError("static-0a1b")
except KeyError as exc:
    raise ModelError("the static head of marker sad needs its model folder") from exc
"""


def _helper_failed() -> RuntimeError:
    """What a step that runs a helper process raises when it fails: a RuntimeError whose message
    holds the helper's real traceback, a chain whose last line names a ModelError."""
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True)
    assert "The above exception was the direct cause of the following exception:" in done.stderr
    return RuntimeError(f"the helper exited with {done.returncode}:\n{done.stderr}")


def test_a_message_holding_a_chained_traceback_of_our_error_is_not_that_error():
    """Regression: a remote runner's text was read from its last `The above exception was the
    direct cause…` line, so a worker's RuntimeError whose message held a helper's traceback
    ending in a ModelError was reported as that ModelError (exit 6, the RuntimeError never
    shown), where the same error in process was a WorkerError naming the RuntimeError."""
    error = _helper_failed()
    named = "RuntimeError: the helper exited with 1:\nTraceback (most recent call last):"
    for found, step in [
        (worker_error(run_failing(error)), "Fails"),
        (worker_error(runner_failure(lambda: beam_step(error))), STEP),
    ]:
        assert type(found) is WorkerError, found
        assert f"step '{step}' of the Beam job failed on a worker with {named}" in str(found)
        assert "[while running" not in str(found)
