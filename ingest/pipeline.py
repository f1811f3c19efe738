"""The Beam batch job: post files → landing Parquet of daily aggregates, dead letters and counts.

    read → parse & validate (bad records → dead letters) → filter → pseudonymise → lexicon tag
         → score the chunk's texts that need a model, decide → compact rows (no text, no ids)
    each post's (hashed id, line) → shuffle by id → the lines of repeated ids, a side input
    each post's compact row → blocks of BLOCK_DAYS days and their weeks' days (shuffle by block)
         → minus repeated ids → per-author counts → daily cells, weekly cells
              → per 8-week period: the block's sums of daily cells and OR-ed author masks
                (shuffle by 56 days of period starts) → 8-week cells
         → landing/{daily,periods,dead_letters,counts,coverage}.parquet
                           → (DP mode) bounded, noisy base cells → landing/dp_daily.parquet

Raw text and author ids stay inside the chunk that read them: the shuffles carry hashes, days,
cells and decisions, and what the job writes holds aggregates, counts, and dead letters that
carry a hash of the record, never its payload. The id, block and 8-week shuffles carry only
where their frames are: each is spilled to a file under the landing location while the job runs
(ingest.spill), so that the runner does not hold the corpus's rows in memory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import apache_beam as beam
import polars as pl
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from ingest.sources import CHUNK_RECORDS, ParsedChunk, ReadPostChunks
from ingest.spill import Spilled, packed, read_spilled, remove_spill, spill, unpacked
from transforms.aggregate import (
    EIGHT_WEEKS,
    author_counts,
    author_hash,
    author_periods,
    count_cells,
    counted_periods,
    expand_author_days,
    period_sums,
    periods_of,
    summed_daily,
    wide_author_days,
    with_masks,
)
from transforms.contracts import DAILY_SCHEMA, DEAD_LETTER_SCHEMA, MAX_TEXT_CHARS, PERIOD_SCHEMA
from transforms.dp import DP_CELL_SCHEMA, Budget, DayNoise, bounded_cells, noisy_day
from transforms.errors import ConfigError
from transforms.markers import CompiledMarkers, Marker, compile_markers
from transforms.model_markers import (
    decide,
    encoder_languages,
    load_encoders,
    model_scores,
    modelled_markers,
    sample_rates,
    tuned_encoders,
    uses_model,
)
from transforms.posts import (
    PostOptions,
    lateness_horizon,
    prepare,
    refused_regions,
    repeated_ids,
)
from transforms.presets import InputMapping
from transforms.records import EARLIEST_DATE, validate
from transforms.windows import local_date

log = logging.getLogger(__name__)

DEFAULT_RUNNER = "FnApiRunner"
ID_SHARDS = 16
BLOCK_DAYS = 28
"""Days per block, a whole number of weeks: a block counts its days and the weeks starting on
them in one group (AggregateBlockFn). The job's memory grows with one block's working set;
fewer, larger blocks cost less CPU (measured in docs/throughput.md)."""
BLOCK_SHARD_POSTS = 100_000
"""Posts a block counts in one part at most: a larger block's posts are counted in parts by
their author's hash and the parts' counts summed, so a block's polars working set stays about
the same as the input grows (docs/throughput.md)."""
WEEKS = tuple(EIGHT_WEEKS)
"""The week grains, counted in blocks; their 8-week grains are counted across blocks."""
PERIOD_WINDOW_DAYS = 56
"""8-week periods are counted together by the 56 days their `period_start` falls in
(count_periods), each window's authors first in AUTHOR_SHARDS parts by their hash
(count_authors)."""
AUTHOR_SHARDS = 8
"""Parts of each 8-week window's authors, counted apart: the largest call holds about 1 /
AUTHOR_SHARDS of a period's author rows (docs/throughput.md)."""
DEAD, COUNTS, COVERAGE, FILES, IDS = "dead", "counts", "coverage", "files", "ids"
AUTHOR_DAYS, WEEK_CELLS, EIGHT_WEEK_PARTS = "author_days", "week_cells", "eight_week_parts"

