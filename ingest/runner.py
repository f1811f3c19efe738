"""Which Beam runner the job runs on: the options from the flags after `--`, local or remote."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from ingest.worker_errors import VERBOSE_HINT, worker_error
from transforms.errors import ConfigError

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


BEAM_RETRY_NOTICES = ("Exception at bundle", "Giving up after", "A task failed with exception")
"""How the DirectRunner's executor begins the records it logs for each failed try of a bundle
(with the traceback), when it gives up, and for the failed task."""


class _WorkerErrorRecord(logging.Filter):
    """Drops a record of a step's error on a worker: Beam's log of an error raised inside a DoFn
    (with its traceback; a stop the user asked for, SystemExit or KeyboardInterrupt, included),
    the DirectRunner's records of a failed bundle's later tries, its giving up and its failed
    task, and a remote job's message holding a worker's error (ingest.worker_errors.worker_error
    finds one in its text). A bundle's first failed try stays, as one WARNING line naming the
    error without its traceback: Beam retries the bundle, and where a retry succeeds the job
    goes on and nothing else would tell of the error."""

    def __init__(self) -> None:
        super().__init__()
        self._retried: weakref.WeakSet = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "apache_beam.runners.common":
            return record.exc_info is None
        if record.name == "apache_beam.runners.direct.executor":
            if str(record.msg).startswith(BEAM_RETRY_NOTICES[0]):
                return self._first_try(record)
            return not str(record.msg).startswith(BEAM_RETRY_NOTICES)
        try:
            text = record.getMessage()
        except Exception:
            return True
        return worker_error(Exception(text)) is None

    def _first_try(self, record: logging.LogRecord) -> bool:
        """Whether to log `record`, the executor's record of a failed try of a bundle (its
        arguments the bundle and the traceback's text): only for the bundle's first, rewritten
        as one WARNING line that names the error."""
        bundle, text = record.args if isinstance(record.args, tuple) else (None, "")
        if bundle is not None:
            if bundle in self._retried:
                return False
            self._retried.add(bundle)
        error = worker_error(Exception(str(text)))
        said = str(error).removesuffix(VERBOSE_HINT) if error else str(text).strip().split("\n")[-1]
        record.msg = "Beam retries a bundle (the job fails if every try does): %s"
        record.args = (said,)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


@contextmanager
def worker_errors_unlogged() -> Iterator[None]:
    """While active, Beam does not log a step's error on a worker (_WorkerErrorRecord): neither
    its traceback once per try of the bundle (the first try's error is one WARNING line) nor a
    remote job's message, which the root logger logs for a portable runner. The run reports
    that error in one paragraph (ingest.worker_errors.worker_error), and `--verbose` shows the
    worker's traceback as the error's cause. Other records are logged as before."""
    loggers = [
        logging.getLogger(name)
        for name in ("apache_beam.runners.common", "apache_beam.runners.direct.executor", "")
    ]
    unlogged = _WorkerErrorRecord()
    for logger in loggers:
        logger.addFilter(unlogged)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(unlogged)
