"""Daily aggregation with roll-ups, while author pseudonyms are still at hand.

Two steps, so that every grain counts distinct authors rather than summing days:
`wide_author_days` reduces a day's decided posts to one row per author × base cell (a scored
and a marked count per marker, the pseudonym as a 64-bit hash), and `count_cells` counts those
rows at a grain — a local day, or a period of transforms.periods (an ISO week, a CDC
epidemiological week, or eight of either) — with the `region = all` and `lang = all` roll-ups;
a day's distinct authors through the masks of transforms.author_masks, a period's cells from
its days' (transforms.periods). `author_days` (one row per author × cell × marker) and
`aggregate_cells` are the same counts over the long form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import polars as pl

from transforms.author_masks import distinct_authors, with_masks
from transforms.contracts import ALL, DAILY_SCHEMA, PERIOD_SCHEMA, conform
from transforms.markers import Marker
from transforms.periods import (
    PERIOD_DAYS,
    Grain,
    author_periods,
    period_cells,
    period_sums,
    periods_of,
)

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
        author_hash(),
        pl.col("n_scored").cast(pl.UInt32),
        pl.col("n_marked").cast(pl.UInt32),
    )
    posts = keyed.group_by(index).agg(pl.col("n_posts").max().cast(pl.UInt32))
    if keyed.is_empty():
        return posts
    wide = keyed.pivot(on="marker", index=index, values=["n_scored", "n_marked"])
    return posts.join(wide, on=index, how="left", nulls_equal=True)


def wide_author_days(
    posts: pl.DataFrame, markers: Mapping[str, Marker], *, rates: pl.DataFrame
) -> pl.DataFrame:
    """Decided posts (see `daily_aggregates`) → their author-days in the compact form of
    `compact_author_days`, summed straight from the posts (no long table): equal to
    `compact_author_days(author_days(posts, markers, rates=rates))` but for row order. An
    `author` column that is already UInt64 is taken as `author_hash`'s output."""
    index = ["day", "region", "lang", "author"]
    if not markers or posts.is_empty():
        return pl.DataFrame(
            schema={**{c: AUTHOR_DAY_SCHEMA[c] for c in index}, "n_posts": pl.UInt32}
        )
    sourced = _by_marker(rates)
    if posts.schema["author"] != pl.UInt64:
        posts = posts.with_columns(author_hash())
    counted = posts.group_by(index).agg(
        pl.len().cast(pl.UInt32).alias("n_posts"),
        *(pl.col(m).is_not_null().sum().cast(pl.UInt32).alias(f"n_scored_{m}") for m in markers),
        *(pl.col(m).sum().cast(pl.UInt32).alias(f"n_marked_{m}") for m in markers),
    )
    return counted.with_columns(
        pl.when(pl.col("lang").is_in(list(sourced[m])))
        .then(pl.col(f"{kind}_{m}"))
        .alias(f"{kind}_{m}")
        for m in markers
        for kind in ("n_scored", "n_marked")
    )


def author_hash() -> pl.Expr:
    """The 64-bit hash that stands for a pseudonym in compact author-days (null stays null)."""
    author = pl.col("author")
    return pl.when(author.is_not_null()).then(author.hash(seed=20211)).alias("author")


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


def aggregate_cells(
    author_rows: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    run_id: str,
    grain: Grain,
    period_start: date | None = None,
) -> pl.DataFrame:
    """Count AUTHOR_DAY_SCHEMA rows per `grain` period × cell × marker, roll-ups included
    (`count_cells` over the rows compacted; each row's `sample_rate` is taken as its marker's
    rate in its language)."""
    rates = author_rows.group_by("marker", "lang").agg(pl.col("sample_rate").min())
    return count_cells(
        compact_author_days(author_rows),
        markers,
        rates=rates,
        run_id=run_id,
        grain=grain,
        period_start=period_start,
    )


_SUMS = ("posts", "scored", "marked")


