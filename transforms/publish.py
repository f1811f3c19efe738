"""What a suppress-mode release publishes: per series and period, the finest grain that meets k.

For each series (`marker`, `region`, `lang`) and week (ISO or CDC epi-week, `week_grain`):

1. **Primary choice.** The week's days when every one of them is publishable
   (transforms.privacy.is_suppressed), else the week's own cell (distinct authors over the
   week, counted at ingest) when that is publishable, else the week is withheld.
2. **Complementary suppression** (transforms.privacy.protect_lines), at two levels, repeated
   until both hold: no line of cells (a roll-up and its children, across regions or
   languages) has exactly one withheld week, and none has exactly one week published coarser
   than days (else that series' days would follow from its roll-up's days minus its
   siblings'). A cell is moved from days to its week, or withheld, to close a line.
3. **Holes, withheld whole.** A series with more than MAX_WITHHELD_SHARE of its weeks
   withheld is withheld in every week (steps 2 and 3 repeat until stable): its withheld weeks
   are its low ones (1–10 marked authors), so the rest would overstate it.
4. **8-week cells for a series withheld whole** (transforms.periods.EIGHT_WEEKS: eight whole
   weeks of the week grain, distinct authors counted at ingest): such a series publishes its
   8-week cells that meet k instead, with complementary suppression on lines of 8-week totals;
   a series with more than MAX_WITHHELD_EIGHT_WEEK_SHARE of its 8-week periods withheld is
   withheld whole (steps 2–4 repeat until stable).

Across releases (`record`, RECORD_SCHEMA: the grain each earlier release published each period
at, and `counts`, the counts it published each cell with, kept by the warehouse; `as_of`, the release's date, the day in progress), the steps
above offer only:

- **Ended periods whole.** A week or 8-week period is published whole only once it has ended
  (its last day before `as_of`); a week in progress is published by its days (every day so
  far meeting k), else withheld, and does not count towards MAX_WITHHELD_SHARE (an 8-week
  period in progress, withheld, not towards MAX_WITHHELD_EIGHT_WEEK_SHARE). It is withheld
  too where its series' previous week is published whole: a series published by week waits
  for its week to end rather than tie the week to its days by publishing its first ones.
- **Sticky grains.** A day is published only at the grain recorded for its period: a week
  recorded by day only by day, one recorded whole only whole, an 8-week period recorded whole
  only whole; a period holding a day recorded at another grain (another recorded period, of
  either week grain) is withheld. Complementary suppression that would move a cell to a grain
  the record forbids withholds it instead, and picks a week no release has published before
  one that a release has. A period published once and withheld by a later release stays
  withheld (the cells two releases publish between them must leave no line one unknown cell). A week withheld though its own cell meets k,
  because the record forbids that cell (it was published by day, and a day of it is now below
  k), does not count towards MAX_WITHHELD_SHARE: the share keeps out a series' low weeks
  (1–10 marked authors), and this one is not one (its week meets k); counting it would move a
  series published by day to 8-week periods, which its recorded weeks forbid, and so withhold
  it whole.

- **Changed counts held.** A cell published before (`counts`, COUNTS_SCHEMA) whose
  MOVED_COUNTS now differ from some earlier release's by 1 to k − 1 (late or corrected posts)
  holds its period: withheld in this release (as the record forbids it: `_held` for the
  share), not recorded `withheld`, published again once the change meets k.

So no two releases publish overlapping periods of a series other than the same period at the
same grain with counts the same or at least k apart, and no period's count minus earlier days
gives a day back. `release_record` is the
record after a release.

A withheld period is a row with `status = "withheld"` and null counts: a state, never a zero.
Derived statistics never use this selection (see `transforms.series.derived_series`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import polars as pl

from transforms.contracts import ALL, CLUSTER_SUMS, DAILY_COUNTS, DAILY_SCHEMA
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.prevalence import (
    AUTHOR_DAY_COUNTS,
    EFFECTIVE_TRIALS,
    PREVALENCE_COLUMNS,
    effective_trials,
    wilson,
    with_prevalence,
)
from transforms.privacy import DEFAULT_K, is_suppressed, protect_lines
from transforms.quantify import ADJUSTED_COLUMNS, with_adjusted_prevalence

WeekGrain = Literal["iso_week", "epi_week"]
STATUSES = ("published", "withheld")

PUBLISHED_SCHEMA = {
    "marker": pl.String,
    "region": pl.String,
    "lang": pl.String,
    "marker_version": pl.String,
    "grain": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "status": pl.String,
    **dict.fromkeys(DAILY_COUNTS, pl.Int64),
    **dict.fromkeys(AUTHOR_DAY_COUNTS, pl.Int64),
    "sample_rate": pl.Float64,
    **dict.fromkeys(PREVALENCE_COLUMNS, pl.Float64),
    EFFECTIVE_TRIALS: pl.Float64,
}
"""A published timeline: one row per series and period, `grain` `day`, the week grain or its
8-week grain;
`status` `published` or `withheld` (counts and prevalence null); AUTHOR_DAY_COUNTS the
author-days `prevalence` is taken over, EFFECTIVE_TRIALS the trials of its interval."""

SERIES_KEYS = ("marker", "region", "lang", "marker_version")

RECORD_SCHEMA = {
    "marker": pl.String,
    "region": pl.String,
    "lang": pl.String,
    "marker_version": pl.String,
    "grain": pl.String,
    "period_start": pl.Date,
    "published_as": pl.String,
}
"""The grains releases published periods at, one row per series and period (`grain` a week
grain or an 8-week grain, `period_start` its first day): `published_as` `day` (a week given by
its days), `whole` (the period's own cell) or `withheld` (published so once, withheld by a
later release: never published again, since the cells that release published in its place,
with the ones published before or after it, would give it back). A period never published has
no row."""

PUBLISHED_AS = ("day", "whole", "withheld")

MOVED_COUNTS = ("n_authors", "n_marked_authors", "n_author_days", "n_marked_author_days")
"""The author counts of a published cell whose change between two releases is a cell of its
own: the late (or corrected) posts' authors."""

