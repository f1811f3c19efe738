"""Daily and period aggregation with roll-ups, while author pseudonyms are still at hand.

Two steps, so that every grain counts distinct authors rather than summing days:
`wide_author_days` reduces a day's decided posts to one row per author × base cell (a scored
and a marked count per marker, the pseudonym as a 64-bit hash), and `count_cells` counts those
rows at a grain — a local day, an ISO week (Monday–Sunday), a CDC epidemiological week
(Sunday–Saturday), or eight of either (`iso_8week`, `epi_8week`: EIGHT_WEEKS) — with the
`region = all` and `lang = all` roll-ups. A period's cells are its days' cells summed
(`period_sums`) but for its distinct authors, counted from each author's scored and marked bits
OR-ed over the period (`author_periods`); both may be taken over parts of the period's days (in
Beam, blocks of days on several workers) and combined (`period_cells`). `periods_of` and
`period_start` say which period of a grain a day feeds. `author_days` (one row per author ×
cell × marker) and `aggregate_cells` are the same counts over the long form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Literal

import polars as pl

from transforms.contracts import ALL, DAILY_SCHEMA, PERIOD_SCHEMA, conform
from transforms.markers import Marker

Grain = Literal["day", "iso_week", "epi_week", "iso_8week", "epi_8week"]
PERIOD_GRAINS: tuple[Grain, ...] = ("iso_week", "epi_week", "iso_8week", "epi_8week")
"""The grains above a day that ingest computes (landing `periods.parquet`)."""

PERIOD_DAYS: dict[str, int] = {"iso_week": 7, "epi_week": 7, "iso_8week": 56, "epi_8week": 56}
"""The days each period grain spans."""

EIGHT_WEEKS: dict[str, Grain] = {"iso_week": "iso_8week", "epi_week": "epi_8week"}
"""The 8-week grain made of whole weeks of each week grain: periods of 56 days on a fixed grid
(day ordinal, `date.toordinal`, ≡ 1 mod 56 for ISO Mondays, ≡ 0 for epi Sundays), so each is
exactly eight weeks; a calendar year holds 52 or 53 weeks, so no fixed grid follows years."""

_EIGHT_WEEK_ANCHOR = {"iso_8week": 1, "epi_8week": 0}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

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


def periods_of(day: date, grain: Grain) -> list[date]:
    """The `period_start` of every `grain` period that `day` belongs to: the Monday of its ISO
    week, the Sunday of its CDC epi-week, or the first day of its 8-week period (EIGHT_WEEKS)."""
    if grain in _EIGHT_WEEK_ANCHOR:
        return [day - timedelta(days=(day.toordinal() - _EIGHT_WEEK_ANCHOR[grain]) % 56)]
    if grain == "iso_week":
        return [day - timedelta(days=day.weekday())]
    if grain == "epi_week":
        return [day - timedelta(days=(day.weekday() + 1) % 7)]
    raise ValueError(f"grain must be one of {', '.join(PERIOD_GRAINS)}, not {grain!r}")


def period_start(day: pl.Expr, grain: Grain) -> pl.Expr:
    """`periods_of` as an expression: the first day of the `grain` period holding `day`."""
    if grain in _EIGHT_WEEK_ANCHOR:
        ordinal = day.cast(pl.Int64) + _EPOCH_ORDINAL
        return day - pl.duration(days=(ordinal - _EIGHT_WEEK_ANCHOR[grain]) % 56)
    weekday = day.dt.weekday()  # Monday 1 … Sunday 7
    if grain == "iso_week":
        return day - pl.duration(days=weekday - 1)
    if grain == "epi_week":
        return day - pl.duration(days=weekday % 7)
    raise ValueError(f"grain must be one of {', '.join(PERIOD_GRAINS)}, not {grain!r}")


def touched_days(days: Iterable[date]) -> set[date]:
    """Every day of every period (of PERIOD_GRAINS) that holds one of `days`: the days whose
    inputs must be read again to recount those periods."""
    out: set[date] = set()
    for day in days:
        for grain in PERIOD_GRAINS:
            for start in periods_of(day, grain):
                out.update(start + timedelta(days=i) for i in range(PERIOD_DAYS[grain]))
    return out


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


def period_sums(daily: pl.DataFrame, grain: Grain) -> pl.DataFrame:
    """Daily cells (DAILY_SCHEMA) → their sums per `grain` period (`grain`, `period_start`, the
    cell keys and PERIOD_SCHEMA's counts but the distinct authors): posts, scored and marked
    posts, author-days as the days' distinct authors, the lowest sample rate. Every one adds
    up over disjoint days, so the sums of a period's days taken in several parts, summed
    again (`period_cells`), are the period's."""
    keys = ["region", "lang", "marker", "marker_version"]
    return (
        daily.group_by(period_start(pl.col("day"), grain).alias("period_start"), *keys)
        .agg(
            pl.col("n_posts", "n_scored", "n_marked").sum(),
            pl.col("n_authors").sum().alias("n_author_days"),
            pl.col("n_marked_authors").sum().alias("n_marked_author_days"),
            pl.col("sample_rate").min(),
        )
        .with_columns(pl.lit(grain).alias("grain"))
    )


def with_masks(wide: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Compact author-days with each row's author masks added: two bits per marker of `names`,
    in order (a scored post, a marked post), zero for the posts without an author; what
    `author_periods` OR-s."""
    return wide.with_columns(_masks(list(names)))


def in_periods(masked: pl.DataFrame, grain: Grain) -> pl.DataFrame:
    """Compact author-days `with_masks` with the `grain` period each row's day belongs to
    (`grain`, `period_start`): what `author_counts` counts, one row per author-day."""
    return masked.with_columns(
        pl.lit(grain).alias("grain"), period_start(pl.col("day"), grain).alias("period_start")
    )


def author_periods(masked: pl.DataFrame, grain: Grain) -> pl.DataFrame:
    """Compact author-days `with_masks` → one row per `grain` period (`grain`,
    `period_start`), base cell and author, the rows without an author left out, with the
    author's masks over the period's days OR-ed (`in_periods`, then transforms.author_bits).
    Rows of one period from several parts of its days, OR-ed again per key, give the
    period's (`period_cells`)."""
    from transforms.author_bits import ored_rows  # numba: loaded on use

    masks = [c for c in masked.columns if c.startswith("\x1fmask")]
    rows = masked.select("day", "region", "lang", "author", *masks).drop_nulls("author")
    return ored_rows(in_periods(rows, grain), ["grain", "period_start"], masks)


def period_cells(
    sums: pl.DataFrame, authors: pl.DataFrame, names: Sequence[str], *, run_id: str
) -> pl.DataFrame:
    """A period's cells (PERIOD_SCHEMA), of any grains, from `period_sums` and `author_periods`
    of its days, each possibly in several parts: the sums summed, and each cell's distinct
    (marked) authors as the authors whose masks, OR-ed per author and cell, have the marker's
    scored (marked) bit; `names` as given to `author_periods`."""
    return counted_periods(sums, author_counts(authors, names), run_id=run_id)


def counted_periods(sums: pl.DataFrame, counts: pl.DataFrame, *, run_id: str) -> pl.DataFrame:
    """A period's cells (PERIOD_SCHEMA) from `period_sums` and `author_counts` of its days, each
    possibly in several parts: the sums summed, and the author counts summed too, so each part
    of the counts must hold its own authors (e.g. one shard of the author hashes each)."""
    keys = ["grain", "period_start", "region", "lang", "marker"]
    added = ("n_posts", "n_scored", "n_marked", "n_author_days", "n_marked_author_days")
    summed = sums.group_by(*keys, "marker_version").agg(
        pl.col(added).sum(), pl.col("sample_rate").min()
    )
    authors = counts.group_by(keys).agg(pl.col("n_authors", "n_marked_authors").sum())
    cells = summed.join(authors, on=keys, how="left")
    periods = cells.with_columns(
        pl.col("n_authors", "n_marked_authors").fill_null(0),
        (pl.col("period_start") + pl.duration(days=pl.col("grain").replace_strict(PERIOD_DAYS)))
        .sub(pl.duration(days=1))
        .alias("period_end"),
        pl.lit(run_id).alias("run_id"),
    )
    return conform(
        periods.sort("grain", "period_start", "region", "lang", "marker"),
        PERIOD_SCHEMA,
        name="periods",
    )


def author_counts(rows: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """`author_periods` rows, or any rows with `grain`, `period_start`, the base cell, `author`
    and the masks of `with_masks` (several rows of one period, cell and author are OR-ed; the
    rows without an author are left out) → per period, cell (roll-ups included) and marker,
    `n_authors` and `n_marked_authors` (`grain`, `period_start`, `region`, `lang`, `marker`
    and those two); `names` as given to `with_masks`. Counts of disjoint sets of authors add
    up (`counted_periods`)."""
    period = ["grain", "period_start", "region", "lang"]
    cells = distinct_authors(rows, period[:2], names)
    return pl.concat(
        cells.select(
            *period,
            pl.lit(name, dtype=pl.String).alias("marker"),
            pl.col(f"{name}\x1fauthors").alias("n_authors"),
            pl.col(f"{name}\x1fmarked_authors").alias("n_marked_authors"),
        )
        for name in names
    )


def distinct_authors(rows: pl.DataFrame, period: list[str], names: Sequence[str]) -> pl.DataFrame:
    """Per cell that rows with an author reach (the `period` columns, `region`, `lang`; the
    roll-ups' ALL included), `<marker>\x1fauthors` and `<marker>\x1fmarked_authors`: the
    authors whose masks (`with_masks`), OR-ed over their rows in the cell, have the marker's
    scored, or marked, bit; counted in one compiled pass (transforms.author_bits)."""
    from transforms.author_bits import ored_bit_counts  # numba: loaded on use

    masks = [c for c in rows.columns if c.startswith("\x1fmask")]
    rows = rows.select(*period, "region", "lang", "author", *masks).drop_nulls("author")
    cells, counts = ored_bit_counts(rows, period, masks)
    return cells.with_columns(
        pl.Series(
            f"{m}\x1f{count}",
            counts[:, 64 * (i // _MARKERS_PER_MASK) + 2 * (i % _MARKERS_PER_MASK) + j],
        )
        for i, m in enumerate(names)
        for j, count in enumerate(("authors", "marked_authors"))
    )


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


_MARKERS_PER_MASK = 32
"""Markers per UInt64 author mask: two bits each, scored and marked."""


def _masks(names: list[str]) -> list[pl.Expr]:
    """Per row, UInt64 masks with two bits per marker (`n_scored > 0`, `n_marked > 0`), zero
    for the posts without an author: OR-ed per author, they count distinct authors."""
    author = pl.col("author").is_not_null()
    masks = []
    for start in range(0, len(names), _MARKERS_PER_MASK):
        bits = [
            (pl.col(f"n_{k}_{m}") > 0).fill_null(False).cast(pl.UInt64) * (1 << (2 * i + j))
            for i, m in enumerate(names[start : start + _MARKERS_PER_MASK])
            for j, k in enumerate(("scored", "marked"))
        ]
        mask = pl.when(author).then(pl.sum_horizontal(bits)).otherwise(0).cast(pl.UInt64)
        masks.append(mask.alias(f"\x1fmask{start // _MARKERS_PER_MASK}"))
    return masks


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
