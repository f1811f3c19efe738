"""The error a step raised on a Beam worker, read back from the runner's failure
(ingest.worker_errors.worker_error): on tracebacks Python formats itself, as a remote runner
holds them as text, and on the errors real in-process runners raise; and what Beam logs of it
(ingest.runner.worker_errors_unlogged)."""

import logging
import subprocess
import sys
import traceback
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream

from ingest.runner import worker_errors_unlogged
from ingest.worker_errors import PACKAGES, VERBOSE_HINT, worker_error
from transforms.errors import InputError, ModelError, WorkerError, WorkerOSError

ROOT = Path(__file__).resolve().parents[2]
STEP = "PrepareChunks/ParDo(PrepareChunkFn)"


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
        step = f" [while running '{STEP}']"
        try:
            augmented = type(exc)(exc.args[0] + step, *exc.args[1:])
        except Exception:
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
    found = worker_error(_runner_failure(lambda: _beam_step(ModelError("folder gone"))))
    assert type(found) is ModelError and str(found) == "folder gone"


def test_an_error_beam_could_not_rebuild_with_its_step_is_still_found():
    failure = _runner_failure(lambda: _beam_step(PathsError("a.jsonl is damaged", paths=["a"])))
    assert "RuntimeError: tests.ingest.test_worker_errors.PathsError: a.jsonl" in str(failure)
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
    found = worker_error(_runner_failure(lambda: _beam_step(_raises(raise_it))))
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
    assert worker_error(_runner_failure(path.read_bytes)) is None
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
    found = worker_error(_runner_failure(lambda: _beam_step(error)))
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


class _Fails(beam.DoFn):
    """Raises `error` on the first element."""

    def __init__(self, error: BaseException):
        self._error = error

    def process(self, element):
        raise self._error


def _run_failing(error: BaseException, *, streaming: bool = False) -> BaseException:
    """The failure of a real in-process runner whose step `Fails` raises `error`: FnApiRunner,
    or with `streaming` the BundleBasedDirectRunner that `moodcast stream` uses, which retries
    the bundle."""
    flags = ["--runner=BundleBasedDirectRunner", "--streaming"] if streaming else []
    pipeline = beam.Pipeline(options=PipelineOptions(flags or ["--runner=FnApiRunner"]))
    source = BeamTestStream().add_elements([1]).advance_watermark_to_infinity()
    _ = (
        pipeline
        | (source if streaming else beam.Create([1]))
        | "Fails" >> beam.ParDo(_Fails(error))
    )
    try:
        pipeline.run().wait_until_finish()
    except BaseException as exc:
        return exc
    raise AssertionError("the pipeline did not fail")


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
        failure = _run_failing(error, streaming=streaming)
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
        failure = _run_failing(error, streaming=streaming)
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
    _run_failing(ModelError("gone"), streaming=True)
    assert caplog.text.count("Traceback") >= 4


@pytest.mark.parametrize("stop", [SystemExit(143), KeyboardInterrupt()])
def test_a_stop_the_user_asked_for_inside_a_step_is_itself_and_not_logged(stop, caplog):
    with worker_errors_unlogged():
        failure = _run_failing(stop)
    found = worker_error(failure)
    assert type(found) is type(stop) and found.args == stop.args
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_message_over_several_lines_is_read_whole():
    error = ModelError("the static head of marker sad needs its model folder\nstatic-0a1b: gone")
    found = worker_error(_runner_failure(lambda: _beam_step(error)))
    assert type(found) is ModelError and str(found) == str(error)


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
    remote = worker_error(_runner_failure(lambda: _beam_step(_undecodable())))
    assert type(remote) is WorkerError
    assert f"step '{STEP}' of the Beam job failed on a worker with {UNDECODABLE}: " in str(remote)
    in_process = worker_error(_run_failing(_undecodable()))
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
        (worker_error(_run_failing(error)), "Fails"),
        (worker_error(_runner_failure(lambda: _beam_step(error))), STEP),
    ]:
        assert type(found) is WorkerError
        assert str(found).startswith(f"step '{step}' of the Beam job failed on a worker with ")


def test_a_message_with_an_indented_line_is_read_whole():
    """Regression: the last line beginning with a space was taken for the traceback's last
    frame, so a remote InputError whose message lists files on indented lines (or a library's
    message so laid out) lost its class: a WorkerError `with ;`, exit 10 instead of 4."""
    error = InputError("these inputs are damaged:\n  a.jsonl\n  b.jsonl")
    found = worker_error(_runner_failure(lambda: _beam_step(error)))
    assert type(found) is InputError and str(found) == str(error)


