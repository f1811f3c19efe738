"""Daily and period aggregation with roll-ups, while author pseudonyms are still at hand.

Two steps, so that every grain counts distinct authors rather than summing days:
`author_days` reduces a day's decided posts to one row per author × cell × marker, and
`aggregate_cells` counts those rows at a grain — a local day, an ISO week (Monday–Sunday), a
CDC epidemiological week (Sunday–Saturday) or the 7 days ending on each day — with the
`region = all` and `lang = all` roll-ups. A period's author-days may come from several days
(and, in Beam, several workers): `periods_of` says which periods a day feeds, and
`period_blocks` / `block_periods` gather them by 4-week blocks for the shuffle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Literal

import polars as pl

from transforms.contracts import ALL, DAILY_SCHEMA, PERIOD_SCHEMA, conform
from transforms.markers import Marker

Grain = Literal["day", "iso_week", "epi_week", "rolling_7"]
PERIOD_GRAINS: tuple[Grain, ...] = ("iso_week", "epi_week", "rolling_7")
"""The grains above a day that ingest computes (landing `periods.parquet`)."""

AUTHOR_DAY_SCHEMA = {
    "day": pl.Date,
    "region": pl.String,
    "lang": pl.String,
    "marker": pl.String,
    "author": pl.String,
    "n_posts": pl.Int64,
    "n_scored": pl.Int64,
    "n_marked": pl.Int64,
    "sample_rate": pl.Float64,
}
"""One author's posts in one base cell (`region`, `lang`, never `all`) on one day, for one
marker: posts in languages where the marker has a source, those scored, those matched.
`author` is the pseudonym (null gathers the posts without an author, who count towards no
author total). Held only inside the ingest job, never written."""


def author_days(
    posts: pl.DataFrame, markers: Mapping[str, Marker], *, rates: pl.DataFrame
) -> pl.DataFrame:
    """Decided posts → AUTHOR_DAY_SCHEMA rows (see `daily_aggregates` for `posts` and `rates`)."""
    if not markers or posts.is_empty():
        return pl.DataFrame(schema=AUTHOR_DAY_SCHEMA)
    long = posts.unpivot(
        on=list(markers),
        index=["day", "region", "lang", "author"],
        variable_name="marker",
        value_name="hit",
    ).join(rates, on=["marker", "lang"], how="inner")
    counted = long.group_by("day", "region", "lang", "marker", "author").agg(
        pl.len().alias("n_posts"),
        pl.col("hit").is_not_null().sum().alias("n_scored"),
        pl.col("hit").sum().alias("n_marked"),
        pl.col("sample_rate").min(),
    )
    return conform(counted, AUTHOR_DAY_SCHEMA, name="author-days")


def compact_author_days(rows: pl.DataFrame) -> pl.DataFrame:
    """AUTHOR_DAY_SCHEMA rows → the same facts, small enough to shuffle: one row per author and
    base cell (`day, region, lang, author, n_posts`) with `n_scored_<marker>` and
    `n_marked_<marker>` columns (UInt32; null where the marker has no source there), and the
    pseudonym replaced by a 64-bit hash of it (distinct counts stay exact but for a ~1e-10
    chance of a collision among a million authors). Undo with `expand_author_days`."""
    index = ["day", "region", "lang", "author"]
    keyed = rows.with_columns(
        pl.when(pl.col("author").is_not_null())
        .then(pl.col("author").hash(seed=20211))
        .alias("author"),
        pl.col("n_scored").cast(pl.UInt32),
        pl.col("n_marked").cast(pl.UInt32),
    )
    posts = keyed.group_by(index).agg(pl.col("n_posts").max().cast(pl.UInt32))
    if keyed.is_empty():
        return posts
    wide = keyed.pivot(on="marker", index=index, values=["n_scored", "n_marked"])
    return posts.join(wide, on=index, how="left", nulls_equal=True)


def expand_author_days(wide: pl.DataFrame, *, rates: pl.DataFrame) -> pl.DataFrame:
    """`compact_author_days` output → AUTHOR_DAY_SCHEMA rows (`author` the hash as text, and
    `sample_rate` from `rates`, as in `daily_aggregates`)."""
    markers = [c.removeprefix("n_scored_") for c in wide.columns if c.startswith("n_scored_")]
    parts = [
        wide.select(
            "day",
            "region",
            "lang",
            pl.lit(marker).alias("marker"),
            pl.col("author").cast(pl.String),
            "n_posts",
            pl.col(f"n_scored_{marker}").alias("n_scored"),
            pl.col(f"n_marked_{marker}").alias("n_marked"),
        ).filter(pl.col("n_scored").is_not_null())
        for marker in markers
    ]
    if not parts:
        return pl.DataFrame(schema=AUTHOR_DAY_SCHEMA)
    long = pl.concat(parts).join(rates, on=["marker", "lang"], how="inner")
    return conform(long, AUTHOR_DAY_SCHEMA, name="author-days")


def periods_of(day: date, grain: Grain) -> list[date]:
    """The `period_start` of every `grain` period that `day` belongs to: the Monday of its ISO
    week, the Sunday of its CDC epi-week, or the first days of the 7 windows of 7 days that
    hold it (`rolling_7`; a window is published under its last day, `period_end`)."""
    if grain == "iso_week":
        return [day - timedelta(days=day.weekday())]
    if grain == "epi_week":
        return [day - timedelta(days=(day.weekday() + 1) % 7)]
    if grain == "rolling_7":
        return [day - timedelta(days=6 - i) for i in range(7)]
    raise ValueError(f"grain must be one of {', '.join(PERIOD_GRAINS)}, not {grain!r}")


BLOCK_DAYS = 28
"""Days per block of `period_blocks`: a day's author-days are shuffled to one or two blocks
rather than to each of the 9 periods that hold it."""
_BLOCK_ORIGIN = date(2024, 1, 1).toordinal()
"""A Monday: blocks start on Mondays, so an ISO week never straddles two."""


def period_blocks(day: date) -> list[int]:
    """The blocks (numbered BLOCK_DAYS-day spans from a Monday) that need `day`: its own, and
    the next when `day` is one of its own last 6 (a period ending in the next block may start
    then). Every period of PERIOD_GRAINS lies wholly inside the block its last day is in, with
    the 6 days before that block (`block_periods`)."""
    offset = day.toordinal() - _BLOCK_ORIGIN
    block = offset // BLOCK_DAYS
    return [block, block + 1] if offset % BLOCK_DAYS >= BLOCK_DAYS - 6 else [block]


def block_periods(block: int, days: Iterable[date]) -> list[tuple[Grain, date]]:
    """(grain, period_start) of every period of PERIOD_GRAINS whose last day lies in `block`
    and which holds one of `days`: each period is counted in exactly one block."""
    first = date.fromordinal(_BLOCK_ORIGIN + block * BLOCK_DAYS)
    last = first + timedelta(days=BLOCK_DAYS - 1)
    found = {
        (grain, start)
        for day in set(days)
        for grain in PERIOD_GRAINS
        for start in periods_of(day, grain)
        if first <= start + timedelta(days=6) <= last
    }
    return sorted(found)


def touched_days(days: Iterable[date]) -> set[date]:
    """Every day of every period (of PERIOD_GRAINS) that holds one of `days`: the days whose
    inputs must be read again to recount those periods."""
    out: set[date] = set()
    for day in days:
        for grain in PERIOD_GRAINS:
            for start in periods_of(day, grain):
                out.update(start + timedelta(days=i) for i in range(7))
    return out


def aggregate_cells(
    author_rows: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    run_id: str,
    grain: Grain,
    period_start: date | None = None,
) -> pl.DataFrame:
    """Count AUTHOR_DAY_SCHEMA rows per `grain` period × cell × marker, roll-ups included.

    For `day` the result follows DAILY_SCHEMA; for any other grain PERIOD_SCHEMA over the one
    period starting on `period_start` (rows of other days are left out). Distinct author counts are
    exact at every grain and roll-up, because they are counted here from the pseudonyms. A
    roll-up's `sample_rate` is its lowest. Rows are sorted by the keys.
    """
    rows = author_rows
    if grain != "day":
        if period_start is None:
            raise ValueError("period_start is required for a grain other than day")
        if grain != "rolling_7" and periods_of(period_start, grain) != [period_start]:
            raise ValueError(f"{period_start} does not start an {grain} period")
        last = period_start + timedelta(days=6)
        rows = rows.filter(pl.col("day").is_between(period_start, last)).with_columns(
            pl.col("day").alias("_day"), pl.lit(period_start).alias("day")
        )
    grains = pl.concat(
        [
            rows,
            rows.with_columns(pl.lit(ALL).alias("region")),
            rows.with_columns(pl.lit(ALL).alias("lang")),
            rows.with_columns(pl.lit(ALL).alias("region"), pl.lit(ALL).alias("lang")),
        ]
    )
    versions = pl.DataFrame(
        {"marker": list(markers), "marker_version": [m.version for m in markers.values()]},
        schema={"marker": pl.String, "marker_version": pl.String},
    )
    author = pl.col("author")
    author_day = pl.struct("author", "_day")
    grains = grains.with_columns(
        pl.col("_day") if "_day" in grains.columns else pl.col("day").alias("_day")
    )
    counted = (
        grains.group_by("day", "region", "lang", "marker")
        .agg(
            pl.col("n_posts").sum(),
            pl.col("n_scored").sum(),
            pl.col("n_marked").sum(),
            author.filter(pl.col("n_scored") > 0).drop_nulls().n_unique().alias("n_authors"),
            author.filter(pl.col("n_marked") > 0).drop_nulls().n_unique().alias("n_marked_authors"),
            author_day.filter((pl.col("n_scored") > 0) & author.is_not_null())
            .n_unique()
            .alias("n_author_days"),
            author_day.filter((pl.col("n_marked") > 0) & author.is_not_null())
            .n_unique()
            .alias("n_marked_author_days"),
            pl.col("sample_rate").min(),
        )
        .join(versions, on="marker")
        .with_columns(pl.lit(run_id).alias("run_id"))
    )
    if grain == "day":
        return conform(counted.sort("day", "region", "lang", "marker"), DAILY_SCHEMA, name="daily")
    periods = counted.rename({"day": "period_start"}).with_columns(
        pl.lit(grain).alias("grain"),
        (pl.col("period_start") + pl.duration(days=6)).alias("period_end"),
    )
    return conform(
        periods.sort("period_start", "region", "lang", "marker"), PERIOD_SCHEMA, name="periods"
    )


def daily_aggregates(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    run_id: str,
    rates: pl.DataFrame,
) -> pl.DataFrame:
    """Daily aggregates (DAILY_SCHEMA) of decided posts, with `region = all` and `lang = all`.

    `posts` holds every post of the days it covers (`day, region, lang, author` and one Boolean
    column per marker: its decision, null where the post was not scored). `rates` (`marker,
    lang, sample_rate`, from transforms.model_markers.sample_rates) lists the languages in which
    each marker has a source and the share of posts scored there. `n_posts` counts a cell's
    posts in those languages; `n_scored`, `n_authors` and the marked counts are taken over the
    scored ones; a roll-up's `sample_rate` is its lowest.
    Distinct author counts are exact at every grain, roll-ups included, because they are
    counted here from the pseudonyms rather than summed: posts are first summed per author
    (day × region × language × author; a roll-up merges an author's rows again), and a cell's
    distinct authors are its per-author rows with a scored, or marked, post. A marker with no
    source in a cell yields no row. Rows are sorted by the daily keys.
    """
    if not markers or posts.is_empty():
        return pl.DataFrame(schema=DAILY_SCHEMA)
    rows = author_days(posts, markers, rates=rates)
    return aggregate_cells(rows, markers, run_id=run_id, grain="day")