NO_MODEL_SCORES = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
REGION_REFUSED = "region not allowed, counted as unknown"
COUNTS_SCHEMA = pa.schema([("category", pa.string()), ("reason", pa.string()), ("n", pa.int64())])
COVERAGE_SCHEMA = pa.schema(
    [("source", pa.string()), ("day", pa.date32()), ("n_records", pa.int64())]
)
FILES_SCHEMA = pa.schema(
    [("source", pa.string()), ("n_read", pa.int64()), ("n_dead_lettered", pa.int64())]
)


@dataclass(frozen=True)
class IngestJob:
    """Everything the job needs. `key` is the HMAC key for author pseudonyms; `source_tz` is the
    zone of naive timestamps; `options.tz` the analysis zone that local days are counted in;
    texts longer than `max_text_chars` are dead letters;
    `mappings` gives the preset or user mapping (transforms.presets) of each input path whose
    field names are not the Post contract's, or whose posts have a default language; posts
    dated before `earliest` are dead letters (transforms.records.validate); `dp_budget`, when
    set, adds the differentially private daily cells (transforms.dp) to the landing files."""

    inputs: Sequence[str]
    landing_dir: str
    markers: Mapping[str, Marker]
    key: bytes
    run_id: str
    options: PostOptions
    source_tz: str = "UTC"
    max_text_chars: int = MAX_TEXT_CHARS
    chunk_records: int = CHUNK_RECORDS
    mappings: Mapping[str, InputMapping] = field(default_factory=dict)
    dp_budget: Budget | None = None
    earliest: date = EARLIEST_DATE

    @property
    def spill_dir(self) -> str:
        """Where the job spills its shuffled frames while it runs (ingest.spill): inside the
        landing location, which a remote runner's workers reach too."""
        return f"{self.landing_dir.rstrip('/')}/spill"


@dataclass(frozen=True)
class Live:
    """How the streaming job prepares posts: each chunk's options come from `clock` (seconds
    since the epoch), with today as `as_of` and days closed longer than `allowed_lateness`
    filtered as too late; marker decisions are made per chunk (transforms.model_markers)."""

    allowed_lateness: timedelta
    clock: Callable[[], float] = time.time

    def options(self, base: PostOptions) -> PostOptions:
        """`base` as of the clock's local day in `base.tz`."""
        today = local_date(self.clock(), tz=base.tz)
        return replace(base, as_of=today, earliest=lateness_horizon(today, self.allowed_lateness))


class PrepareChunkFn(beam.DoFn):
    """ParsedChunk → decided posts (main output), dead letters, counts, day coverage and
    per-file counts.

    The chunk's posts leave with their marker decisions made (transforms.model_markers): the
    distinct texts that need a model are scored in the chunk, any sentence model loaded once
    per worker, so that no text leaves it. With `live` (the streaming job) the options follow
    the clock. The markers are compiled once per worker, in `setup`."""

    def __init__(self, job: IngestJob, live: Live | None = None):
        self._job = job
        self._live = live
        self._encoders: dict = {}
        self._markers: CompiledMarkers | None = None
        self._modelled: dict = {}

    def setup(self) -> None:
        self._markers = compile_markers(self._job.markers)
        models = self._job.options.models
        modelled = self._modelled = modelled_markers(self._job.markers, models, None)
        languages = frozenset().union(*(uses_model(m, models, None) for m in modelled.values()))
        self._encoders = load_encoders(models, encoder_languages(modelled, models, languages))
        tuned_encoders(modelled, self._encoders)

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
        for (reason,), group in dead.group_by("reason"):
            yield beam.pvalue.TaggedOutput(COUNTS, (("dead_letter", reason), group.height))
        for (reason,), group in filtered.group_by("reason"):
            yield beam.pvalue.TaggedOutput(COUNTS, (("filtered", reason), group.height))
        if dead.height:
            yield beam.pvalue.TaggedOutput(DEAD, dead.to_arrow())
        sources = pl.concat([chunk.records.select("source"), chunk.dead.select("source")])
        for (source,), group in sources.group_by("source"):
            n_dead = dead.filter(pl.col("source") == source).height
            yield beam.pvalue.TaggedOutput(FILES, (source, (group.height, n_dead)))
        for (source, day), group in posts.group_by("source", "day"):
            yield beam.pvalue.TaggedOutput(COVERAGE, ((source, day.isoformat()), group.height))
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


