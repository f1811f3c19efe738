"""The frames' coders (ingest.coders): exact round trips, and Beam's size sampling reads
polars' estimate instead of pickling a frame."""

from datetime import date
from typing import Any

import apache_beam as beam
import polars as pl
import pytest
from apache_beam.coders import registry
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from ingest.coders import FrameCoder, FramesCoder
from ingest.job import IngestJob
from ingest.pipeline import build
from ingest.sources import ParsedChunk
from transforms.markers import parse_marker
from transforms.posts import PostOptions


def _frame():
    return pl.DataFrame(
        {
            "day": [date(2025, 1, 1), None],
            "region": ["north", None],
            "text": ["so sad 😢", ""],
            "author": [2**63 + 5, 1],
        },
        schema_overrides={"region": pl.Categorical, "author": pl.UInt64},
    )


def test_a_frame_and_a_parsed_chunk_come_back_equal():
    frame = _frame()
    back = FrameCoder().decode(FrameCoder().encode(frame))
    assert back.equals(frame) and back.schema == frame.schema
    chunk = ParsedChunk(frame, frame.clear())
    coder = registry.get_coder(ParsedChunk)
    assert isinstance(coder, FramesCoder)
    again = coder.decode(coder.encode(chunk))
    assert isinstance(again, ParsedChunk)
    assert all(a.equals(b) and a.schema == b.schema for a, b in zip(again, chunk, strict=True))
    assert coder.estimate_size(chunk) == frame.estimated_size()


class _Frames(beam.DoFn):
    def process(self, n):
        yield pl.DataFrame({"n": list(range(n))})


@pytest.mark.parametrize("typed", [True, False])
def test_sampled_sizes_pickle_no_frame_when_typed(monkeypatch, typed):
    pickled = []
    original = pl.DataFrame.__getstate__
    monkeypatch.setattr(
        pl.DataFrame, "__getstate__", lambda self: pickled.append(1) or original(self)
    )
    frames = beam.ParDo(_Frames()).with_output_types(pl.DataFrame if typed else Any)
    with BeamTestPipeline(runner="FnApiRunner") as p:
        sizes = p | beam.Create([1, 2, 3]) | frames | beam.Map(len)
        assert_that(sizes, equal_to([1, 2, 3]))
    assert bool(pickled) is not typed


def test_the_job_types_its_chunks_and_posts(tmp_path):
    marker = parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")
    job = IngestJob(
        inputs=[str(tmp_path / "in.jsonl")],
        landing_dir=str(tmp_path / "landing"),
        markers={"sad": marker},
        key=b"k" * 32,
        run_id="r",
        options=PostOptions(),
    )
    pipeline = beam.Pipeline(runner="FnApiRunner")
    build(pipeline, job)
    produced = {}

    class Outputs(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            for tag, pcoll in node.outputs.items():
                produced[(node.full_label, tag)] = pcoll.element_type

    pipeline.visit(Outputs())
    assert produced[("ReadPostChunks/ReadChunks", None)] is ParsedChunk
    assert produced[("PrepareChunks/ParDo(PrepareChunkFn)", None)] is pl.DataFrame
    assert isinstance(registry.get_coder(pl.DataFrame), FrameCoder)


def test_equal_frames_can_encode_differently_so_the_coders_are_not_deterministic():
    whole = pl.DataFrame({"n": [1, 2]})
    pieces = pl.concat([whole.head(1), whole.tail(1)], rechunk=False)
    assert whole.equals(pieces)
    assert FrameCoder().encode(whole) != FrameCoder().encode(pieces)
    assert not FrameCoder().is_deterministic()
    assert not registry.get_coder(ParsedChunk).is_deterministic()


def _frame_keyed(n):
    return pl.DataFrame({"parity": [n % 2]}), n


def _chunk_keyed(n):
    frame = pl.DataFrame({"parity": [n % 2]})
    return ParsedChunk(frame, frame), n


@pytest.mark.parametrize("runner", ["FnApiRunner", "BundleBasedDirectRunner"])
@pytest.mark.parametrize(
    ("key", "hint"),
    [
        (_frame_keyed, tuple[pl.DataFrame, int]),
        (_frame_keyed, None),
        (_chunk_keyed, tuple[ParsedChunk, int]),
    ],
)
def test_a_frame_as_a_group_by_key_key_is_refused_when_the_pipeline_is_built(runner, key, hint):
    keyed = beam.Map(key) if hint is None else beam.Map(key).with_output_types(hint)
    name = "DataFrame" if key is _frame_keyed else "ParsedChunk"
    refused = pytest.raises(
        ValueError,
        match=f"a {name} cannot be a GroupByKey key: .* is not deterministic .*Key by hashable",
    )
    with refused, BeamTestPipeline(runner=runner) as p:
        p | beam.Create([1, 2, 3]) | keyed | beam.GroupByKey()
