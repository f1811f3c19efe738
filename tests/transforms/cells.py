"""Cells the privacy tests build: regions' daily cells with their roll-up, and the weeks' and
8-week periods' cells of daily cells; and the small days a reader of releases of them gets
back by subtraction."""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import partial

import polars as pl

from benchmarks.period_cells import period_cells
from transforms.contracts import ALL, DAILY_SCHEMA
from transforms.grains import release_record
from transforms.privacy import is_suppressed
from transforms.publish import published_timelines
from transforms.releases import Release


def region_days(
    cell: Callable[[str, date], tuple[int, int] | None],
    regions: Iterable[str],
    first: date,
    days: int,
) -> pl.DataFrame:
    """Daily cells (DAILY_SCHEMA, marker `m`, language `en`) of `regions` and their roll-up,
    `days` days from `first`; `cell` gives a region's authors and flagged authors on a day,
    None where it has none."""
    rows = []
    for day in (first + timedelta(days=i) for i in range(days)):
        leaves = [(region, *cell(region, day)) for region in regions if cell(region, day)]
        total = (ALL, sum(n for _, n, _ in leaves), sum(m for _, _, m in leaves))
        for region, authors, marked in [*leaves, total]:
            rows.append({"day": day, "region": region, "lang": "en", "marker": "m",
                         "marker_version": "v", "n_posts": authors, "n_scored": authors,
                         "n_marked": marked, "n_authors": authors, "n_marked_authors": marked,
                         "sample_rate": 1.0, "run_id": "r"})  # fmt: skip
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


def leaf_days(
    cell: Callable[[str, date, str], tuple[int, int]],
    regions: Iterable[str],
    langs: Iterable[str],
    first: date,
    days: int,
) -> pl.DataFrame:
    """Daily cells (DAILY_SCHEMA, marker `m`) of each of `regions` in each of `langs`, and
    their roll-ups by region, by language and both, `days` days from `first`; `cell` gives a
    leaf's authors and flagged authors on a day (region, day, language)."""
    regions = list(regions)
    by_region = pl.concat(
        region_days(partial(cell, lang=lang), regions, first, days).with_columns(
            pl.lit(lang).alias("lang")
        )
        for lang in langs
    )
    counts = [c for c in by_region.columns if c.startswith("n_")]
    by_lang = by_region.group_by("day", "region", maintain_order=True).agg(
        pl.all().exclude(counts).first(), pl.col(counts).sum()
    )
    return pl.concat(
        [by_region, by_lang.with_columns(pl.lit(ALL).alias("lang")).select(by_region.columns)]
    )


def one_small_week(monday: date) -> Callable[[str, date, str], tuple[int, int]]:
    """A leaf's authors and flagged authors on a day (`leaf_days`' `cell`) over regions p, q, r
    × languages en, fr, de: en 300, none flagged, but p·en 1 author in `monday`'s week (below
    k); the others 300, 40 flagged, but p·fr 1 flagged on `monday` and none the rest of its
    week (1 flagged author: below k)."""

    def cell(region: str, day: date, lang: str) -> tuple[int, int]:
        small = monday <= day < monday + timedelta(days=7)
        if lang == "en":
            return (1 if small and region == "p" else 300), 0
        if (region, lang) == ("p", "fr") and small:
            return 300, int(day == monday)
        return 300, 40

    return cell


