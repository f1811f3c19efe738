"""The Beam batch job: post files → landing Parquet of daily aggregates, dead letters and counts.

    read → parse & validate (bad records → dead letters) → filter → pseudonymise → lexicon tag
         → score the chunk's texts that need a model, decide → compact rows (no text, no ids)
    each post's (hashed id, line) → shuffle by id → the lines of repeated ids, a side input
    each post's compact row → blocks of BLOCK_DAYS days and their weeks' days (shuffle by block)
         → minus repeated ids → per-author counts → daily cells, weekly cells
              → per 8-week period: the block's sums of daily cells and OR-ed author masks
                (shuffle by 56 days of period starts) → 8-week cells
         → landing/{daily,periods,dead_letters,counts,coverage,files}.parquet
                           → (DP mode) bounded, noisy base cells → landing/dp_daily.parquet

Raw text and author ids stay inside the chunk that read them: the shuffles carry hashes, days,
cells and decisions, and what the job writes holds aggregates, counts, and dead letters that
carry a hash of the record, never its payload. The id, block and 8-week shuffles carry only
where their frames are: each is spilled to a file under the landing location while the job runs
(ingest.spill), so that the runner does not hold the corpus's rows in memory.

This module only wires the steps (build) and runs them (run_ingest). The steps live apart:
ingest.sources reads the chunks, ingest.chunks prepares them (PrepareChunkFn, shared with the
streaming job), ingest.blocks shuffles and counts, ingest.landing writes the landing files and
ingest.runner reads the Beam flags; ingest.job holds the job's settings (IngestJob).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import apache_beam as beam
import polars as pl
import pyarrow as pa
from apache_beam.options.pipeline_options import StandardOptions

from ingest import blocks
from ingest.chunks import PrepareChunkFn
from ingest.job import IngestJob
from ingest.landing import (
    COUNTS,
    COUNTS_SCHEMA,
    COVERAGE,
    DEAD,
    FILES,
    WriteLanding,
    coverage_table,
    files_table,
)
from ingest.runner import pipeline_options, worker_errors_unlogged
from ingest.sources import ReadPostChunks
from ingest.spill import remove_spill
from ingest.worker_errors import worker_error

log = logging.getLogger(__name__)


def _add_pairs(pairs) -> tuple[int, int]:
    read = dead = 0
    for a, b in pairs:
        read, dead = read + a, dead + b
    return read, dead


def build(pipeline: beam.Pipeline, job: IngestJob) -> None:
    """Add the ingest job's transforms to `pipeline`."""
    prepared = (
        pipeline
        | "ReadPostChunks"
        >> ReadPostChunks(list(job.inputs), chunk_records=job.chunk_records, mappings=job.mappings)
        | "PrepareChunks"
        >> beam.ParDo(PrepareChunkFn(job))
        .with_output_types(pl.DataFrame)
        .with_outputs(COUNTS, DEAD, COVERAGE, FILES, main="posts")
    )
    keyed = prepared.posts | "KeyPosts" >> beam.FlatMap(
        blocks.key_posts, markers=tuple(job.markers), spill_dir=job.spill_dir
    ).with_outputs(blocks.IDS, main="rows")
    deduped = (
        keyed[blocks.IDS]
        | "GroupById" >> beam.GroupByKey()
        | "RepeatedIds" >> beam.FlatMap(blocks.repeated_lines).with_outputs(COUNTS, main="repeats")
    )
    aggregated = (
        keyed.rows
        | "GroupByBlock" >> beam.GroupByKey()
        | "AggregateBlocks"
        >> beam.ParDo(
            blocks.AggregateBlockFn(job), repeats=beam.pvalue.AsList(deduped.repeats)
        ).with_outputs(blocks.AUTHOR_DAYS, blocks.WEEK_CELLS, blocks.EIGHT_WEEK_PARTS, main="daily")
    )
    eight_weeks = (
        aggregated[blocks.EIGHT_WEEK_PARTS]
        | "GroupByEightWeekShard" >> beam.GroupByKey()
        | "CountEightWeekAuthors" >> beam.Map(blocks.count_authors, markers=tuple(job.markers))
        | "GroupByEightWeekWindow" >> beam.GroupByKey()
        | "CountEightWeeks" >> beam.Map(blocks.count_periods, run_id=job.run_id)
    )
    counts = (
        (prepared[COUNTS], deduped[COUNTS])
        | "AllCounts" >> beam.Flatten()
        | "SumCounts" >> beam.CombinePerKey(sum)
        | "CountsTable"
        >> beam.Map(lambda kv: pa.table([[kv[0][0]], [kv[0][1]], [kv[1]]], schema=COUNTS_SCHEMA))
    )
    coverage = (
        prepared[COVERAGE]
        | "SumCoverage" >> beam.CombinePerKey(sum)
        | "CoverageTable" >> beam.Map(coverage_table)
    )
    files = (
        prepared[FILES]
        | "SumPerFile" >> beam.CombinePerKey(_add_pairs)
        | "FilesTable" >> beam.Map(files_table)
    )
    tables = {
        "daily": aggregated.daily,
        "periods": (aggregated[blocks.WEEK_CELLS], eight_weeks) | "AllPeriods" >> beam.Flatten(),
        "dead_letters": prepared[DEAD],
        "counts": counts,
        "coverage": coverage,
        "files": files,
    }
    if job.dp_budget is not None:
        tables["dp_daily"] = aggregated[blocks.AUTHOR_DAYS] | "NoisyDays" >> beam.ParDo(
            blocks.NoisyDayFn(job)
        )
    tables | "WriteLanding" >> WriteLanding(job.landing_dir)


def run_ingest(job: IngestJob, *, beam_args: Sequence[str] = ()) -> str:
    """Run the ingest job to completion and return its landing location (`job.landing_dir`).
    Its spilled frames are removed either way; where a failed job's cannot be, that is logged
    and the job's own error raised. A step's error on a worker is raised as the error to report
    (ingest.worker_errors.worker_error: one of moodcast's family as itself or its kind, such as
    a static or finetune head's model folder missing on a remote worker; any other as a
    WorkerError naming the step), from the runner's failure."""
    options = pipeline_options(beam_args)
    log.info(
        "ingest: %d input pattern(s) on %s",
        len(job.inputs),
        options.view_as(StandardOptions).runner,
    )
    try:
        with worker_errors_unlogged(), beam.Pipeline(options=options) as pipeline:
            build(pipeline, job)
    except BaseException as exc:
        try:
            remove_spill(job.spill_dir)
        except Exception as spill:
            log.error("ingest failed; its spilled frames in %s remain: %s", job.spill_dir, spill)
        worker = worker_error(exc)
        if worker is None:
            raise
        raise worker from exc
    remove_spill(job.spill_dir)
    return job.landing_dir
