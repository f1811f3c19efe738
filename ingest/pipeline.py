"""The Beam batch job: post files → landing Parquet of daily aggregates, dead letters and counts.

    read → parse & validate (bad records → dead letters) → filter → pseudonymise → lexicon tag
         → drop repeated ids (shuffle by id) → decide & aggregate per local day (shuffle by day)
         → landing/{daily,dead_letters,counts,coverage}.parquet
    each day's author-days → blocks of 28 days of period starts and the 6 days after (shuffle by block)
         → distinct-author counts per period → landing/periods.parquet
                           → (DP mode) bounded, noisy base cells → landing/dp_daily.parquet
    the texts whose decisions need a model → distinct → RunInference → model scores, a side
         input of the decisions

Raw text and author ids stay inside the job: what it writes holds aggregates, counts, and dead
letters that carry a hash of the record, never its payload.
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

from ingest.inference import ScoreTextsWithModels, shard_texts
from ingest.sources import CHUNK_RECORDS, ParsedChunk, ReadPostChunks
from transforms.aggregate import (
    PERIOD_GRAINS,
    count_cells,
    expand_author_days,
    in_periods,
    wide_author_days,
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
    uses_model,
)
from transforms.posts import (
    PostOptions,
    drop_repeated_ids,
    lateness_horizon,
    prepare,
    refused_regions,
)
from transforms.presets import InputMapping
from transforms.records import EARLIEST_DATE, validate
from transforms.windows import local_date

log = logging.getLogger(__name__)

DEFAULT_RUNNER = "FnApiRunner"
ID_SHARDS = 16
DAY_SHARDS = 16
PERIOD_BLOCK_DAYS = 28
DEAD, COUNTS, COVERAGE, TEXTS, FILES = "dead", "counts", "coverage", "texts", "files"
AUTHOR_DAYS = "author_days"

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
    """ParsedChunk → tagged posts (main output), dead letters, counts, day coverage and
    per-file counts.

    In the batch job the texts that need a model go out as TEXTS, to be scored once per run;
    with `live` (the streaming job) the chunk's posts leave with their marker decisions made,
    any sentence model loaded once per worker. The markers are compiled once per worker, in
    `setup`."""

    def __init__(self, job: IngestJob, live: Live | None = None):
        self._job = job
        self._live = live
        self._encoders: dict = {}
        self._markers: CompiledMarkers | None = None

    def setup(self) -> None:
        self._markers = compile_markers(self._job.markers)

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
        if self._live is None:
            for shard in shard_texts(texts):
                yield beam.pvalue.TaggedOutput(TEXTS, shard)
        else:
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
        """Model scores of the chunk's `texts`, loading a language's sentence model the first
        time a marker's decision needs it (an n-gram head needs none)."""
        if texts.is_empty():
            return NO_MODEL_SCORES
        config = self._job.options.models
        modelled = modelled_markers(self._job.markers, config, None)
        langs = texts.get_column("lang").unique().to_list()
        missing = set(encoder_languages(modelled, config, langs)) - set(self._encoders)
        if missing:
            self._encoders.update(load_encoders(config, sorted(missing)))
        return model_scores(texts, markers=modelled, encoders=self._encoders)


def decided_posts(posts: pl.DataFrame, model: pl.DataFrame, job: IngestJob) -> pl.DataFrame:
    """`posts` with each marker's column replaced by its decision (transforms.model_markers)."""
    decided = decide(posts, model, markers=job.markers, config=job.options.models, source=None)
    return posts.with_columns(decided.select(list(job.markers)))