def small_days_given_back(daily: pl.DataFrame, *releases: pl.DataFrame) -> pl.DataFrame:
    """The days below k whose flagged authors a reader of `releases` (published_timelines of
    one marker) gets as a roll-up's minus the rest of its line (regions within a language, or
    languages within a region): every other cell of the line on that day is known, published
    by day in some release, or rolled up (itself included) by a published cell with no
    flagged author."""
    published = pl.concat(r.select(pl.col("status"), *PUBLISHED) for r in releases).filter(
        pl.col("status") == "published"
    )
    by_day = published.filter(pl.col("grain") == "day").select(
        "region", "lang", pl.col("period_start").alias("day"), pl.lit(True).alias("_by_day")
    )
    zero = (
        published.filter(pl.col("n_marked_authors") == 0)
        .select(
            pl.col("region").alias("_r"),
            pl.col("lang").alias("_l"),
            pl.date_ranges("period_start", "period_end").alias("day"),
        )
        .explode("day")
    )
    rolled = (
        daily.select("region", "lang", "day")
        .join(zero, on="day")
        .filter(
            ((pl.col("_r") == ALL) | (pl.col("_r") == pl.col("region")))
            & ((pl.col("_l") == ALL) | (pl.col("_l") == pl.col("lang")))
        )
        .select("region", "lang", "day", pl.lit(True).alias("_zero"))
        .unique()
    )
    cells = (
        daily.join(by_day.unique(), on=["region", "lang", "day"], how="left")
        .join(rolled, on=["region", "lang", "day"], how="left")
        .with_columns(
            (pl.col("_by_day").fill_null(False) | pl.col("_zero").fill_null(False)).alias("_known")
        )
    )
    lonely = pl.concat(
        cells.filter(
            (~pl.col("_known")).sum().over("day", fixed) == 1,
            pl.len().over("day", fixed) > 1,
            ~pl.col("_known"),
            is_suppressed(),
        ).select("region", "lang", "day")
        for fixed in ("region", "lang")
    )
    return lonely.unique()


def given_back(releases: list[tuple[pl.DataFrame, pl.DataFrame]]) -> pl.DataFrame:
    """The days below k of any of `releases` (its daily cells, its published_timelines) that
    a reader of them all gets as the roll-up minus the other regions: each known where some
    release published that day by day with the counts it has in that release."""
    keys = ["region", "day", "n_authors", "n_marked_authors"]
    shown = pl.concat(
        published.filter(pl.col("status") == "published", pl.col("grain") == "day").select(
            "region", pl.col("period_start").alias("day"), "n_authors", "n_marked_authors"
        )
        for _, published in releases
    ).unique()
    known = pl.struct(keys).is_in(shown.select(pl.struct(keys)).to_series().implode())
    return pl.concat(
        daily.filter((~known).sum().over("day") == 1, ~known, is_suppressed()).select(keys)
        for daily, _ in releases
    )


PUBLISHED = ("region", "lang", "grain", "period_start", "period_end", "n_marked_authors")
"""The columns of a published timeline that `small_days_given_back` reads."""


def successive_releases(
    dailies: Iterable[pl.DataFrame],
) -> tuple[list[tuple[pl.DataFrame, pl.DataFrame]], pl.DataFrame, Release]:
    """Each of `dailies` released in turn, each release bound to the record of the one before
    (suppress mode, ISO weeks): each one's daily cells and published_timelines (as
    `given_back` takes them), and the last one's weeks' cells (period_cells) and release."""
    releases, release = [], Release(week_grain="iso_week")
    for daily in dailies:
        weeks = period_cells(daily)
        release = release_record(daily, weeks, release)
        releases.append((daily, published_timelines(daily, weeks, release)))
    return releases, weeks, release


def flagged_author_days(published: pl.DataFrame, region: str, first: date, days: int) -> int | None:
    """The flagged author-days of `region` over the `days` days from `first` that a published
    timeline (published_timelines) gives, from its published cells inside them (days, weeks
    or 8-week periods); None where those cells do not cover every one of the days: what a
    reader of that release can add up for the span."""
    rows = published.filter(
        pl.col("region") == region,
        pl.col("status") == "published",
        pl.col("period_start") >= first,
        pl.col("period_end") < first + timedelta(days=days),
    )
    covered = (rows["period_end"] - rows["period_start"]).dt.total_days().sum() + rows.height
    return int(rows["n_marked_author_days"].sum()) if covered == days else None