COUNTS_SCHEMA = {
    "marker": pl.String,
    "region": pl.String,
    "lang": pl.String,
    "marker_version": pl.String,
    "grain": pl.String,
    "period_start": pl.Date,
    **dict.fromkeys(MOVED_COUNTS, pl.Int64),
}
"""The counts releases published, one row per series, cell (`grain` `day`, a week grain or an
8-week grain; `period_start` its first day) and distinct MOVED_COUNTS it was published with
(a day's author-days are its authors). A cell never published has no row."""

MAX_WITHHELD_SHARE = 0.02
"""A series with more of its weeks withheld than this is withheld whole by week (and given by
8-week periods): its withheld weeks are chosen by their own values (a week of 0 marked authors
meets k, one of 1–10 does not), so the weeks left would bias its means. The share is the one
forecasting accepts (transforms.series.MAX_WITHHELD_SHARE): too few weeks to move a mean."""

MAX_WITHHELD_EIGHT_WEEK_SHARE = 0.25
"""A series with more of its 8-week periods withheld than this is withheld whole: what would be
left is mostly its zero periods. Looser than MAX_WITHHELD_SHARE because a withheld 8-week period
is mostly a partial one at either end of the data (a few days, too few authors), and two years
hold 13–14 periods."""
_COUNTS = (*DAILY_COUNTS, *AUTHOR_DAY_COUNTS, "sample_rate")


