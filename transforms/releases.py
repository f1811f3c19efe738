"""What binds a suppress-mode release to the releases before it (transforms.grains applies it).

A `Release` carries the options of one release: `k`, `week_grain`, `record` (RECORD_SCHEMA:
the grain each earlier release published each period at), `counts` (COUNTS_SCHEMA: the counts
it published each cell with), both kept by the warehouse, `as_of` (the release's date) and
`open_from` (the writer's clock's day). transforms.grains.choose_grains offers, within them,
only:

- **Ended days** (`Release.ended`). A day on or after `open_from` has not ended: its counts
  are partial, so no release publishes or records it (nor a period starting on or after it),
  and a period holding it is in progress. Recorded, a day's partial counts would hold it for
  good once it ends (its growth since the load that published it is mostly under k).
- **Ended periods whole.** A week or 8-week period is published whole only once it has ended
  (its last day before `as_of` and before `open_from`, `Release.is_open`); a week in progress is
  published by its days (every day so far meeting k), else withheld, and does not count towards
  transforms.grain_protection.MAX_WITHHELD_SHARE (an 8-week period in progress, withheld, not
  towards MAX_WITHHELD_EIGHT_WEEK_SHARE). It is withheld too where its series' previous week is
  published whole: a series published by week waits for its week to end rather than tie the week
  to its days by publishing its first ones.
- **Sticky grains** (transforms.sticky_grains: `week_limits`, `eight_limits`). A day is
  published only at the grain recorded for its period: a week recorded by day only by day, one
  recorded whole only whole, an 8-week period recorded whole only whole; a period holding a day
  recorded at another grain (another recorded period, of either week grain) is withheld.
  Complementary suppression that would move a cell to a grain the record forbids withholds it
  instead, and picks a week no release has published before one that a release has
  (transforms.known_cells.rank). A period published once and withheld by a later release stays
  withheld (the cells two releases publish between them must leave no line one unknown cell),
  but for the weeks of a series withheld whole for its share of withheld weeks
  (transforms.grains step 3) whose current counts a release published
  (transforms.known_cells.public_weeks): they keep their recorded grain
  (transforms.release_history.next_record). A week withheld though its own cell meets k, because
  the record forbids that cell (it was published by day, and a day of it is now below k), does
  not count towards MAX_WITHHELD_SHARE: the share keeps out a series' low weeks (1–10 marked
  authors), and this one is not one (its week meets k); counting it would move a series
  published by day to 8-week periods, which its recorded weeks forbid, and so withhold it whole.
  A week inside an 8-week period recorded whole does count: there the series is taken by 8-week
  periods, and leaving its weeks out would send it back to weeks, all withheld, and withhold its
  recorded 8-week periods for good.
- **Changed counts held** (transforms.moved_cells). A cell published before whose MOVED_COUNTS
  now differ from some earlier release's by 1 to k − 1 (late or corrected posts) holds its period:
  withheld in this release (not counted towards MAX_WITHHELD_SHARE either, nor a held 8-week
  period towards MAX_WITHHELD_EIGHT_WEEK_SHARE), not recorded
  `withheld`, published again once its change from every earlier value meets k. So is a
  roll-up's cell whose change since an earlier release, net of the changes of the children
  that release published on its line (or showed no cell of: 0 then, SHOWN_SCHEMA), is 1 to
  k − 1 (transforms.line_changes: releases paired by `release`, RELEASED_SCHEMA).
  Complementary suppression withholds a week an earlier release published with its current
  counts (transforms.known_cells.known_weeks: each of its days', its own cell's, or its counts
  on a day a held cell of its lines moved) last, after the roll-up, and an 8-week period so
  published (transforms.known_cells.known_periods) likewise on lines of 8-week totals
  (transforms.privacy.protect_lines' `known`): its earlier value would stand for it beside a
  held cell.

- **Complements remembered** (transforms.remembered_complements: `covered_weeks`,
  `withheld_since`). A week of a child that a release recorded withheld (`Release.withheld`,
  transforms.release_history.records_after) and no release published,
  under a roll-up an earlier release published over a day of it (the whole week, or its
  days so far while it was in progress), was withheld beside that
  published total; transforms.grains publishes such weeks of a line only all together (and
  such 8-week cells of series withheld whole by week), and the weeks only where none of them
  changed (or went) from counts it was withheld with: else an earlier total minus the others
  could give one's earlier value back.

So no two releases publish overlapping periods of a series other than the same period at the
same grain with counts the same or at least k apart, and no period's count minus earlier days
gives a day back. transforms.release_history's `next_record` and `records_after` are the
records after a release (the grains; the counts published and withheld, and the cells shown,
by runs of releases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS
from transforms.privacy import DEFAULT_K

WeekGrain = Literal["iso_week", "epi_week"]

SERIES_KEYS = ("marker", "region", "lang", "marker_version")

CELL_KEY_SCHEMA = {
    **dict.fromkeys(SERIES_KEYS, pl.String),
    "grain": pl.String,
    "period_start": pl.Date,
}
"""The key of a released cell, and the first columns of RECORD_SCHEMA, COUNTS_SCHEMA and
transforms.publish.PUBLISHED_SCHEMA: its series (SERIES_KEYS), `grain` and `period_start`, its
first day."""

RECORD_SCHEMA = {**CELL_KEY_SCHEMA, "published_as": pl.String}
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

COUNTS_SCHEMA = {**CELL_KEY_SCHEMA, **dict.fromkeys(MOVED_COUNTS, pl.Int64)}
"""The counts releases published, one row per series, cell (`grain` `day`, a week grain or an
8-week grain; `period_start` its first day) and distinct MOVED_COUNTS it was published with
(a day's author-days are its authors). A cell never published has no row."""

RELEASED_SCHEMA = {**COUNTS_SCHEMA, "release": pl.Int64, "last_release": pl.Int64}
"""COUNTS_SCHEMA and the releases that published (or withheld) the cell with those counts: every
release from index `release` to `last_release` (1 for the first recorded, one more for each
later release whose cells or counts differ from the one before's:
transforms.release_history.release_index; a rerun that changes nothing adds none). A run of
releases with the same counts is one row; a cell published again with them after a release that
did not is a new row. Both null for rows recorded before schema version 17, whose releases are
unknown: they count as a set, unpaired (`transforms.line_changes`)."""

RELEASE_RUN = ("release", "last_release")

SHOWN_SCHEMA = {**CELL_KEY_SCHEMA, "release": pl.Int64, "last_release": pl.Int64}
"""The cells releases showed, published or withheld (the rows of
transforms.publish.PUBLISHED_SCHEMA: days, weeks and 8-week periods, periods in progress
included), keys only: one row per cell and run of releases that showed it (`release` to
`last_release`, as in RELEASED_SCHEMA). A series with no row in a release for a period had no
cell there (no posts, or a region backfilled after it): a reader reads it as 0 then
(transforms.line_changes). Kept from schema version 18: releases before the first index it
holds showed unknown cells."""

CELL_KEYS = list(CELL_KEY_SCHEMA)
"""CELL_KEY_SCHEMA's columns, in order: the key of a released cell."""


@dataclass(frozen=True, eq=False, kw_only=True)
class Release:
    """The options of one suppress-mode release: `k` (at least 1), `week_grain`, and what binds
    it to the releases before it: `record` (RECORD_SCHEMA), `counts` (RELEASED_SCHEMA; both
    empty: no earlier release), `withheld` (RELEASED_SCHEMA: the counts of the weeks of child
    series earlier releases withheld, transforms.release_history.records_after; None where they
    were not kept, a record written before schema version 16), `shown` (SHOWN_SCHEMA: the cells
    earlier releases showed, published or withheld; empty: none recorded), `as_of`, its date
    (None: every period has ended), and `open_from`, the first day that has not ended: the day the
    writer's clock (in the analysis time zone) was on when it chose the release (None: every
    day has ended). `counts` and `withheld` given in COUNTS_SCHEMA (no `release` column) read
    as recorded before schema version 17 (`released`)."""

    week_grain: WeekGrain
    k: int = DEFAULT_K
    record: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RECORD_SCHEMA))
    counts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RELEASED_SCHEMA))
    withheld: pl.DataFrame | None = field(
        default_factory=lambda: pl.DataFrame(schema=RELEASED_SCHEMA)
    )
    shown: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SHOWN_SCHEMA))
    as_of: date | None = None
    open_from: date | None = None

    def __post_init__(self) -> None:
        if self.week_grain not in ("iso_week", "epi_week"):
            raise ValueError(
                f"week_grain must be 'iso_week' or 'epi_week', not {self.week_grain!r}"
            )
        if self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")
        object.__setattr__(self, "counts", released(self.counts))
        object.__setattr__(self, "shown", self.shown.select(SHOWN_SCHEMA.keys()).cast(SHOWN_SCHEMA))
        if self.withheld is not None:
            object.__setattr__(self, "withheld", released(self.withheld))

    @property
    def eight(self) -> str:
        """The 8-week grain of `week_grain` (transforms.periods.EIGHT_WEEKS)."""
        return EIGHT_WEEKS[self.week_grain]

    def is_open(self, period_end: pl.Expr) -> pl.Expr:
        """True for a period still in progress: its last day not before `as_of`, or not before
        `open_from`."""
        bounds = [d for d in (self.as_of, self.open_from) if d is not None]
        return pl.lit(False) if not bounds else period_end >= pl.lit(min(bounds))

    def ended(self, cells: pl.DataFrame, *, start: str = "day") -> pl.DataFrame:
        """The rows of `cells` whose day (or period's first day, column `start`) is before
        `open_from`: the days that have ended, and the periods holding one. A release never
        sees the others: a day in progress is neither published nor recorded."""
        if self.open_from is None:
            return cells
        return cells.filter(pl.col(start) < pl.lit(self.open_from))


def released(counts: pl.DataFrame) -> pl.DataFrame:
    """`counts` (COUNTS_SCHEMA, with or without RELEASE_RUN) in RELEASED_SCHEMA: RELEASE_RUN
    null where it has none (recorded before schema version 17)."""
    missing = [c for c in RELEASE_RUN if c not in counts.columns]
    counts = counts.with_columns(pl.lit(None, pl.Int64).alias(c) for c in missing)
    return counts.select(RELEASED_SCHEMA.keys()).cast(RELEASED_SCHEMA)


def day_cells(daily: pl.DataFrame) -> pl.DataFrame:
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


def period_days() -> pl.Expr:
    """The days of each row's period (`grain` `day`, a week grain or an 8-week grain, from
    `period_start`), a list."""
    length = pl.col("grain").replace_strict({"day": 1, **PERIOD_DAYS}, return_dtype=pl.Int64)
    return pl.date_ranges("period_start", pl.col("period_start") + pl.duration(days=length - 1))
