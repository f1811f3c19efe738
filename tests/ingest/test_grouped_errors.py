"""An exception group of moodcast's errors raised inside a step leaves the worker as its first
error (ingest.worker_errors.ours_ungrouped): the run reports the same error in process and from
a remote runner, whatever its errors' messages quote."""

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import PipelineVisitor
from apache_beam.transforms.core import CallableWrapperDoFn

from ingest.job import IngestJob
from ingest.pipeline import build
from ingest.runner import worker_errors_unlogged
from ingest.stream import StreamJob, build_stream
from ingest.worker_errors import DOFN_METHODS, PACKAGES, ours_ungrouped, worker_error
from tests.ingest.worker_failures import raised, remote_failure
from transforms.dp import Budget
from transforms.errors import ConfigError, InputError, MarkerError, ModelError, WorkerError
from transforms.markers import load_markers
from transforms.posts import PostOptions

QUOTED_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "helper.py", line 2, in <module>\n'
    "OSError: [Errno 2] No such file or directory\n\n"
    "The above exception was the direct cause of the following exception:\n\n"
    "Traceback (most recent call last):\n"
    '  File "helper.py", line 4, in <module>\n'
    "KeyError: 'created_at'"
)
"""A helper process's chained traceback, as a message may quote it."""


@ours_ungrouped
class _RaisesGroupFn(beam.DoFn):
    def __init__(self, errors: list[Exception]):
        self._errors = errors

    def process(self, element):
        raise ExceptionGroup("chunks failed", self._errors)


def _in_process(errors: list[Exception]) -> BaseException:
    """FnApiRunner's failure where a step raises a group of `errors`."""
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    _ = pipeline | beam.Create([1]) | "Fails" >> beam.ParDo(_RaisesGroupFn(errors))
    try:
        with worker_errors_unlogged():
            pipeline.run().wait_until_finish()
    except BaseException as exc:
        return exc
    raise AssertionError("the pipeline did not fail")


def test_a_group_whose_error_quotes_a_chained_traceback_is_its_first_error_from_a_remote_runner():
    """Regression: a remote runner's text of a group was read from its box of sub-exceptions,
    each from its last chained error, so a ModelError whose message quoted a helper's chained
    traceback read as that traceback's KeyError: the group of two ModelErrors was a WorkerError
    (exit 10, "a bug of moodcast") from a remote runner and a ModelError (exit 6) in process.
    The step now raises the group's first error itself."""
    from moodcast.cli import exit_code

    errors = [ModelError("no model folder at /m"), raised(ModelError(QUOTED_TRACEBACK))]
    failure = _in_process(errors)
    for found in (worker_error(failure), worker_error(remote_failure(failure))):
        assert type(found) is ModelError, found
        assert (exit_code(found), str(found)) == (6, "no model folder at /m")


@pytest.mark.parametrize(
    ("errors", "first"),
    [
        ([ConfigError("c"), ModelError("m"), InputError("i")], ConfigError),
        ([ExceptionGroup("one chunk", [MarkerError("k")]), ModelError("m")], MarkerError),
        ([ModelError("m"), ExceptionGroup("one chunk", [ConfigError("c")])], ModelError),
    ],
    ids=["first of the group", "nested first", "nested later"],
)
def test_a_group_of_errors_with_other_exit_codes_is_its_first_in_the_groups_order(errors, first):
    """docs/errors.md: of a group of moodcast's errors with different exit codes, the one
    reported (its exit code and message) is the group's first, nested groups looked through
    in order; in process and from a remote runner alike."""
    from moodcast.cli import exit_code

    failure = _in_process(errors)
    for found in (worker_error(failure), worker_error(remote_failure(failure))):
        assert type(found) is first, found
        assert exit_code(found) == exit_code(first("x"))


def test_a_group_holding_another_error_leaves_the_step_as_it_is():
    group = ExceptionGroup("chunks failed", [ModelError("m"), KeyError("created_at")])

    @ours_ungrouped
    def step():
        raise group

    with pytest.raises(ExceptionGroup) as raised:
        step()
    assert raised.value is group
    assert type(worker_error(remote_failure(_in_process(list(group.exceptions))))) is WorkerError


def test_the_first_error_is_raised_from_its_group_and_a_generator_step_converts_it_too():
    inner = ModelError("m")

    @ours_ungrouped
    def step():
        yield 1
        raise ExceptionGroup("chunks failed", [inner, InputError("i")])

    with pytest.raises(ModelError) as raised:
        list(step())
    assert raised.value is inner
    assert isinstance(raised.value.__cause__, ExceptionGroup)


class _Steps(PipelineVisitor):
    """The code of moodcast's packages (PACKAGES) that each step of a pipeline runs, by label:
    a DoFn's class, or a Map's or FlatMap's function (lambdas left out: they call no other
    code)."""

    def __init__(self):
        self.found: dict[str, object] = {}

    def visit_transform(self, node) -> None:
        fn = getattr(node.transform, "fn", None)
        if fn is None:
            return
        code = fn._fn if isinstance(fn, CallableWrapperDoFn) else type(fn)
        code = getattr(code, "_argspec_fn", code)  # what beam.Map wraps
        if code.__name__ != "<lambda>" and code.__module__.split(".")[0] in PACKAGES:
            self.found[node.full_label] = code


def _converts(code) -> bool:
    """Whether `code`, a DoFn class (its own DOFN_METHODS) or a function, is ours_ungrouped's."""
    if isinstance(code, type):
        return all(hasattr(vars(code)[n], "__wrapped__") for n in DOFN_METHODS if n in vars(code))
    return hasattr(code, "__wrapped__")


def test_every_step_of_the_batch_and_streaming_jobs_raises_the_first_of_a_group_of_ours(tmp_path):
    job = IngestJob(
        inputs=[str(tmp_path / "posts.jsonl")],
        landing_dir=str(tmp_path / "landing"),
        markers=load_markers(),
        key=b"k" * 32,
        run_id="r1",
        options=PostOptions(),
        dp_budget=Budget(),
    )
    batch = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    build(batch, job)
    stream = beam.Pipeline(options=PipelineOptions(["--streaming"]))
    build_stream(stream | beam.Create([b"{}"]), StreamJob(ingest=job, source="s"), str(tmp_path))
    found = {}
    for pipeline in (batch, stream):
        steps = _Steps()
        pipeline.visit(steps)
        found |= {code.__qualname__: _converts(code) for code in steps.found.values()}
    assert {"ReadChunksFn", "PrepareChunkFn", "key_posts", "count_authors", "NoisyDayFn"} <= set(
        found
    )
    assert {"parse_messages", "DropRepeatedIdsFn", "WriteBundleDeadLettersFn"} <= set(found)
    assert [name for name, converts in found.items() if not converts] == []
