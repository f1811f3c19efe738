"""Periods above a day: which ISO week (Monday–Sunday), CDC epidemiological week
(Sunday–Saturday) or 8-week period (`iso_8week`, `epi_8week`: EIGHT_WEEKS) a day feeds
(`periods_of`, `period_start`, `touched_days`), and a period's cells (PERIOD_SCHEMA) from its
days'. A period's cells are its days' cells summed (`period_sums`, from the daily cells of
transforms.aggregate) but for its distinct authors and the sums over them of their days and
posts (CLUSTER_SUMS, POST_CLUSTER_SUMS), counted from each author's scored and marked bits and
posts per day of the period (`author_periods`, then `author_counts`); both may be taken over
parts of the period's days (in Beam, blocks of days on several workers, and shards of the
author hashes) and combined (`period_cells`, `counted_periods`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal

import polars as pl

from transforms.contracts import (
    CLUSTER_SUMS,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
    conform,
)

Grain = Literal["day", "iso_week", "epi_week", "iso_8week", "epi_8week"]
PERIOD_GRAINS: tuple[Grain, ...] = ("iso_week", "epi_week", "iso_8week", "epi_8week")
"""The grains above a day that ingest computes (landing `periods.parquet`)."""

PERIOD_DAYS: dict[str, int] = {"iso_week": 7, "epi_week": 7, "iso_8week": 56, "epi_8week": 56}
"""The days each period grain spans."""

EIGHT_WEEKS: dict[str, Grain] = {"iso_week": "iso_8week", "epi_week": "epi_8week"}
"""The 8-week grain made of whole weeks of each week grain: periods of 56 days on a fixed grid
(day ordinal, `date.toordinal`, ≡ 1 mod 56 for ISO Mondays, ≡ 0 for epi Sundays), so each is
exactly eight weeks; a calendar year holds 52 or 53 weeks, so no fixed grid follows years."""

AUTHORED_POSTS = ("scored_posts_of_authors", "marked_posts_of_authors")
"""`author_counts`' sums over a cell's authors of their scored and marked posts: the cell's
`n_scored` and `n_marked` less those of the posts without an author."""

AUTHOR_COUNT_SCHEMA = {
    "grain": pl.String,
    "period_start": pl.Date,
    "region": pl.String,
    "lang": pl.String,
    "marker": pl.String,
    "n_authors": pl.Int64,
    "n_marked_authors": pl.Int64,
    **dict.fromkeys(CLUSTER_SUMS, pl.Int64),
    **dict.fromkeys(AUTHORED_POSTS, pl.Int64),
    **dict.fromkeys(POST_CLUSTER_SUMS, pl.Int64),
}
"""`author_counts` rows: a period's distinct (marked) authors per cell and marker, the sums
over its authors of their days and marked days squared and multiplied (CLUSTER_SUMS), of their
scored and marked posts (AUTHORED_POSTS), and of those squared and multiplied
(POST_CLUSTER_SUMS, over its authors only: `counted_periods` adds the posts without one)."""

_EIGHT_WEEK_ANCHOR = {"iso_8week": 1, "epi_8week": 0}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


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


def in_periods(masked: pl.DataFrame, grain: Grain) -> pl.DataFrame:
    """Compact author-days `with_masks` with the `grain` period each row's day belongs to
    (`grain`, `period_start`): what `author_counts` counts, one row per author-day."""
    return masked.with_columns(
        pl.lit(grain).alias("grain"), period_start(pl.col("day"), grain).alias("period_start")
    )


def author_periods(masked: pl.DataFrame, grain: Grain) -> pl.DataFrame:
    """Compact author-days `with_masks` (one row per author, base cell and day, as
    transforms.aggregate.wide_author_days gives them) → the same rows with the `grain` period
    each day belongs to (`grain`, `period_start`: `in_periods`), the rows without an author
    left out; for a marker set of zero markers, without masks. The days stay apart because
    `author_counts` counts each author's days in a cell (CLUSTER_SUMS), OR-ing several rows of
    one day, cell and author itself; each row keeps its posts' counts (`n_scored_<marker>`,
    `n_marked_<marker>`) for POST_CLUSTER_SUMS. Rows of one period from several parts of its
    days, concatenated, give the period's (`period_cells`)."""
    masks = [c for c in masked.columns if c.startswith("\x1fmask")]
    posts = [c for c in masked.columns if c.startswith(("n_scored_", "n_marked_"))]
    keys = ["grain", "period_start", "day", "region", "lang", "author"]
    return in_periods(masked, grain).select(*keys, *masks, *posts).drop_nulls("author")


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
    of the counts must hold its own authors (e.g. one shard of the author hashes each). Each
    post without an author is an author of its own in POST_CLUSTER_SUMS (one scored post, one
    marked post where it is marked) and in POST_CLUSTERS."""
    keys = ["grain", "period_start", "region", "lang", "marker"]
    added = ("n_posts", "n_scored", "n_marked", "n_author_days", "n_marked_author_days")
    summed = sums.group_by(*keys, "marker_version").agg(
        pl.col(added).sum(), pl.col("sample_rate").min()
    )
    by_author = (
        "n_authors",
        "n_marked_authors",
        *CLUSTER_SUMS,
        *AUTHORED_POSTS,
        *POST_CLUSTER_SUMS,
    )
    authors = counts.group_by(keys).agg(pl.col(by_author).sum())
    cells = summed.join(authors, on=keys, how="left").with_columns(pl.col(by_author).fill_null(0))
    scored_alone = pl.col("n_scored") - pl.col(AUTHORED_POSTS[0])
    marked_alone = pl.col("n_marked") - pl.col(AUTHORED_POSTS[1])
    scored_sq, marked_sq, cross = POST_CLUSTER_SUMS
    periods = cells.with_columns(
        pl.col(scored_sq) + scored_alone,
        pl.col(marked_sq) + marked_alone,
        pl.col(cross) + marked_alone,
        (pl.col("n_authors") + scored_alone).alias(POST_CLUSTERS),
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
    """`author_periods` rows, or any rows with `grain`, `period_start`, `day`, the base cell,
    `author`, the masks of `with_masks` and each marker's `n_scored_<marker>` and
    `n_marked_<marker>` (several rows of one day, cell and author are OR-ed, their posts
    added; the rows without an author are left out; every day of the period of each author
    present must be there) → per period, cell (roll-ups included) and marker (`grain`,
    `period_start`, `region`, `lang`, `marker`): `n_authors` and `n_marked_authors`, the
    authors whose masks, OR-ed over their rows in the cell, have the marker's scored (marked)
    bit, and CLUSTER_SUMS: with `d` an author's days with a scored post in the cell and `f`
    those with a marked one, the sums over the cell's authors of `d²`, `f²` and `f·d` (a
    roll-up counts an author's rows of one day in several of its base cells as one day, as the
    day's distinct authors do); AUTHORED_POSTS and POST_CLUSTER_SUMS the same of `s` and `m`,
    the author's scored and marked posts in the cell (the sums of `s`, `m`, and of `s²`, `m²`,
    `m·s`). One compiled pass (transforms.author_bits.ored_day_sums). With the cell's
    `n_author_days` (the sum of `d`) and `n_marked_author_days` (of `f`) the sums give the
    variance of the author-day share with authors as clusters
    (transforms.prevalence.effective_trials), and the post sums the post share's. Counts and
    sums of disjoint sets of authors add up (`counted_periods`); no markers, or no authors,
    give no rows (AUTHOR_COUNT_SCHEMA); `names` as given to `with_masks`."""
    from transforms.author_bits import ored_day_sums  # numba: loaded on use

    period = ["grain", "period_start"]
    masks = [c for c in rows.columns if c.startswith("\x1fmask")]
    posts = [f"n_{kind}_{name}" for name in names for kind in ("scored", "marked")]
    rows = rows.select(*period, "day", "region", "lang", "author", *masks, *posts)
    rows = rows.drop_nulls("author")
    if not names or rows.is_empty():
        return pl.DataFrame(schema=AUTHOR_COUNT_SCHEMA)
    cells, sums = ored_day_sums(rows, period, masks, posts)
    counted = ("n_authors", "n_marked_authors", *CLUSTER_SUMS, *AUTHORED_POSTS, *POST_CLUSTER_SUMS)
    return pl.concat(
        cells.select(
            *period,
            "region",
            "lang",
            pl.lit(name, dtype=pl.String).alias("marker"),
            *(pl.Series(c, sums[:, i, j]) for j, c in enumerate(counted)),
        )
        for i, name in enumerate(names)
    )