def key_posts(posts: pl.DataFrame, markers: Sequence[str], spill_dir: str) -> Iterator:
    """Decided posts → what the shuffles carry, per source, each frame spilled into one file
    under `spill_dir` (ingest.spill) and carried as its `Spilled` address: `(id shard, (source,
    ids))` as IDS, `ids` being `id` (a 64-bit hash of the post id: two posts collide with a
    chance of ~3e-8 in a million) and `line`, so that every copy of an id meets in one shard;
    and `(block, (source, rows))` as the main output, `rows` being `line, day, region, lang,
    author` (author_hash) and the decisions, for the block of the post's day and of each week it
    belongs to (key_by_blocks)."""
    keyed = []
    for (source,), group in posts.group_by("source"):
        ids = group.select(pl.col("id").hash(seed=20211), "line")
        for (shard,), part in ids.group_by(pl.col("id") % ID_SHARDS):
            keyed.append((IDS, int(shard), source, part))
        rows = group.select(
            "line",
            "day",
            pl.col("region").cast(pl.Categorical),
            pl.col("lang").cast(pl.Categorical),
            author_hash(),
            *markers,
        )
        keyed += ((None, block, source, part) for block, part in key_by_blocks(rows))
    addresses = spill(spill_dir, [frame for *_, frame in keyed])
    for (tag, key, source, _), where in zip(keyed, addresses, strict=True):
        item = (key, (source, where))
        yield item if tag is None else beam.pvalue.TaggedOutput(tag, item)