def shard_by_id(posts: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    """Split posts by a stable hash of their id, so that every copy of an id meets in one shard."""
    keyed = posts.with_columns((pl.col("id").hash(seed=20211) % ID_SHARDS).alias("_shard"))
    for (shard,), group in keyed.group_by("_shard"):
        yield int(shard), group.drop("_shard")


def dedupe_shard(item: tuple[int, Sequence[pl.DataFrame]]) -> Iterator:
    """Drop repeated ids within one shard; count duplicates and valid posts; key the rest,
    without the columns only dedupe needs (`id, source, line`), by day shard (days since 1970
    modulo DAY_SHARDS), so that every post of a day meets in one group and a group holds whole
    days."""
    _, frames = item
    kept, repeats = drop_repeated_ids(pl.concat(list(frames)))
    yield beam.pvalue.TaggedOutput(COUNTS, (("duplicate", "repeated id"), repeats))
    yield beam.pvalue.TaggedOutput(COUNTS, (("valid", ""), kept.height))
    day_shard = pl.col("day").cast(pl.Int32) % DAY_SHARDS
    for (shard,), group in kept.drop("id", "source", "line").group_by(day_shard.alias("_day")):
        yield int(shard), group


class AggregateDaysFn(beam.DoFn):
    """All posts of some whole local days, and the run's model scores → those days'
    aggregates as an Arrow table (main output), and, as AUTHOR_DAYS, (ISO day, that day's
    author-days in compact form: transforms.aggregate.wide_author_days) for each of those days.
    Days are grouped DAY_SHARDS ways rather than one by one: deciding and aggregating cost
    ~50 ms per call whatever its size, which one group per day paid 365 times a year."""

    def __init__(self, job: IngestJob):
        self._job = job

    def process(self, item: tuple, model: pl.DataFrame) -> Iterator:
        _, frames = item
        job = self._job
        rates = sample_rates(job.markers, job.options.models, None)
        posts = decided_posts(pl.concat(list(frames)), model, job)
        wide = wide_author_days(posts, job.markers, rates=rates)
        yield count_cells(wide, job.markers, rates=rates, run_id=job.run_id, grain="day").to_arrow()
        for (day,), rows in wide.group_by("day"):
            yield beam.pvalue.TaggedOutput(AUTHOR_DAYS, (day.isoformat(), rows))


def key_by_period_blocks(item: tuple[str, pl.DataFrame]) -> Iterator[tuple[int, pl.DataFrame]]:
    """(ISO day, author-days) → the author-days keyed by their period block: block `b` counts
    the periods starting on its PERIOD_BLOCK_DAYS days (from day ordinal `b` ×
    PERIOD_BLOCK_DAYS), which end at most 6 days later, so a day goes to its own block and, when
    it is one of a block's first 6 days, to the block before."""
    day, rows = item
    ordinal = date.fromisoformat(day).toordinal()
    block = ordinal // PERIOD_BLOCK_DAYS
    yield block, rows
    if ordinal - block * PERIOD_BLOCK_DAYS < 6:
        yield block - 1, rows


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


class AggregatePeriodFn(beam.DoFn):
    """(period block, the author-days of its days) → the aggregates of every period of
    PERIOD_GRAINS that starts in the block, as Arrow, one table per grain."""

    def __init__(self, job: IngestJob):
        self._job = job

    def process(self, item: tuple) -> Iterator[pa.Table]:
        block, frames = item
        job = self._job
        rows = pl.concat(list(frames), how="diagonal_relaxed")
        first = date.fromordinal(block * PERIOD_BLOCK_DAYS)
        last = first + timedelta(days=PERIOD_BLOCK_DAYS - 1)
        for grain in PERIOD_GRAINS:
            periods = in_periods(rows, grain).filter(pl.col("period_start").is_between(first, last))
            yield count_cells(
                periods,
                job.markers,
                rates=sample_rates(job.markers, job.options.models, None),
                run_id=job.run_id,
                grain=grain,
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
        >> beam.ParDo(PrepareChunkFn(job)).with_outputs(
            COUNTS, DEAD, COVERAGE, TEXTS, FILES, main="posts"
        )
    )
    scored = modelled_markers(job.markers, job.options.models, None)
    modelled = sorted(
        frozenset().union(*(uses_model(m, job.options.models, None) for m in scored.values()))
    )
    model_scores = (
        prepared[TEXTS]
        | "ScoreTextsWithModels" >> ScoreTextsWithModels(scored, job.options.models, modelled)
        if modelled
        else pipeline | "NoModelScores" >> beam.Create([NO_MODEL_SCORES])
    )
    deduped = (
        prepared.posts
        | "ShardById" >> beam.FlatMap(shard_by_id)
        | "GroupById" >> beam.GroupByKey()
        | "DropRepeatedIds" >> beam.FlatMap(dedupe_shard).with_outputs(COUNTS, main="days")
    )
    days = (
        deduped.days
        | "GroupByDay" >> beam.GroupByKey()
        | "AggregateDays"
        >> beam.ParDo(
            AggregateDaysFn(job), model=beam.pvalue.AsSingleton(model_scores)
        ).with_outputs(AUTHOR_DAYS, main="daily")
    )
    days.daily | "WriteDaily" >> WriteTable(job.landing_dir, "daily", _arrow_schema(DAILY_SCHEMA))
    author_days = days[AUTHOR_DAYS]
    (
        author_days
        | "NoisyDays" >> beam.ParDo(NoisyDayFn(job))
        | "WriteDpDaily" >> WriteTable(job.landing_dir, "dp_daily", _arrow_schema(DP_CELL_SCHEMA))
    )
    (
        author_days
        | "KeyByPeriodBlocks" >> beam.FlatMap(key_by_period_blocks)
        | "GroupByPeriodBlock" >> beam.GroupByKey()
        | "AggregatePeriods" >> beam.ParDo(AggregatePeriodFn(job))
        | "WritePeriods" >> WriteTable(job.landing_dir, "periods", _arrow_schema(PERIOD_SCHEMA))
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
    with beam.Pipeline(options=options) as pipeline:
        build(pipeline, job)
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
