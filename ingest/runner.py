"""Which Beam runner the job runs on: the options from the flags after `--`, local or remote."""

from __future__ import annotations

from collections.abc import Sequence

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

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
