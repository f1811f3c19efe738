"""The chunk step both ingest jobs share: a chunk of parsed records → validated, prepared posts
with their marker decisions made (the texts that need a model scored in the chunk, so that no
text leaves it), dead letters, counts, day coverage and per-file counts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import apache_beam as beam
import polars as pl

from ingest.job import IngestJob, Live
from ingest.landing import COUNTS, COVERAGE, DEAD, FILES
from ingest.sources import ParsedChunk
from ingest.worker_errors import ours_ungrouped
from transforms.markers import CompiledMarkers, compile_markers
from transforms.model_folders import MARKERS_DIR_ENV, located_markers
from transforms.model_markers import (
    decide,
    encoder_languages,
    load_encoders,
    modelled_markers,
    uses_model,
)
from transforms.model_scoring import model_scores, static_encoders, tuned_encoders
from transforms.posts import PostOptions, prepare, refused_regions
from transforms.records import validate

NO_MODEL_SCORES = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
REGION_REFUSED = "region not allowed, counted as unknown"


@ours_ungrouped
class PrepareChunkFn(beam.DoFn):
    """ParsedChunk → decided posts (main output), dead letters, counts, day coverage and
    per-file counts.

    The chunk's posts leave with their marker decisions made (transforms.model_markers): the
    distinct texts that need a model are scored in the chunk, any sentence model (and any
    static head's own model) loaded once per worker, so that no text leaves it. With `live`
    (the streaming job) the options follow the clock. The markers are compiled once per
    worker, in `setup`, where a static or finetune head's own model folder is found at the
    submitter's path or in the worker's MOODCAST_MARKERS_DIR (transforms.model_folders) and
    checked against its head's digest."""

    def __init__(self, job: IngestJob, live: Live | None = None):
        self._job = job
        self._live = live
        self._encoders: dict = {}
        self._markers: CompiledMarkers | None = None
        self._modelled: dict = {}

    def setup(self) -> None:
        self._markers = compile_markers(self._job.markers)
        models = self._job.options.models
        modelled = modelled_markers(self._job.markers, models, None)
        modelled = self._modelled = located_markers(modelled, os.environ.get(MARKERS_DIR_ENV))
        languages = frozenset().union(*(uses_model(m, models, None) for m in modelled.values()))
        self._encoders = load_encoders(models, encoder_languages(modelled, models, languages))
        tuned_encoders(modelled, self._encoders)
        static_encoders(modelled)

    def _options(self, chunk: ParsedChunk) -> PostOptions:
        """The job's options, with the default language of the chunk's input (its mapping)."""
        sources = chunk.records.get_column("source")
        mapping = self._job.mappings.get(sources[0]) if sources.len() else None
        if mapping is None or mapping.default_lang is None:
            return self._job.options
        return replace(self._job.options, default_lang=mapping.default_lang)

    def process(self, chunk: ParsedChunk) -> Iterator:
        job = self._job
        read = chunk.records.height + chunk.dead.height
        valid, invalid = validate(
            chunk.records,
            source_tz=job.source_tz,
            earliest=job.earliest,
            max_text_chars=job.max_text_chars,
        )
        options = self._options(chunk)
        if self._live is not None:
            options = self._live.options(options)
        posts, filtered, texts = prepare(valid, markers=self._markers, key=job.key, options=options)
        posts = decided_posts(posts, self._score(texts), job)
        dead = pl.concat([chunk.dead, invalid])
        yield beam.pvalue.TaggedOutput(COUNTS, (("read", ""), read))
        relabelled = refused_regions(valid, job.options.regions)
        if relabelled:
            yield beam.pvalue.TaggedOutput(COUNTS, (("relabelled", REGION_REFUSED), relabelled))
        for reason, n in dead.group_by("reason").len().iter_rows():
            yield beam.pvalue.TaggedOutput(COUNTS, (("dead_letter", reason), n))
        for reason, n in filtered.group_by("reason").len().iter_rows():
            yield beam.pvalue.TaggedOutput(COUNTS, (("filtered", reason), n))
        if dead.height:
            yield beam.pvalue.TaggedOutput(DEAD, dead.to_arrow())
        sources = pl.concat([chunk.records.select("source"), chunk.dead.select("source")])
        dead_in = dict(dead.group_by("source").len().iter_rows())
        for source, n in sources.group_by("source").len().iter_rows():
            yield beam.pvalue.TaggedOutput(FILES, (source, (n, dead_in.get(source, 0))))
        for source, day, n in posts.group_by("source", "day").len().iter_rows():
            yield beam.pvalue.TaggedOutput(COVERAGE, ((source, day.isoformat()), n))
        if posts.height:
            yield posts

    def _score(self, texts: pl.DataFrame) -> pl.DataFrame:
        """Model scores of the chunk's `texts` for the markers whose decision uses a model, with
        the sentence models `setup` loaded (only those a decision needs: an n-gram head needs
        none)."""
        if texts.is_empty():
            return NO_MODEL_SCORES
        return model_scores(texts, markers=self._modelled, encoders=self._encoders)


def decided_posts(posts: pl.DataFrame, model: pl.DataFrame, job: IngestJob) -> pl.DataFrame:
    """`posts` with each marker's column replaced by its decision (transforms.model_markers)."""
    decided = decide(posts, model, markers=job.markers, config=job.options.models, source=None)
    return posts.with_columns(decided.select(list(job.markers)))
