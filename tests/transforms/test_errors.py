"""The error a remote runner's worker raised, read back from the runner's failure text
(transforms.errors.raised_remotely), on tracebacks Python formats itself."""

import traceback
from pathlib import Path

import pytest

from transforms.errors import InputError, ModelError, raised_remotely


class PathsError(InputError):
    """An error of the family that Beam cannot rebuild with its step appended (a keyword-only
    argument), as ingest.inputs.InputFileError."""

    def __init__(self, message: str, *, paths: list[str]):
        super().__init__(message)
        self.paths = paths


def _runner_failure(raise_it) -> RuntimeError:
    """The PortableRunner's failure around the worker traceback of what `raise_it` raises."""
    try:
        raise_it()
    except Exception as exc:
        worker = "".join(traceback.format_exception(exc))
    return RuntimeError(
        "Pipeline job-1 failed in state FAILED: Error running pipeline.\nTraceback (most recent "
        'call last):\n  File "fn_runner.py", line 1395, in process_bundle\n    raise '
        f"RuntimeError(result.error)\nRuntimeError: {worker}"
    )


def _beam_step(error: Exception) -> None:
    """Raise `error` as Beam's DoFnRunner._reraise_augmented does: the same kind with the step
    appended, raised while handling it; Beam's RuntimeError naming it where that fails."""
    try:
        raise error
    except Exception as exc:
        step = " [while running 'PrepareChunks/ParDo(PrepareChunkFn)']"
        try:
            augmented = type(exc)(exc.args[0] + step, *exc.args[1:])
        except TypeError:
            augmented = RuntimeError(
                traceback.format_exception_only(type(exc), exc)[-1].strip() + step
            )
        raise augmented  # noqa: B904 (Beam's own form: raised while handling it)


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
    found = raised_remotely(_runner_failure(lambda: _beam_step(ModelError("folder gone"))))
    assert type(found) is ModelError and str(found) == "folder gone"


def test_an_error_beam_could_not_rebuild_with_its_step_is_still_found():
    failure = _runner_failure(lambda: _beam_step(PathsError("a.jsonl is damaged", paths=["a"])))
    assert "RuntimeError: tests.transforms.test_errors.PathsError: a.jsonl" in str(failure)
    found = raised_remotely(failure)
    assert type(found) is InputError and str(found) == "a.jsonl is damaged"


@pytest.mark.parametrize("raise_it", [_model_error_then_disk_full, _input_error_handled_badly])
def test_an_error_of_the_family_that_another_was_raised_from_is_not_the_failure(raise_it):
    """Regression: the last line naming an error of the family decided, wherever it stood, so
    a ModelError that a worker's OSError was raised from (or an InputError it was handling when
    a KeyError came) was reported as the run's error, exit 6 (4), and the OSError (KeyError)
    that failed the job was never shown."""
    assert raised_remotely(_runner_failure(lambda: _beam_step(_raises(raise_it)))) is None


def _raises(raise_it) -> Exception:
    try:
        raise_it()
    except Exception as exc:
        return exc
    raise AssertionError("it raised nothing")


def test_our_errors_name_inside_another_errors_message_is_not_ours():
    path = Path("posts\ntransforms.errors.ModelError: x.jsonl")
    assert raised_remotely(_runner_failure(path.read_bytes)) is None
