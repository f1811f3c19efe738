"""What a reader of earlier releases already holds of a cell (transforms.releases: "Changed counts
held"): the weeks and 8-week periods published before with their current counts, the flagged
authors read as 0 off a published cell with none, and the rank in which complementary
suppression withholds cells (recorded and known ones last)."""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL
from transforms.periods import period_start
from transforms.releases import CELL_KEYS, MOVED_COUNTS, SERIES_KEYS, Release, day_cells

RECORDED_LAST = 2**40
"""Added to a recorded week's size where complementary suppression picks the smallest cell
(`rank`): it withholds (or moves to its week) a cell no release has published before one that
a release has, so the cells a line keeps back stay the ones earlier releases kept back (a
choice by size alone changes as a week in progress grows, and the days two releases publish
between them would leave one cell of the line unknown)."""

KNOWN_LAST = 2**41
"""Added to a week's rank where an earlier release published its current counts
(`known_weeks`): withheld beside a held cell (transforms.moved_cells), its earlier value would stand
for its current one, and with the roll-up and the other cells of the line give the held cell back;
complementary suppression withholds a week whose counts changed (by 0 or at least k, else it is
held itself) before one such week."""


def rank(size: pl.Expr, recorded: pl.Expr, known: pl.Expr) -> pl.Expr:
    """A week's (or, on lines of 8-week totals, an 8-week period's) rank for complementary
    suppression: its `size`, past every unrecorded one's where it is `recorded`
    (RECORDED_LAST), past every other recorded one's where it is `known` (KNOWN_LAST)."""
    return size + recorded.cast(pl.Int64) * RECORDED_LAST + known.cast(pl.Int64) * KNOWN_LAST


def known_weeks(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release, moved: pl.DataFrame
) -> pl.DataFrame:
    """Per series and week of the week grain (SERIES_KEYS, `period_start`): `_known`, true
    where `release.counts` holds its current MOVED_COUNTS, each of its days' (`daily`) or its
    own cell's (`weeks`): an earlier release published what it holds now; true too where it
    holds a day's current counts on a day on which a `moved` day cell (transforms.moved_cells) of a
    line it is in (its marker and region, or marker and language) moved: withheld beside that held
    cell, that day's earlier value would stand for its current one, whatever its other days
    hold. `_known_whole`: the first alone, each of its days' or its own cell's (a reader holds
    the week's whole value: withheld, it hides nothing); `_known_days`: each of its days';
    `_known_on_days`: each of its days', or a day's on a moved day of its lines (a reader holds
    the value of a day of it that a subtraction on a line of days uses; its own cell alone
    gives none: transforms.grain_protection.protect_weeks adds the days a published cell with
    no flagged author gives)."""
    on = [*CELL_KEYS, *MOVED_COUNTS]
    stored = release.counts.select(on).with_columns(pl.lit(True).alias("_known"))
    moved_days = moved.filter(pl.col("grain") == "day")
    known = pl.col("_known").fill_null(False)
    week = period_start(pl.col("period_start"), release.week_grain).alias("period_start")
    by_days = day_cells(daily).join(stored, on=on, how="left")
    for axis in ("region", "lang"):
        line = ["marker", "marker_version", axis, "period_start"]
        beside = moved_days.select(*line, pl.lit(True).alias(f"_moved_{axis}")).unique()
        by_days = by_days.join(beside, on=line, how="left")
    moved_day = pl.col("_moved_region").fill_null(False) | pl.col("_moved_lang").fill_null(False)
    by_days = by_days.group_by(*SERIES_KEYS, week).agg(
        known.all().alias("_known_days"), (known & moved_day).any().alias("_on_moved_day")
    )
    own = known_periods(weeks, release, release.week_grain).rename({"_known": "_own"})
    flags = pl.col("_known_days", "_on_moved_day", "_own").fill_null(False)
    return (
        by_days.join(own, on=[*SERIES_KEYS, "period_start"], how="full", coalesce=True)
        .with_columns(flags)
        .select(
            *SERIES_KEYS,
            "period_start",
            pl.any_horizontal("_known_days", "_on_moved_day", "_own").alias("_known"),
            (pl.col("_known_days") | pl.col("_own")).alias("_known_whole"),
            "_known_days",
            (pl.col("_known_days") | pl.col("_on_moved_day")).alias("_known_on_days"),
        )
    )


def known_periods(weeks: pl.DataFrame, release: Release, grain: str) -> pl.DataFrame:
    """Per series and period of `grain` in `weeks` whose own cell `release.counts` holds with
    its current MOVED_COUNTS: SERIES_KEYS, `period_start`, `_known` (true)."""
    on = [*CELL_KEYS, *MOVED_COUNTS]
    return (
        weeks.filter(pl.col("grain") == grain)
        .join(release.counts.select(on), on=on, how="semi")
        .select(*SERIES_KEYS, "period_start", pl.lit(True).alias("_known"))
    )


def public_weeks(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release, moved: pl.DataFrame
) -> pl.DataFrame:
    """The weeks of the week grain (SERIES_KEYS, `grain`, `period_start`, `_public` true) whose
    current counts a reader holds from an earlier release, each of their days' or their own
    cell's (`known_weeks`' `_known_whole`): withheld, they hide nothing."""
    return (
        known_weeks(daily, weeks, release, moved)
        .filter("_known_whole")
        .select(
            *SERIES_KEYS,
            pl.lit(release.week_grain).alias("grain"),
            "period_start",
            pl.lit(True).alias("_public"),
        )
    )


def zero_read(read: pl.Expr, period: str) -> pl.Expr:
    """True for a cell whose flagged authors a reader reads as 0 off a published cell with
    none that holds it: `read` (such a cell of its own, per row) holds for it, or for its
    roll-up by region, by language or both (same marker, marker version and `period`
    column): a roll-up with no flagged author has none in any child. The one rule for a
    release's weeks (transforms.grain_protection) and an older version's days
    (transforms.older_version_days.bound_days)."""
    at = ["marker", "marker_version", period]
    by_region, by_lang = pl.col("region") == ALL, pl.col("lang") == ALL
    return (
        read
        | (read & by_region).any().over(*at, "lang")
        | (read & by_lang).any().over(*at, "region")
        | (read & by_region & by_lang).any().over(at)
    )