def key_by_blocks(rows: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    """Rows with a `day` → the rows of each block: block `b` counts the days from day ordinal
    `b` × BLOCK_DAYS on and the weeks starting on them, so a row goes to the block of its day
    and to the block of each week it belongs to (blocks_of)."""
    days = rows.get_column("day").unique().to_list()
    blocks = pl.DataFrame(
        {"day": days, "_block": [blocks_of(day) for day in days]},
        schema={"day": pl.Date, "_block": pl.List(pl.Int64)},
    ).explode("_block")
    for (block,), part in rows.join(blocks, on="day").group_by("_block"):
        yield int(block), part.drop("_block")


def blocks_of(day: date) -> list[int]:
    """The blocks that need `day`'s rows: its own and those where its weeks (WEEKS) start.
    Blocks start on a Sunday (ordinal BLOCK_DAYS × b, a whole number of weeks), so an epi-week
    never leaves its block and only a block's first day, the Sunday that ends an ISO week begun
    in the block before, goes to two blocks (1 / BLOCK_DAYS of the rows shuffled twice)."""
    starts = [s for grain in WEEKS for s in periods_of(day, grain)]
    return sorted({d.toordinal() // BLOCK_DAYS for d in (day, *starts)})


def repeated_lines(item: tuple[int, Sequence[tuple[str, Spilled]]]) -> Iterator:
    """One id shard's `(source, ids)` (key_posts) → the `source, line` of its repeated ids
    (transforms.posts.repeated_ids: every copy of an id after its first in `source`, `line`
    order) as a frame, when there are any; and the counts of duplicates and of valid posts."""
    _, pieces = item
    frames = read_spilled(where for _, where in pieces)
    ids = pl.concat(
        [
            frame.with_columns(pl.lit(source).alias("source"))
            for (source, _), frame in zip(pieces, frames, strict=True)
        ]
    )
    repeats = repeated_ids(ids)
    yield beam.pvalue.TaggedOutput(COUNTS, (("duplicate", "repeated id"), repeats.height))
    yield beam.pvalue.TaggedOutput(COUNTS, (("valid", ""), ids.height - repeats.height))
    if repeats.height:
        yield repeats


class AggregateBlockFn(beam.DoFn):
    """(block, its spilled `(source, rows)`: key_posts) and the run's repeated lines → the daily
    cells of the block's days (main output, Arrow); the cells of the weeks (WEEKS) starting on
    them (WEEK_CELLS, Arrow); in DP mode only, as AUTHOR_DAYS, (ISO day, that day's author-days
    in compact form: transforms.aggregate.wide_author_days) for each of its days; and as
    EIGHT_WEEK_PARTS, per PERIOD_WINDOW_DAYS window of 8-week period starts, `(window, (sums,
    authors))`: its days' part of those periods (transforms.aggregate.period_sums of its daily
    cells, author_periods of its author-days), both spilled (ingest.spill). Whole blocks make
    few, large calls: counting costs tens of milliseconds per call whatever its size. A block of
    more than BLOCK_SHARD_POSTS posts is counted in parts by author hash (_block_parts), the
    parts' cells summed (summed_daily, counted_periods): each part holds its own authors."""

    def __init__(self, job: IngestJob):
        self._job = job

    def process(self, item: tuple, repeats: Sequence[pl.DataFrame]) -> Iterator:
        block, pieces = item
        job = self._job
        rates = sample_rates(job.markers, job.options.models, None)
        first = date.fromordinal(block * BLOCK_DAYS)
        last = first + timedelta(days=BLOCK_DAYS - 1)
        own, starts = (pl.col(c).is_between(first, last) for c in ("day", "period_start"))
        names = list(job.markers)
        daily, days, weeks = [], [], {grain: ([], []) for grain in WEEKS}
        for part in _block_parts(pieces, repeats):
            wide = wide_author_days(part, job.markers, rates=rates)
            held = count_cells(wide, job.markers, rates=rates, run_id=job.run_id, grain="day")
            if held.is_empty():
                continue
            daily.append(held.filter(own))
            if job.dp_budget is not None:
                days.append(wide.filter(own))
            masked = with_masks(wide, names)
            for grain in WEEKS:
                weeks[grain][0].append(period_sums(held, grain).filter(starts))
                authors = author_periods(masked, grain).filter(starts)
                weeks[grain][1].append(author_counts(authors, names))
            if not daily[-1].is_empty():
                yield from _eight_week_parts(masked.filter(own), daily[-1], job.spill_dir)
        if not daily:
            return
        yield summed_daily(daily).to_arrow()
        if days:
            for (day,), rows in pl.concat(days).group_by("day"):
                yield beam.pvalue.TaggedOutput(AUTHOR_DAYS, (day.isoformat(), rows))
        for sums, counts in weeks.values():
            cells = counted_periods(pl.concat(sums), pl.concat(counts), run_id=job.run_id)
            yield beam.pvalue.TaggedOutput(WEEK_CELLS, cells.to_arrow())


def _block_parts(
    pieces: Sequence[tuple[str, Spilled]], repeats: Sequence[pl.DataFrame]
) -> Iterator[pl.DataFrame]:
    """A block's spilled `(source, rows)` (key_posts) minus the repeated lines → its posts in
    ⌈posts ÷ BLOCK_SHARD_POSTS⌉ parts by author hash (the posts without an author in part 0),
    without `line`, region and language as text. Each frame is split as it is read, so the
    block is held once in its compact form, never whole at full width."""
    dropped = pl.concat([pl.DataFrame(schema={"source": pl.String, "line": pl.Int64}), *repeats])
    lines = {source: group for (source,), group in dropped.group_by("source")}
    n_parts = max(1, -(-sum(where.rows for _, where in pieces) // BLOCK_SHARD_POSTS))
    part = (pl.col("author").fill_null(0) % n_parts).cast(pl.Int64).alias("_part")
    parts: dict[int, list[pl.DataFrame]] = {}
    frames = read_spilled(where for _, where in pieces)
    for (source, _), frame in zip(pieces, frames, strict=True):
        if source in lines:
            frame = frame.join(lines[source], on="line", how="anti")
        split = frame.drop("line").with_columns(part)
        for (p,), rows in split.partition_by("_part", as_dict=True, include_key=False).items():
            parts.setdefault(p, []).append(rows)
    for p in sorted(parts):
        yield pl.concat(parts.pop(p)).with_columns(pl.col("region", "lang").cast(pl.String))


def _eight_week_parts(masked: pl.DataFrame, daily: pl.DataFrame, spill_dir: str) -> Iterator:
    """A block's part of the 8-week periods its days belong to, from its own days' author-days
    `with_masks` and daily cells, as EIGHT_WEEK_PARTS: `((window, shard), (sums, authors))`, the
    authors split into AUTHOR_SHARDS by their hash and the sums sent with shard 0, both spilled
    into one file under `spill_dir` (ingest.spill) and carried as their addresses."""
    grains = EIGHT_WEEKS.values()
    window = (pl.col("period_start").cast(pl.Int64) // PERIOD_WINDOW_DAYS).alias("_window")
    shard = (pl.col("author") % AUTHOR_SHARDS).cast(pl.Int64).alias("_shard")
    sums = pl.concat(period_sums(daily, grain) for grain in grains)
    authors = pl.concat(author_periods(masked, grain) for grain in grains)
    split = {"as_dict": True, "include_key": False}
    by_window = sums.with_columns(window).partition_by("_window", **split)
    parts = authors.with_columns(window, shard).partition_by("_window", "_shard", **split)
    keys = [(int(key), s) for (key,) in by_window for s in range(AUTHOR_SHARDS)]
    frames = []
    for key, s in keys:
        part = by_window[(key,)]
        frames += (part if s == 0 else part.clear(), parts.get((key, s), authors.clear()))
    addresses = spill(spill_dir, frames)
    for key, sums, rows in zip(keys, addresses[0::2], addresses[1::2], strict=True):
        yield beam.pvalue.TaggedOutput(EIGHT_WEEK_PARTS, (key, (sums, rows)))


def count_authors(item: tuple[tuple[int, int], Sequence[tuple[Spilled, Spilled]]], job: IngestJob):
    """One window and author shard's spilled `(sums, authors)` from every block
    (AggregateBlockFn) → `(window, (sums, counts))`, the counts being that shard's authors per
    cell (transforms.aggregate.author_counts), both `packed`: each shard holds a fraction of the
    period's authors, so no call holds them all."""
    (window, _), pieces = item
    frames = list(read_spilled(where for pair in pieces for where in pair))
    sums, authors = pl.concat(frames[0::2]), pl.concat(frames[1::2])
    return window, (packed(sums), packed(author_counts(authors, list(job.markers))))


def count_periods(item: tuple[int, Sequence[tuple[bytes, bytes]]], job: IngestJob) -> pa.Table:
    """One window's `(sums, counts)` from every author shard (count_authors) → the cells of the
    8-week periods starting in it (transforms.aggregate.counted_periods, PERIOD_SCHEMA), Arrow."""
    _, pieces = item
    sums = pl.concat(unpacked(data) for data, _ in pieces)
    counts = pl.concat(unpacked(data) for _, data in pieces)
    return counted_periods(sums, counts, run_id=job.run_id).to_arrow()


class NoisyDayFn(beam.DoFn):
    """(ISO day, author-days) → the day's differentially private base cells (transforms.dp) as
    Arrow, when the job publishes in DP mode; nothing otherwise."""

    def __init__(self, job: IngestJob):
        self._job = job
        self._noise = None
        if job.dp_budget is not None:
            self._noise = DayNoise(job.dp_budget, n_markers=len(job.markers))
            _ = self._noise.scale  # calibrated once, here, and pickled with the DoFn

    def process(self, item: tuple[str, pl.DataFrame]) -> Iterator[pa.Table]:
        if self._noise is None:
            return
        _, rows = item
        job = self._job
        rates = sample_rates(job.markers, job.options.models, None)
        yield noisy_day(
            bounded_cells(expand_author_days(rows, rates=rates)),
            {name: marker.version for name, marker in self._job.markers.items()},
            noise=self._noise,
            run_id=self._job.run_id,
        ).to_arrow()


def files_table(item: tuple[str, tuple[int, int]]) -> pa.Table:
    """(source, (n_read, n_dead_lettered)) → a one-row table of per-file counts."""
    source, (n_read, n_dead) = item
    return pa.table([[source], [n_read], [n_dead]], schema=FILES_SCHEMA)


def _add_pairs(pairs) -> tuple[int, int]:
    read = dead = 0
    for a, b in pairs:
        read, dead = read + a, dead + b
    return read, dead


def coverage_table(item: tuple[tuple[str, str], int]) -> pa.Table:
    """((source, ISO day), n_records) → a one-row coverage table."""
    (source, day), n = item
    return pa.table([[source], [date.fromisoformat(day)], [n]], schema=COVERAGE_SCHEMA)


def _arrow_schema(schema: Mapping[str, pl.DataType]) -> pa.Schema:
    return pl.DataFrame(schema=schema).to_arrow().schema


class WriteTable(beam.PTransform):
    """Write Arrow tables to exactly one Parquet file `<landing>/<name>.parquet` (empty if none)."""

    def __init__(self, landing_dir: str, name: str, schema: pa.Schema):
        super().__init__()
        self._prefix = f"{landing_dir.rstrip('/')}/{name}"
        self._schema = schema

    def expand(self, tables):
        return tables | beam.io.WriteToParquetBatched(
            self._prefix,
            schema=self._schema,
            file_name_suffix=".parquet",
            num_shards=1,
            shard_name_template="",
        )


def build(pipeline: beam.Pipeline, job: IngestJob) -> None:
    """Add the ingest job's transforms to `pipeline`."""
    prepared = (
        pipeline
        | "ReadPostChunks"
        >> ReadPostChunks(list(job.inputs), chunk_records=job.chunk_records, mappings=job.mappings)
        | "PrepareChunks"
        >> beam.ParDo(PrepareChunkFn(job)).with_outputs(COUNTS, DEAD, COVERAGE, FILES, main="posts")
    )
    keyed = prepared.posts | "KeyPosts" >> beam.FlatMap(
        key_posts, markers=tuple(job.markers), spill_dir=job.spill_dir
    ).with_outputs(IDS, main="rows")
    deduped = (
        keyed[IDS]
        | "GroupById" >> beam.GroupByKey()
        | "RepeatedIds" >> beam.FlatMap(repeated_lines).with_outputs(COUNTS, main="repeats")
    )
    blocks = (
        keyed.rows
        | "GroupByBlock" >> beam.GroupByKey()
        | "AggregateBlocks"
        >> beam.ParDo(
            AggregateBlockFn(job), repeats=beam.pvalue.AsList(deduped.repeats)
        ).with_outputs(AUTHOR_DAYS, WEEK_CELLS, EIGHT_WEEK_PARTS, main="daily")
    )
    blocks.daily | "WriteDaily" >> WriteTable(job.landing_dir, "daily", _arrow_schema(DAILY_SCHEMA))
    eight_weeks = (
        blocks[EIGHT_WEEK_PARTS]
        | "GroupByEightWeekShard" >> beam.GroupByKey()
        | "CountEightWeekAuthors" >> beam.Map(count_authors, job=job)
        | "GroupByEightWeekWindow" >> beam.GroupByKey()
        | "CountEightWeeks" >> beam.Map(count_periods, job=job)
    )
    (
        (blocks[WEEK_CELLS], eight_weeks)
        | "AllPeriods" >> beam.Flatten()
        | "WritePeriods" >> WriteTable(job.landing_dir, "periods", _arrow_schema(PERIOD_SCHEMA))
    )
    (
        blocks[AUTHOR_DAYS]
        | "NoisyDays" >> beam.ParDo(NoisyDayFn(job))
        | "WriteDpDaily" >> WriteTable(job.landing_dir, "dp_daily", _arrow_schema(DP_CELL_SCHEMA))
    )
    prepared[DEAD] | "WriteDeadLetters" >> WriteTable(
        job.landing_dir, "dead_letters", _arrow_schema(DEAD_LETTER_SCHEMA)
    )
    (
        (prepared[COUNTS], deduped[COUNTS])
        | "AllCounts" >> beam.Flatten()
        | "SumCounts" >> beam.CombinePerKey(sum)
        | "CountsTable"
        >> beam.Map(lambda kv: pa.table([[kv[0][0]], [kv[0][1]], [kv[1]]], schema=COUNTS_SCHEMA))
        | "WriteCounts" >> WriteTable(job.landing_dir, "counts", COUNTS_SCHEMA)
    )
    (
        prepared[COVERAGE]
        | "SumCoverage" >> beam.CombinePerKey(sum)
        | "CoverageTable" >> beam.Map(coverage_table)
        | "WriteCoverage" >> WriteTable(job.landing_dir, "coverage", COVERAGE_SCHEMA)
    )
    (
        prepared[FILES]
        | "SumPerFile" >> beam.CombinePerKey(_add_pairs)
        | "FilesTable" >> beam.Map(files_table)
        | "WriteFiles" >> WriteTable(job.landing_dir, "files", FILES_SCHEMA)
    )


def pipeline_options(beam_args: Sequence[str]) -> PipelineOptions:
    """Beam options from the flags given after `--`, passed through untouched; the runner
    defaults to the in-process FnApiRunner (never Beam's default, which downloads Prism)."""
    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = DEFAULT_RUNNER
    return options


def run_ingest(job: IngestJob, *, beam_args: Sequence[str] = ()) -> str:
    """Run the ingest job to completion and return its landing location (`job.landing_dir`)."""
    options = pipeline_options(beam_args)
    log.info(
        "ingest: %d input pattern(s) on %s",
        len(job.inputs),
        options.view_as(StandardOptions).runner,
    )
    try:
        with beam.Pipeline(options=options) as pipeline:
            build(pipeline, job)
    finally:
        remove_spill(job.spill_dir)
    return job.landing_dir


LOCAL_RUNNERS = {
    "fnapirunner",
    "directrunner",
    "bundlebaseddirectrunner",
    "switchingdirectrunner",
    "prismrunner",
}


def is_remote(beam_args: Sequence[str]) -> bool:
    """Whether the Beam flags name a runner whose workers run elsewhere (Dataflow, Flink, Spark)."""
    runner = pipeline_options(beam_args).view_as(StandardOptions).runner or DEFAULT_RUNNER
    return str(runner).rsplit(".", 1)[-1].lower() not in LOCAL_RUNNERS


LANDING_FILES = (
    "daily.parquet",
    "periods.parquet",
    "dp_daily.parquet",
    "dead_letters.parquet",
    "counts.parquet",
    "coverage.parquet",
    "files.parquet",
)


def landing_location(beam_args: Sequence[str], *, local_dir: Path, run_id: str) -> str:
    """Where the job writes its landing files: `local_dir/run_id` on a local runner; on a remote
    runner, `<--temp_location>/moodcast-landing/<run_id>`, which workers and this host both reach.

    Raises ConfigError when a remote runner is named without `--temp_location`.
    """
    if not check_runner(beam_args):
        return str(local_dir / run_id)
    temp = pipeline_options(beam_args).get_all_options()["temp_location"]
    return f"{temp.rstrip('/')}/moodcast-landing/{run_id}"


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


def fetch_landing(location: str, local_dir: Path) -> Path:
    """The landing files as local files: `location` itself when local, else copied into
    `local_dir` (any filesystem Beam supports)."""
    if Path(location) == local_dir:
        return local_dir
    local_dir.mkdir(parents=True, exist_ok=True)
    for name in LANDING_FILES:
        with (
            FileSystems.open(f"{location}/{name}") as source,
            (local_dir / name).open("wb") as target,
        ):
            while block := source.read(1 << 20):
                target.write(block)
    return local_dir