def test_a_runtime_error_whose_message_looks_like_a_class_is_a_runtime_error():
    """Regression: `RuntimeError: Error: disk gone` was read as Beam's RuntimeError naming a class
    `Error`, so the worker's error was reported as `Error: disk gone`, its class lost."""
    found = worker_error(_runner_failure(lambda: _beam_step(RuntimeError("Error: disk gone"))))
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
        (worker_error(_run_failing(error)), "Fails"),
        (worker_error(_runner_failure(lambda: _beam_step(error))), STEP),
    ]:
        assert type(found) is WorkerError, found
        assert f"step '{step}' of the Beam job failed on a worker with {named}" in str(found)
        assert "[while running" not in str(found)


def _group() -> ExceptionGroup:
    inner = ExceptionGroup("one chunk failed", [KeyError("created_at")])
    return ExceptionGroup("two chunks failed", [ValueError("bad a\nsecond line"), inner])


@pytest.mark.parametrize("remote", [False, True])
def test_an_exception_group_on_a_worker_is_one_line_naming_it_and_its_step(remote):
    """Regression: an ExceptionGroup raised on a remote worker was a WorkerError whose message
    held the group's raw traceback (its boxed frames and every sub-exception); in process it was
    already one line, which the remote runner now gives too."""
    if remote:
        step = STEP
        found = worker_error(_runner_failure(lambda: _beam_step(_group())))
    else:
        step = "Fails"
        with worker_errors_unlogged():
            found = worker_error(_run_failing(_group()))
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
    exit 6 with its own message; from a remote runner its box of sub-exceptions is read for
    them. A group holding any other error stays a WorkerError."""
    from moodcast.cli import error_message, exit_code

    def failure(group: ExceptionGroup) -> BaseException | None:
        if remote:
            return worker_error(_runner_failure(lambda: _beam_step(group)))
        with worker_errors_unlogged():
            return worker_error(_run_failing(group))

    inner = ExceptionGroup("one chunk", [_raised(ModelError("no model folder at /m"))])
    found = failure(ExceptionGroup("two chunks failed", [inner, InputError("no usable post")]))
    mixed = failure(ExceptionGroup("g", [ModelError("m"), inner, KeyError("k")]))
    assert type(found) is ModelError
    assert (exit_code(found), error_message(found)) == (6, "no model folder at /m")
    assert type(mixed) is WorkerError


def _raised(error: Exception) -> Exception:
    """`error` as raised, with its traceback's frames."""
    try:
        raise error
    except Exception as exc:
        return exc


HELPER_FAILED = ValueError(
    "helper failed:\nTraceback (most recent call last):\n"
    '  File "helper.py", line 1, in <module>\ntransforms.errors.ModelError: no model'
)


@pytest.mark.parametrize("remote", [False, True])
@pytest.mark.parametrize(
    "errors",
    [
        [ModelError("m"), _raised(HELPER_FAILED)],
        [*(ModelError(f"chunk {n}") for n in range(15)), KeyError("created_at")],
    ],
    ids=["a message holding a traceback", "past the 15 shown"],
)
def test_a_group_with_an_error_not_of_the_family_is_a_worker_error_however_it_reads(remote, errors):
    """Regression: from a remote runner, a group's sub-exception whose message held a helper's
    traceback ending in a ModelError was read as that ModelError, and a KeyError past the 15
    sub-exceptions a traceback shows (`and 1 more exception`) was not read at all: both groups
    were reported as their first ModelError, exit 6, where in process they are a WorkerError,
    exit 10."""
    group = ExceptionGroup("chunks failed", errors)
    if remote:
        found = worker_error(_runner_failure(lambda: _beam_step(group)))
    else:
        with worker_errors_unlogged():
            found = worker_error(_run_failing(group))
    assert type(found) is WorkerError


@pytest.mark.parametrize("remote", [False, True])
def test_a_group_of_moodcast_errors_raised_from_others_is_its_first_error(remote):
    """A sub-exception's own chained errors (a ModelError raised from an OSError, one raised
    while handling a KeyError) are not the sub-exception: the group is still its first
    ModelError, from a remote runner as in process."""
    group = ExceptionGroup("chunks failed", _chained_model_errors())
    if remote:
        found = worker_error(_runner_failure(lambda: _beam_step(group)))
    else:
        with worker_errors_unlogged():
            found = worker_error(_run_failing(group))
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
    found = worker_error(_runner_failure(lambda: _beam_step(group)))
    assert type(found) is WorkerError
    assert str(found) == (
        f"step '{STEP}' of the Beam job failed on a worker with ExceptionGroup: two chunks "
        "failed (2 sub-exceptions); a bug of moodcast or of a library it uses: please report "
        f"it{VERBOSE_HINT}"
    )
