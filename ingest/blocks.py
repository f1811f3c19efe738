"""The job's shuffles and counting: decided posts → keyed, spilled frames (key_posts) → the
lines of repeated ids (repeated_lines) → per-block daily and weekly cells (AggregateBlockFn) →
8-week cells counted across blocks by window and author shard (count_authors, count_periods);
in DP mode, the noisy base cells of each day (NoisyDayFn). Each shuffle carries the addresses
of frames spilled under the landing location (ingest.spill), never the rows themselves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

import apache_beam as beam
import polars as pl
import pyarrow as pa

from ingest.job import IngestJob
from ingest.landing import COUNTS
from ingest.spill import Spilled, packed, read_spilled, spill, unpacked
from ingest.worker_errors import ours_ungrouped
from transforms.aggregate import (
    author_hash,
    count_cells,
    expand_author_days,
    summed_daily,
    wide_author_days,
)
from transforms.author_masks import with_masks
from transforms.dp import DayNoise, bounded_cells, noisy_day
from transforms.model_markers import sample_rates
from transforms.periods import (
    EIGHT_WEEKS,
    author_counts,
    author_periods,
    counted_periods,
    in_periods,
    period_sums,
    periods_of,
)
from transforms.posts import repeated_ids

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
IDS = "ids"
AUTHOR_DAYS, WEEK_CELLS, EIGHT_WEEK_PARTS = "author_days", "week_cells", "eight_week_parts"


@ours_ungrouped
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


@ours_ungrouped
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


@ours_ungrouped
class AggregateBlockFn(beam.DoFn):
    """(block, its spilled `(source, rows)`: key_posts) and the run's repeated lines → the daily
    cells of the block's days (main output, Arrow); the cells of the weeks (WEEKS) starting on
    them (WEEK_CELLS, Arrow); in DP mode only, as AUTHOR_DAYS, (ISO day, that day's author-days
    in compact form: transforms.aggregate.wide_author_days) for each of its days; and as
    EIGHT_WEEK_PARTS, per PERIOD_WINDOW_DAYS window of 8-week period starts, `(window, (sums,
    authors))`: its days' part of those periods (transforms.periods.period_sums of its daily
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
        daily, days, week_sums, week_counts = [], [], [], []
        for part in _block_parts(pieces, repeats):
            wide = wide_author_days(part, job.markers, rates=rates)
            held = count_cells(wide, job.markers, rates=rates, run_id=job.run_id, grain="day")
            if held.is_empty():
                continue
            daily.append(held.filter(own))
            if job.dp_budget is not None:
                days.append(wide.filter(own).with_columns(pl.col("region", "lang").cast(pl.String)))
            masked = with_masks(wide, names)
            week_sums += (period_sums(held, grain).filter(starts) for grain in WEEKS)
            authors = pl.concat(in_periods(masked, grain) for grain in WEEKS).filter(starts)
            week_counts.append(author_counts(authors, names))
            if not daily[-1].is_empty():
                yield from _eight_week_parts(masked.filter(own), daily[-1], job.spill_dir)
        if not daily:
            return
        yield summed_daily(daily).to_arrow()
        if days:
            for (day,), rows in pl.concat(days).group_by("day"):
                yield beam.pvalue.TaggedOutput(AUTHOR_DAYS, (day.isoformat(), rows))
        cells = counted_periods(pl.concat(week_sums), pl.concat(week_counts), run_id=job.run_id)
        yield beam.pvalue.TaggedOutput(WEEK_CELLS, cells.to_arrow())


def _block_parts(
    pieces: Sequence[tuple[str, Spilled]], repeats: Sequence[pl.DataFrame]
) -> Iterator[pl.DataFrame]:
    """A block's spilled `(source, rows)` (key_posts) minus the repeated lines → its posts in
    ⌈posts ÷ BLOCK_SHARD_POSTS⌉ parts by author hash (the posts without an author in part 0),
    without `line`, region and language categorical (grouped by faster than text). Each frame
    is split as it is read, so the block is held once in its compact form, never whole at full
    width."""
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
        yield pl.concat(parts.pop(p))


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


@ours_ungrouped
def count_authors(
    item: tuple[tuple[int, int], Sequence[tuple[Spilled, Spilled]]], markers: Sequence[str]
):
    """One window and author shard's spilled `(sums, authors)` from every block
    (AggregateBlockFn) → `(window, (sums, counts))`, the counts being that shard's authors and
    their cluster sums per cell of each of `markers` (their names;
    transforms.periods.author_counts, which needs every day of an author: a shard holds all of
    its authors' days from every block), both `packed`:
    each shard holds a fraction of the period's authors, so no call holds them all."""
    (window, _), pieces = item
    frames = list(read_spilled(where for pair in pieces for where in pair))
    sums, authors = pl.concat(frames[0::2]), pl.concat(frames[1::2])
    return window, (packed(sums), packed(author_counts(authors, list(markers))))


@ours_ungrouped
def count_periods(item: tuple[int, Sequence[tuple[bytes, bytes]]], run_id: str) -> pa.Table:
    """One window's `(sums, counts)` from every author shard (count_authors) → the cells of the
    8-week periods starting in it (transforms.periods.counted_periods, PERIOD_SCHEMA) of run
    `run_id`, Arrow."""
    _, pieces = item
    sums = pl.concat(unpacked(data) for data, _ in pieces)
    counts = pl.concat(unpacked(data) for _, data in pieces)
    return counted_periods(sums, counts, run_id=run_id).to_arrow()


@ours_ungrouped
class NoisyDayFn(beam.DoFn):
    """(ISO day, author-days) → the day's differentially private base cells (transforms.dp) as
    Arrow. Only a job that publishes in DP mode (`job.dp_budget` set) has this step; raises
    ValueError for any other job."""

    def __init__(self, job: IngestJob):
        if job.dp_budget is None:
            raise ValueError("NoisyDayFn needs a job with a dp_budget")
        self._job = job
        self._noise = DayNoise(job.dp_budget, n_markers=len(job.markers))
        _ = self._noise.scale  # calibrated once, here, and pickled with the DoFn

    def process(self, item: tuple[str, pl.DataFrame]) -> Iterator[pa.Table]:
        _, rows = item
        job = self._job
        rates = sample_rates(job.markers, job.options.models, None)
        yield noisy_day(
            bounded_cells(expand_author_days(rows, rates=rates)),
            {name: marker.version for name, marker in self._job.markers.items()},
            noise=self._noise,
            run_id=self._job.run_id,
        ).to_arrow()
