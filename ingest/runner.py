"""Which Beam runner the job runs on: the options from the flags after `--`, local or remote."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from transforms.errors import ConfigError, raised_remotely

DEFAULT_RUNNER = "FnApiRunner"
LOCAL_RUNNERS = {
    "fnapirunner",
    "directrunner",
    "bundlebaseddirectrunner",
    "switchingdirectrunner",
    "prismrunner",
}


def pipeline_options(beam_args: Sequence[str]) -> PipelineOptions:
    """Beam options from the flags given after `--`, passed through untouched; the runner
    defaults to the in-process FnApiRunner (never Beam's default, which downloads Prism)."""
    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = DEFAULT_RUNNER
    return options


def is_remote(beam_args: Sequence[str]) -> bool:
    """Whether the Beam flags name a runner whose workers run elsewhere (Dataflow, Flink, Spark)."""
    runner = pipeline_options(beam_args).view_as(StandardOptions).runner or DEFAULT_RUNNER
    return str(runner).rsplit(".", 1)[-1].lower() not in LOCAL_RUNNERS


def check_runner(beam_args: Sequence[str]) -> bool:
    """Whether the Beam flags name a remote runner (is_remote). Raises ConfigError when they
    name one without `--temp_location`, which the job's landing files need."""
    if not is_remote(beam_args):
        return False
    if not pipeline_options(beam_args).get_all_options().get("temp_location"):
        raise ConfigError(
            "a remote runner needs --temp_location after `--`, a bucket path its workers and this "
            "machine both reach, e.g. moodcast run 'gs://b/posts/*.jsonl' -- "
            "--runner=DataflowRunner --temp_location=gs://b/tmp: the job's landing files go there"
        )
    return True


class _UserStop(logging.Filter):
    """Drops a record that carries a stop the user asked for (SIGTERM's SystemExit, Ctrl-C's
    KeyboardInterrupt)."""

    def filter(self, record: logging.LogRecord) -> bool:
        stop = record.exc_info[1] if record.exc_info else None
        return not isinstance(stop, (SystemExit, KeyboardInterrupt))


@contextmanager
def stops_unlogged() -> Iterator[None]:
    """While active, Beam does not log a stop the user asked for as an ERROR with its
    traceback: Beam logs every exception raised inside a DoFn, including the SystemExit of a
    SIGTERM that lands while a DoFn sets up or runs; the run reports the stop itself. Other
    errors are logged as before."""
    beam_log = logging.getLogger("apache_beam.runners.common")
    user_stop = _UserStop()
    beam_log.addFilter(user_stop)
    try:
        yield
    finally:
        beam_log.removeFilter(user_stop)


class _WorkerError(logging.Filter):
    """Drops a record whose text holds an error of moodcast's family raised on a worker, as
    transforms.errors.raised_remotely finds it (the job messages a portable runner logs, worker
    traceback included); one whose failure was raised from such an error is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return raised_remotely(Exception(record.getMessage())) is None


@contextmanager
def worker_errors_unlogged() -> Iterator[None]:
    """While active, the error a remote runner's job reports is not logged (by the root
    logger, as Beam's PortableRunner logs each job message) when it holds an error of
    moodcast's family raised on a worker: the run raises that error as its kind
    (transforms.errors.raised_remotely), which the CLI reports in one paragraph, and
    `--verbose` shows the worker's traceback as the error's cause. Other records are logged as
    before."""
    root = logging.getLogger()
    worker_error = _WorkerError()
    root.addFilter(worker_error)
    try:
        yield
    finally:
        root.removeFilter(worker_error)
