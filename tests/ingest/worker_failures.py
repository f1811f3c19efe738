"""Failures of a step on a Beam worker, as the tests of ingest.worker_errors meet them: the text
a remote runner holds (a traceback Python formats itself) and the errors real in-process
runners raise."""

import traceback
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream

from ingest.worker_errors import ours_ungrouped

ROOT = Path(__file__).resolve().parents[2]


STEP = "PrepareChunks/ParDo(PrepareChunkFn)"


def runner_failure(raise_it) -> RuntimeError:
    """The PortableRunner's failure around the worker traceback of what `raise_it` raises."""
    try:
        raise_it()
    except Exception as exc:
        return remote_failure(exc)
    raise AssertionError("nothing was raised")


def remote_failure(failure: BaseException) -> RuntimeError:
    """The PortableRunner's failure around the worker's traceback of `failure` (the error Beam
    raised for the step, with the worker's own error, its context, before it)."""
    worker = "".join(traceback.format_exception(failure))
    return RuntimeError(
        "Pipeline job-1 failed in state FAILED: Error running pipeline.\nTraceback (most recent "
        'call last):\n  File "fn_runner.py", line 1395, in process_bundle\n    raise '
        f"RuntimeError(result.error)\nRuntimeError: {worker}"
    )


def raised(error: Exception) -> Exception:
    """`error` as raised, with its traceback's frames."""
    try:
        raise error
    except Exception as exc:
        return exc


def from_our_step(error: Exception) -> BaseException:
    """What a step of moodcast's code raises for `error` (ingest.worker_errors.ours_ungrouped
    wraps every one): a group of moodcast's errors as its first error, anything else as it is."""

    @ours_ungrouped
    def step():
        raise error

    try:
        step()
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def beam_step(error: BaseException) -> None:
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


class _Fails(beam.DoFn):
    """Raises `error` on the first element."""

    def __init__(self, error: BaseException):
        self._error = error

    def process(self, element):
        raise self._error


def run_failing(error: BaseException, *, streaming: bool = False) -> BaseException:
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