def count_cells(
    wide: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    rates: pl.DataFrame,
    run_id: str,
    grain: Grain,
    period_start: date | None = None,
) -> pl.DataFrame:
    """Count compact author-days (`compact_author_days`, `wide_author_days`) per `grain` period
    × cell × marker, roll-ups included; `rates` as in `daily_aggregates`.

    `wide` holds one row per author, base cell and day. For `day` the result follows
    DAILY_SCHEMA; for any other grain PERIOD_SCHEMA, over the one period starting on
    `period_start` (rows of other days are left out) or, without it, over every period that
    `wide`'s days belong to (`periods_of`). Distinct author counts are exact at every grain and
    roll-up: a cell's distinct authors are its authors with a scored, or marked, post, their
    rows merged per author at each roll-up. A period's cells are its days' cells summed
    (`period_sums`) with its distinct authors counted apart (`author_periods`,
    `period_cells`). A marker with no source in a cell yields no row; a roll-up's
    `sample_rate` is its lowest. Rows are sorted by the keys.
    """
    rows = wide
    if grain != "day" and period_start is not None:
        if periods_of(period_start, grain) != [period_start]:
            raise ValueError(f"{period_start} does not start an {grain} period")
        last = period_start + timedelta(days=PERIOD_DAYS[grain] - 1)
        rows = rows.filter(pl.col("day").is_between(period_start, last))
    names = [name for name in markers if f"n_scored_{name}" in rows.columns]
    if not names or rows.is_empty():
        return pl.DataFrame(schema=DAILY_SCHEMA if grain == "day" else PERIOD_SCHEMA)
    if grain != "day":
        daily = count_cells(rows, markers, rates=rates, run_id=run_id, grain="day")
        sums = period_sums(daily, grain)
        authors = author_periods(with_masks(rows, names), grain)
        return period_cells(sums, authors, names, run_id=run_id)
    rows = rows.with_columns(
        *(
            pl.when(pl.col(f"n_scored_{m}").is_not_null())
            .then(pl.col("n_posts"))
            .alias(f"{m}\x1fposts")
            for m in names
        ),
        *(pl.col(f"n_{k}_{m}").alias(f"{m}\x1f{k}") for m in names for k in _SUMS[1:]),
    )
    rows = with_masks(rows, names)
    cells = _cells(rows, names, rates=rates)
    counted = pl.concat(
        cells.select(
            "day",
            "region",
            "lang",
            pl.lit(name).alias("marker"),
            pl.lit(markers[name].version).alias("marker_version"),
            *(pl.col(f"{name}\x1f{c}").alias(f"n_{c}") for c in _COUNTS),
            pl.col(f"{name}\x1frate").alias("sample_rate"),
        )
        for name in names
    )
    counted = counted.filter(pl.col("n_posts") > 0).with_columns(pl.lit(run_id).alias("run_id"))
    return conform(counted.sort("day", "region", "lang", "marker"), DAILY_SCHEMA, name="daily")


def summed_daily(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Daily cells (DAILY_SCHEMA) counted apart over disjoint sets of authors (e.g. shards of
    the author hashes, the posts without an author in one of them) → the cells of all of them:
    every count summed, the lowest sample rate, sorted by the keys."""
    keys = ["day", "region", "lang", "marker", "marker_version", "run_id"]
    counts = [c for c in DAILY_SCHEMA if c.startswith("n_")]
    summed = (
        pl.concat([pl.DataFrame(schema=DAILY_SCHEMA), *parts])
        .group_by(keys)
        .agg(pl.col(counts).sum(), pl.col("sample_rate").min())
    )
    return conform(summed.sort("day", "region", "lang", "marker"), DAILY_SCHEMA, name="daily")


_COUNTS = (*_SUMS, "authors", "marked_authors")


def _rates(rates: pl.DataFrame, names: Sequence[str]) -> list[pl.Expr]:
    """In a base cell (one language) whose `<marker>\x1frate` says whether any of its rows has
    the marker scored, the marker's sample rate in its language; null where none has (the
    marker has no source there). One expression per marker of `names`."""
    by_marker = _by_marker(rates)
    return [
        pl.when(pl.col(f"{m}\x1frate"))
        .then(pl.col("lang").replace_strict(by_marker[m], default=None, return_dtype=pl.Float64))
        .alias(f"{m}\x1frate")
        for m in names
    ]


def _by_marker(rates: pl.DataFrame) -> dict[str, dict[str, float]]:
    """`rates` as {marker: {language: sample rate}}; a marker without a row has no language."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for marker, lang, rate in rates.select("marker", "lang", "sample_rate").iter_rows():
        out[marker][lang] = rate
    return out


_ROLL_UPS: tuple[tuple[str, ...], ...] = (("region", "lang"), ("lang",), ("region",), ())
"""The base cells and the roll-ups, by the keys each keeps besides the day."""


def _cells(rows: pl.DataFrame, names: list[str], *, rates: pl.DataFrame) -> pl.DataFrame:
    """The cells of every roll-up (`region`, `lang` or both `all` where a roll-up does not keep
    them), one column per marker and count: sums from the base cells' sums, each roll-up from
    the smallest frame above it; distinct authors as the authors whose masks, OR-ed per author
    and cell, have a marker's bit set (`distinct_authors`). A base cell's sample rate is its
    language's where any of its rows is scored (`_rates`), a roll-up's the lowest of its
    cells'."""
    sums = [f"{m}\x1f{k}" for m in names for k in _SUMS]
    rate = [f"{m}\x1frate" for m in names]
    base = ["day", "region", "lang"]
    scored = (pl.col(f"{m}\x1fposts").is_not_null().any().alias(f"{m}\x1frate") for m in names)
    cells = {
        _ROLL_UPS[0]: rows.group_by(base)
        .agg(pl.col(sums).sum(), *scored)
        .with_columns(_rates(rates, names))
        .with_columns(pl.col("region", "lang").cast(pl.String))
    }
    for kept, above in ((("lang",), _ROLL_UPS[0]), (("region",), _ROLL_UPS[0]), ((), ("lang",))):
        cells[kept] = (
            cells[above].group_by("day", *kept).agg(pl.col(sums).sum(), pl.col(rate).min())
        )
    rolled = pl.concat(
        [
            cells[kept].with_columns(
                pl.lit(ALL).alias(c) for c in ("region", "lang") if c not in kept
            )
            for kept in _ROLL_UPS
        ],
        how="diagonal",
    )
    authors = distinct_authors(rows, ["day"], names)
    counts = [c for c in authors.columns if c not in base]
    return rolled.join(authors, on=base, how="left").with_columns(pl.col(counts).fill_null(0))


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
    wide = wide_author_days(posts, markers, rates=rates)
    return count_cells(wide, markers, rates=rates, run_id=run_id, grain="day")
