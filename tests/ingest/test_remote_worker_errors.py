"""The error a step raised on a remote Beam worker, read back from the runner's failure text
(ingest.worker_errors.worker_error): its kind and message, the failure it was raised from, and
the classes imported by name to know its kind."""

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.worker_errors import PACKAGES, worker_error
from tests.ingest.worker_failures import ROOT, STEP, beam_step, runner_failure
from transforms.errors import InputError, ModelError, WorkerError, WorkerOSError


class PathsError(InputError):
    """An error of the family that Beam cannot rebuild with its step appended (a keyword-only
    argument), as ingest.file_checks.InputFileError."""

    def __init__(self, message: str, *, paths: list[str]):
        super().__init__(message)
        self.paths = paths


def _model_error_then_disk_full():
    try:
        raise ModelError("the static head of marker sad needs its model folder")
    except ModelError as exc:
        raise OSError(28, "No space left on device") from exc


def _input_error_handled_badly():
    try:
        raise InputError("no usable post")
    except InputError:
        raise KeyError("created_at")  # noqa: B904 (a worker that does so)


def test_a_workers_error_with_beams_step_is_its_kind_with_its_message():
    found = worker_error(runner_failure(lambda: beam_step(ModelError("folder gone"))))
    assert type(found) is ModelError and str(found) == "folder gone"


def test_an_error_beam_could_not_rebuild_with_its_step_is_still_found():
    failure = runner_failure(lambda: beam_step(PathsError("a.jsonl is damaged", paths=["a"])))
    assert f"RuntimeError: {PathsError.__module__}.PathsError: a.jsonl" in str(failure)
    found = worker_error(failure)
    assert type(found) is InputError and str(found) == "a.jsonl is damaged"


@pytest.mark.parametrize(
    ("raise_it", "kind", "error"),
    [
        (_model_error_then_disk_full, WorkerOSError, "OSError: [Errno 28] No space left on device"),
        (_input_error_handled_badly, WorkerError, "KeyError: 'created_at'"),
    ],
)
def test_an_error_of_the_family_that_another_was_raised_from_is_not_the_failure(
    raise_it, kind, error
):
    """Regression: the last line naming an error of the family decided, wherever it stood, so
    a ModelError that a worker's OSError was raised from (or an InputError it was handling when
    a KeyError came) was reported as the run's error, exit 6 (4), and the OSError (KeyError)
    that failed the job was never shown."""
    found = worker_error(runner_failure(lambda: beam_step(_raises(raise_it))))
    assert type(found) is kind
    assert f"step '{STEP}' of the Beam job failed on a worker with {error}; " in str(found)


def _raises(raise_it) -> Exception:
    try:
        raise_it()
    except Exception as exc:
        return exc
    raise AssertionError("it raised nothing")


def test_a_failure_that_names_no_step_is_the_runners_own():
    """A worker's traceback without Beam's step (the runner failed, not a step), even one
    whose message names an error of the family, is not read as a worker's error."""
    path = Path("posts\ntransforms.errors.ModelError: x.jsonl")
    assert worker_error(runner_failure(path.read_bytes)) is None
    assert worker_error(RuntimeError("Job service unreachable: connection refused")) is None


@pytest.mark.parametrize(
    ("error", "kind", "named"),
    [
        (PermissionError(13, "Permission denied", "/srv/models/x"), WorkerOSError,
         "PermissionError: [Errno 13] Permission denied: '/srv/models/x'"),
        (MemoryError(), WorkerError, "MemoryError; the worker ran out of memory"),
        (KeyError("created_at"), WorkerError, "KeyError: 'created_at'"),
    ],
)  # fmt: skip
def test_any_other_error_on_a_remote_worker_is_a_worker_error_naming_it_and_its_step(
    error, kind, named
):
    """Regression: a worker's error of another kind (a permission denied or a full disk under a
    model or staging folder, out of memory) was the runner's failure: exit 1 and Beam's whole
    traceback."""
    found = worker_error(runner_failure(lambda: beam_step(error)))
    assert type(found) is kind
    assert f"step '{STEP}' of the Beam job failed on a worker with {named}" in str(found)
    assert "Traceback" not in str(found) and "[while running" not in str(found)


def test_a_class_of_the_family_this_process_has_not_imported_is_imported_for_its_kind():
    """Regression: only the classes the submitting process had imported were known, so a
    worker's TaggingError (an InputError, exit 4) was the runner's failure, exit 1."""
    script = (
        "import sys\n"
        "from ingest.worker_errors import worker_error\n"
        "assert 'moodcast.tagging' not in sys.modules\n"
        "text = 'Traceback (most recent call last):\\nRuntimeError: moodcast.tagging.TaggingError:"
        " no text column [while running \\'Tag\\']'\n"
        "found = worker_error(RuntimeError(text))\n"
        "print(type(found).__name__, found)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "InputError no text column"


def test_the_packages_whose_classes_are_imported_by_name_are_the_distributions_workers_run():
    import tomllib

    found = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = found["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {name.removesuffix("*") for name in include} - {"dashboard"} == PACKAGES


def test_a_dashboard_class_named_in_a_workers_text_is_not_imported():
    """Regression: `dashboard` was one of the packages imported by name, so a worker's text
    naming `dashboard.app.<Class>` imported the Streamlit router in the submitting process,
    which ran its page code (set_page_config, sign-in, navigation) with Streamlit's warnings."""
    script = (
        "import sys\n"
        "from ingest.worker_errors import worker_error\n"
        "text = 'Traceback (most recent call last):\\nRuntimeError: dashboard.app.Boom: x"
        " [while running \\'Tag\\']'\n"
        "found = worker_error(RuntimeError(text))\n"
        "print(type(found).__name__, 'dashboard.app' in sys.modules, 'streamlit' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "WorkerError False False", done.stderr