def choose_grains(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain,
    record: pl.DataFrame | None = None,
    counts: pl.DataFrame | None = None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """Per series and period: `choice` (`day`, `week`, `8week` or `withheld`) after steps 1–4
    above, and the period's `grain` (the week grain, or its 8-week grain for a series taken by
    8-week cells).

    `daily` follows DAILY_SCHEMA, `weeks` PERIOD_SCHEMA (rows of grains other than the week
    grain and its 8-week grain are ignored; without 8-week rows a series withheld whole stays
    withheld). `record` (RECORD_SCHEMA; None: no earlier release), `counts` (COUNTS_SCHEMA;
    None: none recorded) and `as_of` (None: every period has ended) bind the choice to earlier
    releases as above. Columns: SERIES_KEYS,
    `grain`, `period_start` (the period's first day), `choice`.
    """
    if week_grain not in ("iso_week", "epi_week"):
        raise ValueError(f"week_grain must be 'iso_week' or 'epi_week', not {week_grain!r}")
    eight = EIGHT_WEEKS[week_grain]
    record = pl.DataFrame(schema=RECORD_SCHEMA) if record is None else record
    counts = pl.DataFrame(schema=COUNTS_SCHEMA) if counts is None else counts
    moved = _moved(daily, weeks, counts, k=k)
    cells = _week_cells(
        daily, weeks, k=k, week_grain=week_grain, record=record, moved=moved, as_of=as_of
    )
    eight_cells = (
        weeks.filter(pl.col("grain") == eight)
        .join(_eight_limits(record, eight), on=[*SERIES_KEYS, "period_start"], how="left")
        .join(moved, on=[*SERIES_KEYS, "grain", "period_start"], how="left")
        .select(
            *SERIES_KEYS,
            pl.col("period_start").alias("_start8"),
            (
                ~is_suppressed(k=k)
                & ~pl.col("_no_whole").fill_null(False)
                & ~pl.col("_moved").fill_null(False)
                & ~_open(pl.col("period_end"), as_of)
            ).alias("_ok8"),
            pl.col("n_authors").alias("_size8"),
            _open(pl.col("period_end"), as_of).alias("_open8"),
        )
    )
    while True:
        cells = _protect_weeks(cells)
        lines = _protect_eight_weeks(cells, eight_cells)
        forced = lines.filter(pl.col("_flag") & ~pl.col("_gone") & ~pl.col("_unknown"))
        if forced.is_empty():
            break
        cells = cells.join(
            forced.select(*SERIES_KEYS, "_start8", pl.lit(True).alias("_forced")),
            on=[*SERIES_KEYS, "_start8"],
            how="left",
            maintain_order="left",
        ).select(
            pl.exclude("_forced", "_withheld"),
            (pl.col("_withheld") | pl.col("_forced").fill_null(False)).alias("_withheld"),
        )
    choice = (
        pl.when(pl.col("_withheld"))
        .then(pl.lit("withheld"))
        .when(pl.col("_coarse"))
        .then(pl.lit("week"))
        .otherwise(pl.lit("day"))
    )
    by_weeks = cells.join(lines.filter("_gone"), on=SERIES_KEYS, how="anti").select(
        *SERIES_KEYS, pl.lit(week_grain).alias("grain"), "period_start", choice.alias("choice")
    )
    by_eights = lines.filter("_gone").select(
        *SERIES_KEYS,
        pl.lit(eight).alias("grain"),
        pl.col("_start8").alias("period_start"),
        pl.when(pl.col("_flag"))
        .then(pl.lit("withheld"))
        .otherwise(pl.lit("8week"))
        .alias("choice"),
    )
    return pl.concat([by_weeks, by_eights]).sort(*SERIES_KEYS, "period_start")


def _week_cells(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int,
    week_grain: WeekGrain,
    record: pl.DataFrame,
    moved: pl.DataFrame,
    as_of: date | None,
) -> pl.DataFrame:
    """Step 1, per series and week: `_days_ok`, `_week_ok` (each within what `record`, the
    `moved` cells (`_moved`) and `as_of` allow), `_open` (in progress), `_held` (its own cell
    meets k but the record or its move forbids it), `_size` (the week's authors), `_rank` (its size, past every unrecorded
    week's where a day of it is recorded), `_start8` (its 8-week period), and the first
    `_withheld` and `_coarse` flags."""
    on = [*SERIES_KEYS, "period_start"]
    days = daily.with_columns(period_start(pl.col("day"), week_grain).alias("period_start"))
    by_week = days.group_by(on).agg((~is_suppressed(k=k)).all().alias("_days_ok"))
    week_cells = weeks.filter(pl.col("grain") == week_grain).select(
        *on, (~is_suppressed(k=k)).alias("_week_ok"), pl.col("n_authors").alias("_size")
    )
    days_moved = (
        moved.filter(pl.col("grain") == "day")
        .select(*SERIES_KEYS, period_start(pl.col("period_start"), week_grain), "_moved")
        .unique()
        .rename({"_moved": "_days_moved"})
    )
    week_moved = moved.filter(pl.col("grain") == week_grain).drop("grain")
    cells = (
        by_week.join(week_cells, on=on, how="full", coalesce=True)
        .join(_week_limits(record, week_grain), on=on, how="left")
        .join(days_moved, on=on, how="left")
        .join(week_moved, on=on, how="left")
        .with_columns(
            _open(pl.col("period_start") + pl.duration(days=6), as_of).alias("_open"),
            pl.col("_no_days").is_not_null().alias("_recorded"),
            pl.col("_no_days", "_no_whole", "_days_moved", "_moved").fill_null(False),
        )
        .with_columns(
            (
                pl.col("_days_ok").fill_null(False) & ~pl.col("_no_days") & ~pl.col("_days_moved")
            ).alias("_days_ok"),
            (
                pl.col("_week_ok").fill_null(False)
                & ~pl.col("_no_whole")
                & ~pl.col("_moved")
                & ~pl.col("_open")
            ).alias("_week_ok"),
            (pl.col("_week_ok").fill_null(False) & (pl.col("_no_whole") | pl.col("_moved"))).alias(
                "_held"
            ),
            pl.col("_size").fill_null(0),
            period_start(pl.col("period_start"), EIGHT_WEEKS[week_grain]).alias("_start8"),
        )
        .with_columns(
            (pl.col("_size") + pl.col("_recorded").cast(pl.Int64) * _RECORDED_LAST).alias("_rank")
        )
        .drop("_no_days", "_no_whole", "_recorded", "_days_moved", "_moved")
        .sort(*SERIES_KEYS, "period_start")
    )
    return cells.with_columns(
        (~pl.col("_week_ok") & ~pl.col("_days_ok")).alias("_withheld"),
        (~pl.col("_days_ok")).alias("_coarse"),
    )


_RECORDED_LAST = 2**40
"""Added to a recorded week's size where complementary suppression picks the smallest cell:
it withholds (or moves to its week) a cell no release has published before one that a release
has, so the cells a line keeps back stay the ones earlier releases kept back (a choice by
size alone changes as a week in progress grows, and the days two releases publish between
them would leave one cell of the line unknown)."""


def _moved(
    daily: pl.DataFrame, weeks: pl.DataFrame, counts: pl.DataFrame, *, k: int
) -> pl.DataFrame:
    """The cells (SERIES_KEYS, `grain`, `period_start`; `_moved` true) of `daily` (`grain`
    `day`) and `weeks` whose MOVED_COUNTS differ from counts `counts` (COUNTS_SCHEMA) recorded
    for the same cell by 1 to k − 1 in some count: published again, the difference of the two
    releases would be a cell below k (late or corrected posts' authors)."""
    on = [*SERIES_KEYS, "grain", "period_start"]
    cells = pl.concat(
        [
            _day_cells(daily),
            weeks.select(*on, *MOVED_COUNTS),
        ]
    )
    small = pl.any_horizontal(
        (pl.col(c) - pl.col(f"{c}_was")).abs().is_between(1, k - 1) for c in MOVED_COUNTS
    )
    return (
        cells.join(counts.select(*on, *MOVED_COUNTS), on=on, suffix="_was")
        .filter(small)
        .select(*on, pl.lit(True).alias("_moved"))
        .unique()
    )


def _day_cells(daily: pl.DataFrame) -> pl.DataFrame:
    """`daily`'s cells as SERIES_KEYS, `grain` `day`, `period_start` (the day) and
    MOVED_COUNTS (a day's author-days are its authors)."""
    return daily.select(
        *SERIES_KEYS,
        pl.lit("day").alias("grain"),
        pl.col("day").alias("period_start"),
        "n_authors",
        "n_marked_authors",
        pl.col("n_authors").alias("n_author_days"),
        pl.col("n_marked_authors").alias("n_marked_author_days"),
    )


def _open(period_end: pl.Expr, as_of: date | None) -> pl.Expr:
    """True for a period still in progress: its last day not before `as_of`."""
    return pl.lit(False) if as_of is None else period_end >= pl.lit(as_of)


def _recorded_days(record: pl.DataFrame) -> pl.DataFrame:
    """Every day of every recorded period: SERIES_KEYS, `day`, `_grain`, `_start`, `_whole`,
    `_gone`."""
    length = pl.col("grain").replace_strict(PERIOD_DAYS, return_dtype=pl.Int64)
    return record.select(
        *SERIES_KEYS,
        pl.date_ranges("period_start", pl.col("period_start") + pl.duration(days=length - 1)).alias(
            "day"
        ),
        pl.col("grain").alias("_grain"),
        pl.col("period_start").alias("_start"),
        (pl.col("published_as") == "whole").alias("_whole"),
        (pl.col("published_as") == "withheld").alias("_gone"),
    ).explode("day")


def _week_limits(record: pl.DataFrame, week_grain: WeekGrain) -> pl.DataFrame:
    """Per series and week of `week_grain` holding a recorded day: `_no_days` (a day of it was
    published within a period, or its period was withheld after it was published) and `_no_whole` (a day of it was published otherwise than
    within this very week)."""
    week = period_start(pl.col("day"), week_grain)
    itself = pl.col("_whole") & (pl.col("_grain") == week_grain) & (pl.col("_start") == week)
    return (
        _recorded_days(record)
        .group_by(*SERIES_KEYS, week.alias("period_start"))
        .agg(
            (pl.col("_whole") | pl.col("_gone")).any().alias("_no_days"),
            (~itself).any().alias("_no_whole"),
        )
    )


def _eight_limits(record: pl.DataFrame, eight: str) -> pl.DataFrame:
    """Per series and 8-week period (`eight`) holding a recorded day: `_no_whole` (a day of it
    was published otherwise than within this very period)."""
    start = period_start(pl.col("day"), eight)
    itself = pl.col("_whole") & (pl.col("_grain") == eight) & (pl.col("_start") == start)
    return (
        _recorded_days(record)
        .group_by(*SERIES_KEYS, start.alias("period_start"))
        .agg((~itself).any().alias("_no_whole"))
    )


_LINE_KEYS = ("marker", "marker_version", "period_start")


def _protect_weeks(cells: pl.DataFrame) -> pl.DataFrame:
    """Steps 2 and 3 on the week cells (`_withheld`, `_coarse`), repeated until stable; a week
    in progress after a week of its series published whole is taken whole too (so withheld).
    Step 3's share leaves out the weeks in progress and those `_held` by the record."""
    previous = pl.col("period_start").diff().over(SERIES_KEYS) == pl.duration(weeks=1)
    after_whole = (pl.col("_coarse") & ~pl.col("_withheld")).shift(1).over(SERIES_KEYS)
    while True:
        before = cells.select("_withheld", "_coarse")
        cells = cells.with_columns(
            pl.col("_coarse") | (pl.col("_open") & previous & after_whole).fill_null(False)
        )
        cells = protect_lines(cells, flag="_withheld", size="_rank", keys=_LINE_KEYS)
        cells = protect_lines(
            cells.with_columns(pl.col("_coarse") | pl.col("_withheld")),
            flag="_coarse",
            size="_rank",
            keys=_LINE_KEYS,
        ).with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
        ended = pl.col("_withheld").filter(~pl.col("_open") & ~pl.col("_held"))
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_SHARE
        cells = cells.with_columns(pl.col("_withheld") | mostly)
        cells = cells.with_columns(pl.col("_coarse") | pl.col("_withheld"))
        if cells.select("_withheld", "_coarse").equals(before):
            return cells


def _protect_eight_weeks(cells: pl.DataFrame, eight_cells: pl.DataFrame) -> pl.DataFrame:
    """Step 4: per series and 8-week period, `_gone` (the series is withheld whole by week),
    `_unknown` (some week of it withheld) and `_flag`: its 8-week total cannot be read off the
    release. A series withheld whole publishes its 8-week cells that meet k; complementary
    suppression then runs on lines of 8-week totals (a series published by day or week has a
    known total unless a week of it is withheld), and a series with more than
    MAX_WITHHELD_EIGHT_WEEK_SHARE of its 8-week cells withheld is withheld whole. A series published by
    week that a line still needs withheld comes back flagged with `_unknown` false."""
    lines = (
        cells.group_by(*SERIES_KEYS, "_start8")
        .agg(pl.col("_withheld").any().alias("_unknown"), pl.col("_withheld").all().alias("_gone"))
        .with_columns(pl.col("_gone").all().over(SERIES_KEYS))
        .join(eight_cells, on=[*SERIES_KEYS, "_start8"], how="left")
        .with_columns(
            pl.when("_gone")
            .then(~pl.col("_ok8").fill_null(False))
            .otherwise("_unknown")
            .alias("_flag"),
            pl.when("_gone").then(pl.col("_size8").fill_null(0)).otherwise(2**62).alias("_size8"),
        )
        .sort(*SERIES_KEYS, "_start8")
    )
    keys = ("marker", "marker_version", "_start8")
    while True:
        before = lines.get_column("_flag")
        lines = protect_lines(lines, flag="_flag", size="_size8", keys=keys)
        ended = pl.col("_flag").filter(~pl.col("_open8").fill_null(False))
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_EIGHT_WEEK_SHARE
        lines = lines.with_columns(pl.col("_flag") | (pl.col("_gone") & mostly))
        if lines.get_column("_flag").equals(before):
            return lines


def published_timelines(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain,
    record: pl.DataFrame | None = None,
    counts: pl.DataFrame | None = None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """The published timeline (PUBLISHED_SCHEMA) of `daily` and `weeks` (PERIOD_SCHEMA: the
    week grain's and its 8-week grain's cells) at `k`, after the releases of `record` (see
    `choose_grains`), sorted by series and period: days where `choose_grains` chose days, the
    week's (or 8-week period's) cell where it chose that, and one `withheld` row per withheld
    period. Every published row's `prevalence` is over its AUTHOR_DAY_COUNTS
    (`week_prevalence` for a period's cell)."""
    choice = _choice(
        daily, weeks, k=k, week_grain=week_grain, record=record, counts=counts, as_of=as_of
    )
    return _timelines(daily, weeks, choice, week_grain)


def published_release(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain,
    record: pl.DataFrame | None = None,
    counts: pl.DataFrame | None = None,
    as_of: date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(published_timelines, published_days)` of the same `daily` and `weeks` at `k` after
    the releases of `record`, with the grains chosen once (`choose_grains`) for both."""
    choice = _choice(
        daily, weeks, k=k, week_grain=week_grain, record=record, counts=counts, as_of=as_of
    )
    return (
        _timelines(daily, weeks, choice, week_grain),
        _days(daily, weeks, choice, week_grain),
    )


def release_record(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain,
    record: pl.DataFrame,
    counts: pl.DataFrame | None = None,
    as_of: date | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(record, counts)` after the release of `daily` and `weeks` at `k`, sorted.

    `record` (RECORD_SCHEMA) gains the periods the release publishes: the release is chosen
    after the record, and chosen again after the record with its own periods added until it
    publishes no period the record lacks, so that choosing it once more from the record it
    returns (a reader's, or a rerun's) gives the same release; a recorded period the release
    withholds is recorded `withheld`, unless it is only held (its cells moved, `_moved`: it
    comes back once their change meets k). Terminates: the record only grows, within the
    periods of the data, and a row only turns `withheld`. `counts` (COUNTS_SCHEMA) gains the
    counts the release publishes its cells with."""
    on = [*SERIES_KEYS, "grain", "period_start"]
    record = record.select(RECORD_SCHEMA.keys())
    counts = pl.DataFrame(schema=COUNTS_SCHEMA) if counts is None else counts
    held = _held_periods(_moved(daily, weeks, counts, k=k), week_grain)
    while True:
        choice = _choice(
            daily, weeks, k=k, week_grain=week_grain, record=record, counts=counts, as_of=as_of
        )
        chosen = choice.select(
            *on,
            pl.col("choice")
            .replace_strict({"day": "day", "withheld": "withheld"}, default="whole")
            .alias("_as"),
        )
        updated = (
            record.join(chosen, on=on, how="left", maintain_order="left")
            .join(held, on=on, how="left", maintain_order="left")
            .select(
                *on,
                pl.when((pl.col("_as") == "withheld") & pl.col("_held").is_null())
                .then(pl.col("_as"))
                .otherwise(pl.col("published_as"))
                .alias("published_as"),
            )
        )
        new = chosen.filter(pl.col("_as") != "withheld").join(record, on=on, how="anti")
        if new.is_empty() and updated.equals(record):
            published = _published_counts(daily, weeks, choice, week_grain)
            return record.sort(on), pl.concat([counts, published]).unique().sort(pl.all())
        record = pl.concat([updated, new.rename({"_as": "published_as"})])


def _held_periods(moved: pl.DataFrame, week_grain: WeekGrain) -> pl.DataFrame:
    """The periods (SERIES_KEYS, `grain`, `period_start`, `_held`) holding a `moved` cell: a
    week of `week_grain` holding a moved day, a moved week or 8-week period."""
    week = period_start(pl.col("period_start"), week_grain)
    return moved.select(
        *SERIES_KEYS,
        pl.when(pl.col("grain") == "day")
        .then(pl.lit(week_grain))
        .otherwise("grain")
        .alias("grain"),
        pl.when(pl.col("grain") == "day")
        .then(week)
        .otherwise("period_start")
        .alias("period_start"),
        pl.lit(True).alias("_held"),
    ).unique()


def _published_counts(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """COUNTS_SCHEMA rows of the cells that `choice` (`choose_grains`) publishes."""
    on = [*SERIES_KEYS, "period_start"]
    days = (
        daily.with_columns(period_start(pl.col("day"), week_grain).alias("period_start"))
        .join(choice.filter(pl.col("choice") == "day"), on=on, how="semi")
        .pipe(_day_cells)
    )
    cells = weeks.join(
        choice.filter(pl.col("choice").is_in(["week", "8week"])), on=[*on, "grain"], how="semi"
    ).select(*SERIES_KEYS, "grain", "period_start", *MOVED_COUNTS)
    return pl.concat([days, cells]).select(COUNTS_SCHEMA.keys()).cast(COUNTS_SCHEMA)


def _choice(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int,
    week_grain: WeekGrain,
    record: pl.DataFrame | None,
    counts: pl.DataFrame | None,
    as_of: date | None,
) -> pl.DataFrame:
    """`choose_grains` at `k`, which must be at least 1."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    return choose_grains(
        daily, weeks, k=k, week_grain=week_grain, record=record, counts=counts, as_of=as_of
    )


def _timelines(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_timelines` of `choice` (`choose_grains` of the same cells)."""
    on = [*SERIES_KEYS, "period_start"]
    day_rows = (
        daily.with_columns(period_start(pl.col("day"), week_grain).alias("period_start"))
        .join(choice.filter(pl.col("choice") == "day"), on=on, how="semi")
        .drop("period_start")
        .rename({"day": "period_start"})
        .with_columns(
            pl.col("period_start").alias("period_end"),
            pl.lit("day").alias("grain"),
            *_day_author_days(),
        )
    )
    cell_rows = weeks.join(
        choice.filter(pl.col("choice").is_in(["week", "8week"])),
        on=[*on, "grain"],
        how="semi",
    )
    withheld = choice.filter(pl.col("choice") == "withheld").select(
        *on,
        "grain",
        (pl.col("period_start") + pl.duration(days=_last_day())).alias("period_end"),
        *(pl.lit(None, PUBLISHED_SCHEMA[c]).alias(c) for c in _COUNTS),
    )
    shown = [*SERIES_KEYS, "grain", "period_start", "period_end", *_COUNTS]
    published = pl.concat(
        [
            with_prevalence(day_rows.select(shown)).with_columns(_day_author_days()[2]),
            week_prevalence(cell_rows).select(*shown, *PREVALENCE_COLUMNS, EFFECTIVE_TRIALS),
        ]
    ).with_columns(pl.lit("published").alias("status"))
    rows = pl.concat(
        [
            published,
            with_prevalence(withheld.select(shown)).with_columns(
                pl.lit("withheld").alias("status")
            ),
        ],
        how="diagonal_relaxed",
    )
    return (
        rows.select(PUBLISHED_SCHEMA.keys())
        .cast(PUBLISHED_SCHEMA)
        .sort("marker", "region", "lang", "period_start", "marker_version")
    )


def adjusted_timelines(
    timelines: pl.DataFrame, days: pl.DataFrame, rates: pl.DataFrame
) -> pl.DataFrame:
    """`published_timelines` rows with `validation` and ADJUSTED_COLUMNS
    (transforms.quantify.with_adjusted_prevalence with `rates`), adjusted one grain at a
    time, so that a `lang = all` row is combined from its languages' rows of its own period.
    `days` (`published_days` of the same cells) says which languages hold days in each
    period: a language published there by another period, or withheld at another grain,
    joins the roll-up's cell as the part it cannot be combined with (`published by` the
    grain of its first day in the period, or `suppressed`), never left out of it. Same
    rows and order as `timelines`."""
    if timelines.is_empty():
        return timelines.with_columns(
            pl.lit(None, pl.String).alias("validation"),
            *(pl.lit(None, pl.Float64).alias(c) for c in ADJUSTED_COLUMNS),
        )
    parts = []
    for part in timelines.with_row_index("_row").partition_by("grain", maintain_order=True):
        cells = pl.concat([part, _apart_languages(part, days)], how="diagonal_relaxed").rename(
            {"period_start": "day"}
        )
        parts.append(with_adjusted_prevalence(cells, rates).filter(pl.col("_row").is_not_null()))
    adjusted = pl.concat(parts).sort("_row").rename({"day": "period_start"})
    return adjusted.select(*timelines.columns, "validation", *ADJUSTED_COLUMNS)


def adjusted_days(
    days: pl.DataFrame, timelines: pl.DataFrame, *, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_days` rows with the `validation` and ADJUSTED_COLUMNS of the
    `adjusted_timelines` row (of the same cells) whose period holds each day, so that every
    day of a period published whole reads its period's, combined as that period's row is.
    Same rows and order as `days`."""
    eight = EIGHT_WEEKS[week_grain]
    start = (
        pl.when(pl.col("grain") == week_grain)
        .then(period_start(pl.col("day"), week_grain))
        .when(pl.col("grain") == eight)
        .then(period_start(pl.col("day"), eight))
        .otherwise(pl.col("day"))
    )
    values = timelines.select(
        *SERIES_KEYS, "grain", pl.col("period_start").alias("_start"), "validation",
        *ADJUSTED_COLUMNS,
    )  # fmt: skip
    return (
        days.with_columns(start.alias("_start"))
        .join(values, on=[*SERIES_KEYS, "grain", "_start"], how="left", maintain_order="left")
        .drop("_start")
    )


def _apart_languages(part: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """The language rows that `part` (`published_timelines` rows of one `grain`) lacks where
    a roll-up of it has a row: per series and period of that grain holding a day of the
    language in `days` (`published_days`), its first day's `grain` and counts (null where
    suppressed)."""
    grain = part.get_column("grain").first()
    start = pl.col("day") if grain == "day" else period_start(pl.col("day"), grain)
    on = [*SERIES_KEYS, "period_start"]
    rollups = part.filter(pl.col("lang") == ALL).select(
        "region", "marker", "marker_version", "period_start"
    )
    return (
        days.filter(pl.col("lang") != ALL)
        .with_columns(start.alias("period_start"))
        .join(rollups, on=["region", "marker", "marker_version", "period_start"], how="semi")
        .join(part, on=on, how="anti")
        .sort(*on, "day")
        .unique(on, keep="first", maintain_order=True)
        .select(*on, "grain", *DAILY_COUNTS, *AUTHOR_DAY_COUNTS)
    )


def _day_author_days() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """AUTHOR_DAY_COUNTS and EFFECTIVE_TRIALS of day cells: a day's author-days are its
    distinct authors, the trials of its interval."""
    return (
        pl.col("n_authors").alias(AUTHOR_DAY_COUNTS[0]),
        pl.col("n_marked_authors").alias(AUTHOR_DAY_COUNTS[1]),
        pl.col("n_authors").cast(pl.Float64).alias(EFFECTIVE_TRIALS),
    )


def _last_day() -> pl.Expr:
    """Days from a period's first day to its last, by its `grain`."""
    return pl.col("grain").replace_strict(
        {g: n - 1 for g, n in PERIOD_DAYS.items()}, return_dtype=pl.Int64
    )


def week_prevalence(weeks: pl.DataFrame) -> pl.DataFrame:
    """PERIOD_SCHEMA rows with the prevalence columns, the author share taken over author-days
    (`n_marked_author_days / n_author_days`: the period's share on an average day, comparable
    with daily shares) rather than over the period's distinct authors; its Wilson interval over
    the effective trials of its authors as clusters (transforms.prevalence.effective_trials,
    from the row's CLUSTER_SUMS; over `n_author_days` where they are null)."""
    share = pl.col("n_marked_author_days") / pl.col("n_author_days")
    trials = effective_trials(
        pl.col("n_marked_author_days"),
        pl.col("n_author_days"),
        pl.col("n_authors"),
        tuple(pl.col(c) for c in CLUSTER_SUMS) if set(CLUSTER_SUMS) <= set(weeks.columns) else None,
    )
    _, lo, hi = wilson(share * trials, trials)
    return with_prevalence(weeks).with_columns(
        pl.when(trials.is_not_null()).then(share).alias("prevalence"),
        lo.alias("prevalence_lo"),
        hi.alias("prevalence_hi"),
        trials.alias(EFFECTIVE_TRIALS),
    )


def published_days(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain,
    record: pl.DataFrame | None = None,
    counts: pl.DataFrame | None = None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """The published timeline spread over days, for day-by-day displays: every row of `daily`
    with AUTHOR_DAY_COUNTS, the prevalence columns, EFFECTIVE_TRIALS, `grain` and
    `suppressed`. A day published by itself keeps its counts (`grain = day`); a day of a week
    (or 8-week period) published as a whole carries that period's counts and prevalence (the
    author-day share, `week_prevalence`; `grain` the period's); a day of a withheld period has
    `suppressed` true, `grain` the withheld period's, and every count and prevalence null.
    Same order as `daily`. `record` and `as_of` as for `choose_grains`."""
    choice = _choice(
        daily, weeks, k=k, week_grain=week_grain, record=record, counts=counts, as_of=as_of
    )
    return _days(daily, weeks, choice, week_grain)


def _days(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_days` of `choice` (`choose_grains` of the same cells)."""
    counts = [*DAILY_COUNTS, *AUTHOR_DAY_COUNTS, *PREVALENCE_COLUMNS, EFFECTIVE_TRIALS]
    values = week_prevalence(weeks).select(
        *SERIES_KEYS, "grain", "period_start", *(pl.col(c).alias(f"_cell_{c}") for c in counts)
    )
    rows = with_prevalence(daily).with_columns(_day_author_days())
    for grain in (week_grain, EIGHT_WEEKS[week_grain]):
        start = period_start(pl.col("day"), grain).alias("period_start")
        rows = (
            rows.with_columns(start, pl.lit(grain).alias("_grain"))
            .join(
                choice.filter(pl.col("grain") == grain).drop("grain"),
                on=[*SERIES_KEYS, "period_start"],
                how="left",
                maintain_order="left",
            )
            .join(
                values.filter(pl.col("grain") == grain).drop("grain"),
                on=[*SERIES_KEYS, "period_start"],
                how="left",
                maintain_order="left",
            )
            .rename({"choice": f"_choice_{grain}", "_grain": f"_grain_{grain}"})
            .rename({f"_cell_{c}": f"_{grain}_{c}" for c in counts})
            .drop("period_start")
        )
    week, eight = week_grain, EIGHT_WEEKS[week_grain]
    chosen = pl.coalesce(f"_choice_{week}", f"_choice_{eight}")
    in_eights = pl.col(f"_choice_{week}").is_null()
    rows = rows.with_columns(
        *(
            pl.when(chosen == "day")
            .then(pl.col(c))
            .when(chosen == "week")
            .then(pl.col(f"_{week}_{c}"))
            .when(chosen == "8week")
            .then(pl.col(f"_{eight}_{c}"))
            .alias(c)
            for c in counts
        ),
        pl.when(chosen == "day")
        .then(pl.lit("day"))
        .when(in_eights)
        .then(pl.lit(eight))
        .otherwise(pl.lit(week))
        .alias("grain"),
        (chosen == "withheld").alias("suppressed"),
    )
    return rows.select(
        *DAILY_SCHEMA,
        *AUTHOR_DAY_COUNTS,
        *PREVALENCE_COLUMNS,
        EFFECTIVE_TRIALS,
        "grain",
        "suppressed",
    )
