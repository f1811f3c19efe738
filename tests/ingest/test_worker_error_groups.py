"""An ExceptionGroup raised on a Beam worker, read back from a remote runner's text and from an
in-process runner (ingest.worker_errors.worker_error): one line naming it, or its first error
where every error it holds is of moodcast's family. Remotely, the group leaves a step of
moodcast's code as that step raises it (ingest.worker_errors.ours_ungrouped, from_our_step)."""

import pytest

from ingest.runner import worker_errors_unlogged
from ingest.worker_errors import VERBOSE_HINT, worker_error
from tests.ingest.worker_failures import (
    STEP,
    beam_step,
    from_our_step,
    raised,
    run_failing,
    runner_failure,
)
from transforms.errors import InputError, ModelError, WorkerError


def _found(group: ExceptionGroup, *, remote: bool) -> BaseException | None:
    """What the driver reports for `group` raised in a step: from a remote runner, as a step of
    moodcast's code raises it; in process, as any step raises it."""
    if remote:
        return worker_error(runner_failure(lambda: beam_step(from_our_step(group))))
    with worker_errors_unlogged():
        return worker_error(run_failing(group))


def _group() -> ExceptionGroup:
    inner = ExceptionGroup("one chunk failed", [KeyError("created_at")])
    return ExceptionGroup("two chunks failed", [ValueError("bad a\nsecond line"), inner])


@pytest.mark.parametrize("remote", [False, True])
def test_an_exception_group_on_a_worker_is_one_line_naming_it_and_its_step(remote):
    """Regression: an ExceptionGroup raised on a remote worker was a WorkerError whose message
    held the group's raw traceback (its boxed frames and every sub-exception); in process it was
    already one line, which the remote runner now gives too."""
    step = STEP if remote else "Fails"
    found = _found(_group(), remote=remote)
    assert type(found) is WorkerError
    assert str(found) == (
        f"step '{step}' of the Beam job failed on a worker with ExceptionGroup: two chunks "
        "failed (2 sub-exceptions); a bug of moodcast or of a library it uses: please report "
        f"it{VERBOSE_HINT}"
    )


@pytest.mark.parametrize("remote", [False, True])
def test_an_exception_group_of_moodcast_errors_is_its_first_error(remote):
    """Regression: an ExceptionGroup gathering a ModelError (a step's work split and gathered)
    was reported as a WorkerError, exit 10 "a bug of moodcast", where the ModelError alone is
    exit 6 with its own message. A group holding any other error stays a WorkerError."""
    from moodcast.cli import error_message, exit_code

    inner = ExceptionGroup("one chunk", [raised(ModelError("no model folder at /m"))])
    group = ExceptionGroup("two chunks failed", [inner, InputError("no usable post")])
    found = _found(group, remote=remote)
    mixed = _found(ExceptionGroup("g", [ModelError("m"), inner, KeyError("k")]), remote=remote)
    assert type(found) is ModelError
    assert (exit_code(found), error_message(found)) == (6, "no model folder at /m")
    assert type(mixed) is WorkerError


HELPER_FAILED = ValueError(
    "helper failed:\nTraceback (most recent call last):\n"
    '  File "helper.py", line 1, in <module>\ntransforms.errors.ModelError: no model'
)
HELPER_CHAINED = ValueError(
    "helper failed:\nTraceback (most recent call last):\n"
    '  File "helper.py", line 2, in <module>\n'
    "OSError: [Errno 2] No such file or directory\n\n"
    "The above exception was the direct cause of the following exception:\n\n"
    "Traceback (most recent call last):\n"
    '  File "helper.py", line 4, in <module>\n'
    "transforms.errors.ModelError: no model"
)


@pytest.mark.parametrize("remote", [False, True])
@pytest.mark.parametrize(
    "errors",
    [
        [ModelError("m"), raised(HELPER_FAILED)],
        [ModelError("m"), raised(HELPER_CHAINED)],
        [*(ModelError(f"chunk {n}") for n in range(15)), KeyError("created_at")],
    ],
    ids=["a message holding a traceback", "a message holding a chained one", "past the 15 shown"],
)
def test_a_group_with_an_error_not_of_the_family_is_a_worker_error_however_it_reads(remote, errors):
    """Regression: from a remote runner, a group's sub-exception whose message held a helper's
    traceback ending in a ModelError was read as that ModelError, and a KeyError past the 15
    sub-exceptions a traceback shows (`and 1 more exception`) was not read at all: both groups
    were reported as their first ModelError, exit 6, where in process they are a WorkerError,
    exit 10. And one whose message held a helper's chained traceback ending in a ModelError
    was still read as it (its last chained error): the driver read a remote group's
    sub-exceptions from their text; it now reads the group's own line only."""
    found = _found(ExceptionGroup("chunks failed", errors), remote=remote)
    assert type(found) is WorkerError


@pytest.mark.parametrize("remote", [False, True])
def test_a_group_of_moodcast_errors_raised_from_others_is_its_first_error(remote):
    """A sub-exception's own chained errors (a ModelError raised from an OSError, one raised
    while handling a KeyError) are not the sub-exception: the group is still its first
    ModelError, from a remote runner as in process."""
    found = _found(ExceptionGroup("chunks failed", _chained_model_errors()), remote=remote)
    assert type(found) is ModelError and str(found) == "no model folder at /m"


def _chained_model_errors() -> list[ModelError]:
    """A ModelError raised from an OSError, and one raised while handling a KeyError."""
    errors = []
    try:
        try:
            raise OSError(2, "No such file or directory")
        except OSError as exc:
            raise ModelError("no model folder at /m") from exc
    except ModelError as exc:
        errors.append(exc)
    try:
        try:
            raise KeyError("created_at")
        except KeyError:
            raise ModelError("no text field")  # noqa: B904 (raised while handling it)
    except ModelError as exc:
        errors.append(exc)
    return errors


def test_a_remote_exception_group_ending_in_a_nested_group_is_read_without_its_box():
    """Regression: the box of a group's sub-exceptions was left out only where it ended in a
    line of its own, which a box whose last sub-exception is a group lacks; that box was then
    read as part of the failure: the step named inside a sub-exception was reported, and the
    box's lines were the message."""
    inner = ExceptionGroup("one chunk failed", [ModelError("no model [while running 'Other']")])
    group = ExceptionGroup("two chunks failed", [ValueError("bad a"), inner])
    found = worker_error(runner_failure(lambda: beam_step(group)))
    assert type(found) is WorkerError
    assert str(found) == (
        f"step '{STEP}' of the Beam job failed on a worker with ExceptionGroup: two chunks "
        "failed (2 sub-exceptions); a bug of moodcast or of a library it uses: please report "
        f"it{VERBOSE_HINT}"
    )
