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
  (its last day before `as_of` and before `open_from`, `Release.is_open`); a week in progress
  is published by its days (every day so far meeting k), else withheld, and does not count
  towards transforms.grains.MAX_WITHHELD_SHARE (an 8-week period in progress, withheld, not
  towards MAX_WITHHELD_EIGHT_WEEK_SHARE). It is withheld too where its series' previous week is
  published whole: a series published by week waits for its week to end rather than tie the
  week to its days by publishing its first ones.
- **Sticky grains** (`week_limits`, `eight_limits`). A day is published only at the grain
  recorded for its period: a week recorded by day only by day, one recorded whole only whole,
  an 8-week period recorded whole only whole; a period holding a day recorded at another grain
  (another recorded period, of either week grain) is withheld. Complementary suppression that
  would move a cell to a grain the record forbids withholds it instead, and picks a week no
  release has published before one that a release has (`rank`). A period published once and
  withheld by a later release stays withheld (the cells two releases publish between them must
  leave no line one unknown cell), but for the weeks of a series withheld whole for its share
  of withheld weeks (transforms.grains step 3) whose current counts a release published
  (`public_weeks`): they keep their recorded grain (`next_record`). A week withheld though its own cell meets k, because the
  record forbids that cell (it was published by day, and a day of it is now below k), does
  not count towards MAX_WITHHELD_SHARE: the share keeps out a series' low weeks (1–10 marked
  authors), and this one is not one (its week meets k); counting it would move a series
  published by day to 8-week periods, which its recorded weeks forbid, and so withhold it
  whole. A week inside an 8-week period recorded whole does count: there the series is taken
  by 8-week periods, and leaving its weeks out would send it back to weeks, all withheld, and
  withhold its recorded 8-week periods for good.
- **Changed counts held** (`moved_cells`). A cell published before whose MOVED_COUNTS now
  differ from some earlier release's by 1 to k − 1 (late or corrected posts) holds its period:
  withheld in this release (not counted towards MAX_WITHHELD_SHARE either, nor a held 8-week
  period towards MAX_WITHHELD_EIGHT_WEEK_SHARE), not recorded
  `withheld`, published again once its change from every earlier value meets k. So is a
  roll-up's cell whose change since an earlier release, net of the changes of the children
  that release published on its line (or showed no cell of: 0 then, SHOWN_SCHEMA), is 1 to
  k − 1 (transforms.line_changes: releases paired by `release`, RELEASED_SCHEMA).
  Complementary suppression withholds a week an earlier release published with its current
  counts (`known_weeks`: each of its days', its own cell's, or its counts on a day a held cell
  of its lines moved) last, after the roll-up, and an 8-week period so published
  (`known_periods`) likewise on lines of 8-week totals (transforms.privacy.protect_lines'
  `known`): its earlier value would stand for it beside a held cell.

- **Complements remembered** (`covered_weeks`, `withheld_since`). A week of a child that a
  release recorded withheld (`Release.withheld`, `records_after`) and no release published,
  under a roll-up an earlier release published over a day of it (the whole week, or its
  days so far while it was in progress), was withheld beside that
  published total; transforms.grains publishes such weeks of a line only all together (and
  such 8-week cells of series withheld whole by week), and the weeks only where none of them
  changed (or went) from counts it was withheld with: else an earlier total minus the others
  could give one's earlier value back.

So no two releases publish overlapping periods of a series other than the same period at the
same grain with counts the same or at least k apart, and no period's count minus earlier days
gives a day back. `next_record` and `records_after` are the records after a release (the
grains; the counts published and withheld, and the cells shown, by runs of releases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from transforms.contracts import ALL
from transforms.line_changes import line_moved
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.privacy import DEFAULT_K, is_suppressed

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
later release whose cells or counts differ from the one before's: `release_index`; a rerun
that changes nothing adds none). A run of releases with the same counts is one row; a cell
published again with them after a release that did not is a new row. Both null for rows
recorded before schema version 17, whose releases are unknown: they count as a set, unpaired
(`transforms.line_changes`)."""

RELEASE_RUN = ("release", "last_release")

SHOWN_SCHEMA = {**CELL_KEY_SCHEMA, "release": pl.Int64, "last_release": pl.Int64}
"""The cells releases showed, published or withheld (the rows of
transforms.publish.PUBLISHED_SCHEMA: days, weeks and 8-week periods, periods in progress
included), keys only: one row per cell and run of releases that showed it (`release` to
`last_release`, as in RELEASED_SCHEMA). A series with no row in a release for a period had no
cell there (no posts, or a region backfilled after it): a reader reads it as 0 then
(transforms.line_changes). Kept from schema version 18: releases before the first index it
holds showed unknown cells."""

_PERIOD_KEYS = list(CELL_KEY_SCHEMA)


@dataclass(frozen=True, eq=False, kw_only=True)
class Release:
    """The options of one suppress-mode release: `k` (at least 1), `week_grain`, and what binds
    it to the releases before it: `record` (RECORD_SCHEMA), `counts` (RELEASED_SCHEMA; both
    empty: no earlier release), `withheld` (RELEASED_SCHEMA: the counts of the weeks of child
    series earlier releases withheld, `records_after`; None where they were not kept, a record
    written before schema version 16), `shown` (SHOWN_SCHEMA: the cells earlier releases
    showed, published or withheld; empty: none recorded), `as_of`, its date (None: every
    period has ended), and `open_from`, the first day that has not ended: the day the
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


def release_index(
    release: Release, published: pl.DataFrame, withheld: pl.DataFrame, shown: pl.DataFrame
) -> int:
    """The index (RELEASED_SCHEMA) of a release after `release` that publishes the cells
    `published`, withholds the cells `withheld` (COUNTS_SCHEMA) and shows the cells `shown`
    (CELL_KEY_SCHEMA): the last recorded index where that release published, withheld and
    showed exactly these (a rerun of the same data), else one more (1 for the first). A last
    release recorded without the cells it showed (before schema version 18) is never the
    same."""
    kept = (release.counts, released(_withheld_before(release)), release.shown)
    last = max((f["last_release"].max() or 0 for f in kept), default=0)

    def rows(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop(RELEASE_RUN, strict=False).unique().sort(pl.all())

    same = all(
        rows(new).equals(rows(old.filter(pl.col("last_release") == last)))
        for new, old in zip((published, withheld, shown), kept, strict=True)
    )
    return last if last and same else last + 1


def _withheld_before(release: Release) -> pl.DataFrame:
    """`release.withheld`, empty (RELEASED_SCHEMA) where None."""
    return pl.DataFrame(schema=RELEASED_SCHEMA) if release.withheld is None else release.withheld


RECORDED_LAST = 2**40
"""Added to a recorded week's size where complementary suppression picks the smallest cell
(`rank`): it withholds (or moves to its week) a cell no release has published before one that
a release has, so the cells a line keeps back stay the ones earlier releases kept back (a
choice by size alone changes as a week in progress grows, and the days two releases publish
between them would leave one cell of the line unknown)."""


KNOWN_LAST = 2**41
"""Added to a week's rank where an earlier release published its current counts
(`known_weeks`): withheld beside a held cell (`moved_cells`), its earlier value would stand for
its current one, and with the roll-up and the other cells of the line give the held cell back;
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
    holds a day's current counts on a day on which a `moved` day cell (`moved_cells`) of a line
    it is in (its marker and region, or marker and language) moved: withheld beside that held
    cell, that day's earlier value would stand for its current one, whatever its other days
    hold. `_known_whole`: the first alone, each of its days' or its own cell's (a reader holds
    the week's whole value: withheld, it hides nothing); `_known_days`: each of its days';
    `_known_on_days`: each of its days', or a day's on a moved day of its lines (a reader holds
    the value of a day of it that a subtraction on a line of days uses; its own cell alone
    gives none: transforms.grains adds the days a published cell with no flagged author
    gives)."""
    on = [*_PERIOD_KEYS, *MOVED_COUNTS]
    stored = release.counts.select(on).with_columns(pl.lit(True).alias("_known"))
    moved_days = moved.filter(pl.col("grain") == "day")
    known = pl.col("_known").fill_null(False)
    week = period_start(pl.col("period_start"), release.week_grain).alias("period_start")
    by_days = _day_cells(daily).join(stored, on=on, how="left")
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


def covered_weeks(release: Release) -> pl.DataFrame:
    """The weeks of the week grain (SERIES_KEYS, `period_start`) a day of which a cell in
    `release.counts` holds (a day's own cell, the week's, or its 8-week period's): an earlier
    release published the series' value over that day, the whole week or, the week in
    progress then, its days so far. Of a line's roll-up (transforms.grains' remembered
    complements), the week of a child no release published (no `record` row) was withheld in
    a release that published its line's total: the children so withheld have a sum a reader
    holds."""
    days = release.counts.select(*SERIES_KEYS, _period_days().alias("day")).explode("day")
    week = period_start(pl.col("day"), release.week_grain).alias("period_start")
    return days.select(*SERIES_KEYS, week).unique()


def withheld_since(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> pl.DataFrame | None:
    """Per series and week of the week grain of which `release.withheld` holds a cell (the
    week's own or a day's: a release withheld it, `records_after`): SERIES_KEYS,
    `period_start` and `_changed_since`: some set of counts it was withheld with is not the
    one its cell has in `daily` or `weeks` now (a count differs, or the cell is gone). "Some",
    not "every": a reader's `withheld` holds the counts its own release withheld too, equal to
    the current ones, and the flag comes out the same for the writer and for it. None where
    `release.withheld` is (not kept: a record from before schema version 16)."""
    if release.withheld is None:
        return None
    stored = release.withheld.select(*_PERIOD_KEYS, *MOVED_COUNTS)
    cells = pl.concat(
        [
            _day_cells(daily),
            weeks.filter(pl.col("grain") == release.week_grain).select(stored.columns),
        ]
    )
    unchanged = pl.col("_now").fill_null(False).all()
    return (
        stored.join(
            cells.with_columns(pl.lit(True).alias("_now")),
            on=stored.columns,
            how="left",
            nulls_equal=True,
        )
        .group_by(
            *SERIES_KEYS,
            period_start(pl.col("period_start"), release.week_grain).alias("period_start"),
        )
        .agg((~unchanged).alias("_changed_since"))
    )


def records_after(
    release: Release, daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`(counts, withheld, shown)` (RELEASED_SCHEMA twice, then SHOWN_SCHEMA; sorted) after
    the release of `choice` (transforms.grains.choose_grains of `daily` and `weeks` in
    `release`): `release.counts` with `published_cells`, `release.withheld` (empty where None)
    with `withheld_cells`, `release.shown` with the keys of the cells it shows (published or
    withheld), all as one release (`release_index`)."""
    published = published_cells(release, daily, weeks, choice)
    withheld = withheld_cells(release, daily, weeks, choice)
    shown = pl.concat(
        cells.select(_PERIOD_KEYS)
        for cells in (published, choice.filter(pl.col("choice") == "withheld"))
    )
    index = release_index(release, published, withheld, shown)
    before = (release.counts, _withheld_before(release), release.shown)
    return tuple(
        _with_run(kept, added, index)
        for kept, added in zip(before, (published, withheld, shown), strict=True)
    )


def _with_run(kept: pl.DataFrame, added: pl.DataFrame, index: int) -> pl.DataFrame:
    """`kept` (RELEASED_SCHEMA or SHOWN_SCHEMA) after release `index` recorded the cells
    `added` (its columns but RELEASE_RUN), sorted: a row of the same cell (and counts) whose
    run ends at the release before (or at this one: a rerun) runs on to `index`; the others
    are new rows of `index` alone."""
    rows = [c for c in kept.columns if c not in RELEASE_RUN]
    added = added.select(rows).unique()
    ongoing = pl.col("last_release").is_in([index - 1, index]).fill_null(False)
    extended = kept.filter(ongoing).join(added, on=rows, how="semi", nulls_equal=True)
    new = added.join(extended, on=rows, how="anti", nulls_equal=True).with_columns(
        pl.lit(index, pl.Int64).alias(c) for c in RELEASE_RUN
    )
    rest = kept.join(extended, on=kept.columns, how="anti", nulls_equal=True)
    return (
        pl.concat([rest, extended.with_columns(pl.lit(index, pl.Int64).alias("last_release")), new])
        .unique()
        .sort(pl.all())
    )


def withheld_cells(
    release: Release, daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame
) -> pl.DataFrame:
    """The counts (COUNTS_SCHEMA) of the weeks of the week grain of child series (`region`
    or `lang` not ALL) that `choice` (transforms.grains.choose_grains of `daily` and `weeks`)
    withholds (by week, or its series taken by 8-week periods): each of its days' (the days
    of `daily`, which have ended) and, for an ended week, the week's own cell (where `weeks`
    holds it), unique. Such a week, withheld under a total its line publishes (a week in
    progress under its days so far), makes with the line's other withheld children a sum a
    reader holds (transforms.grains: complements remembered). A week in progress keeps no
    cell of its own: its counts are partial."""
    on = [*SERIES_KEYS, "period_start"]
    week = period_start(pl.col("day"), release.week_grain).alias("period_start")
    published = choice.filter(
        pl.col("grain") == release.week_grain, pl.col("choice").is_in(["day", "week"])
    ).select(on)
    child = (pl.col("region") != ALL) | (pl.col("lang") != ALL)
    ended = ~release.is_open(pl.col("period_start") + pl.duration(days=6))
    kept = (
        daily.filter(child).select(*SERIES_KEYS, week).unique().join(published, on=on, how="anti")
    )
    days = (
        daily.with_columns(week).join(kept, on=on, how="semi").drop("period_start").pipe(_day_cells)
    )
    own = weeks.filter(pl.col("grain") == release.week_grain, ended).join(kept, on=on, how="semi")
    cells = pl.concat([days, own.select(*_PERIOD_KEYS, *MOVED_COUNTS)])
    return cells.select(COUNTS_SCHEMA.keys()).cast(COUNTS_SCHEMA).unique()


def known_periods(weeks: pl.DataFrame, release: Release, grain: str) -> pl.DataFrame:
    """Per series and period of `grain` in `weeks` whose own cell `release.counts` holds with
    its current MOVED_COUNTS: SERIES_KEYS, `period_start`, `_known` (true)."""
    on = [*_PERIOD_KEYS, *MOVED_COUNTS]
    return (
        weeks.filter(pl.col("grain") == grain)
        .join(release.counts.select(on), on=on, how="semi")
        .select(*SERIES_KEYS, "period_start", pl.lit(True).alias("_known"))
    )


def _recorded_days(record: pl.DataFrame) -> pl.DataFrame:
    """Every day of every recorded period: SERIES_KEYS, `day`, `_grain`, `_start`, `_whole`,
    `_gone`."""
    return record.select(
        *SERIES_KEYS,
        _period_days().alias("day"),
        pl.col("grain").alias("_grain"),
        pl.col("period_start").alias("_start"),
        (pl.col("published_as") == "whole").alias("_whole"),
        (pl.col("published_as") == "withheld").alias("_gone"),
    ).explode("day")


def _period_days() -> pl.Expr:
    """The days of each row's period (`grain` `day`, a week grain or an 8-week grain, from
    `period_start`), a list."""
    length = pl.col("grain").replace_strict({"day": 1, **PERIOD_DAYS}, return_dtype=pl.Int64)
    return pl.date_ranges("period_start", pl.col("period_start") + pl.duration(days=length - 1))


def zero_read(read: pl.Expr, period: str) -> pl.Expr:
    """True for a cell whose flagged authors a reader reads as 0 off a published cell with
    none that holds it: `read` (such a cell of its own, per row) holds for it, or for its
    roll-up by region, by language or both (same marker, marker version and `period`
    column): a roll-up with no flagged author has none in any child. The one rule for a
    release's weeks (transforms.grains) and an older version's days (`bound_days`)."""
    at = ["marker", "marker_version", period]
    by_region, by_lang = pl.col("region") == ALL, pl.col("lang") == ALL
    return (
        read
        | (read & by_region).any().over(*at, "lang")
        | (read & by_lang).any().over(*at, "region")
        | (read & by_region & by_lang).any().over(at)
    )


def week_limits(release: Release) -> pl.DataFrame:
    """Per series and week of the week grain holding a day of `release.record`: `_no_days` (a
    day of it was published within a period, or its period was withheld after it was
    published), `_no_whole` (a day of it was published otherwise than within this very week)
    and `_in_eight` (a day of it was published within an 8-week period: the series is taken
    by 8-week periods there)."""
    week = period_start(pl.col("day"), release.week_grain)
    itself = (
        pl.col("_whole") & (pl.col("_grain") == release.week_grain) & (pl.col("_start") == week)
    )
    return (
        _recorded_days(release.record)
        .group_by(*SERIES_KEYS, week.alias("period_start"))
        .agg(
            (pl.col("_whole") | pl.col("_gone")).any().alias("_no_days"),
            (~itself).any().alias("_no_whole"),
            (pl.col("_whole") & (pl.col("_grain") == release.eight)).any().alias("_in_eight"),
        )
    )


def eight_limits(release: Release) -> pl.DataFrame:
    """Per series and 8-week period holding a day of `release.record`: `_no_whole` (a day of
    it was published otherwise than within this very period)."""
    start = period_start(pl.col("day"), release.eight)
    itself = pl.col("_whole") & (pl.col("_grain") == release.eight) & (pl.col("_start") == start)
    return (
        _recorded_days(release.record)
        .group_by(*SERIES_KEYS, start.alias("period_start"))
        .agg((~itself).any().alias("_no_whole"))
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


def bound_days(daily: pl.DataFrame, release: Release) -> pl.DataFrame:
    """`daily` (DAILY_SCHEMA) to be shown day by day after the releases `release` records (no
    release of its own: warehouse.older_versions), with `_withheld`: the day
    is below k, or the record holds its week otherwise than by day (`week_limits`' `_no_days`:
    it, or a period holding a day of it, was published whole, or withheld after it was
    published; a total minus the days shown would give the others back), or its counts moved
    by 1 to k − 1 from counts a release published it with (`moved_cells`); `_public`: a
    release published its current counts (a reader holds it); `_known`: `_public`, or its week
    is held so (a reader may hold a total it is part of), or its flagged authors are read as 0
    (`zero_read`) off a cell with none: one `daily` shows (not `_withheld`, before any
    complement), or one a release published (a day, week or 8-week period holding the day).
    For transforms.privacy.protect_lines
    on lines of days (`flag`, `public`, `known`). The input is not modified."""
    on = [*_PERIOD_KEYS, *MOVED_COUNTS]
    published = (
        _day_cells(daily).join(release.counts.select(on), on=on, how="semi").select(_PERIOD_KEYS)
    )
    moved = moved_cells(daily, pl.DataFrame(schema=COUNTS_SCHEMA), release).drop("_moved")
    limits = week_limits(release).select(*SERIES_KEYS, "period_start", "_no_days")
    zeros = (
        release.counts.filter(pl.col("n_marked_authors") == 0)
        .select(*SERIES_KEYS, _period_days().alias("day"))
        .explode("day")
    )
    key = [*SERIES_KEYS, pl.lit("day").alias("grain"), pl.col("day").alias("period_start")]
    shown_zero = ~pl.col("_withheld") & (pl.col("n_marked_authors") == 0)
    return (
        daily.with_columns(
            pl.struct(key).is_in(published.to_struct().implode()).alias("_public"),
            pl.struct(key).is_in(moved.to_struct().implode()).alias("_moved"),
            pl.struct(*SERIES_KEYS, "day").is_in(zeros.to_struct().implode()).alias("_zero"),
            period_start(pl.col("day"), release.week_grain).alias("_week"),
        )
        .join(
            limits.rename({"period_start": "_week"}),
            on=[*SERIES_KEYS, "_week"],
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("_no_days").fill_null(False))
        .with_columns(
            (is_suppressed(k=release.k) | pl.col("_no_days") | pl.col("_moved")).alias("_withheld"),
        )
        .with_columns(
            (
                pl.col("_public")
                | pl.col("_no_days")
                | zero_read(shown_zero | pl.col("_zero"), "day")
            ).alias("_known")
        )
        .drop("_moved", "_no_days", "_week", "_zero")
    )


def moved_cells(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The cells (SERIES_KEYS, `grain`, `period_start`; `_moved` true) of `daily` (`grain`
    `day`) and `weeks` whose MOVED_COUNTS differ from counts `release.counts` holds for the same
    cell by 1 to k − 1 in some count: published again, the difference of the two releases
    would be a cell below k (late or corrected posts' authors). And those of roll-ups whose
    change since a release that published them, net of the changes of the children it
    published on their line (or showed no cell of: `release.shown`), is 1 to k − 1 in some
    count (transforms.line_changes.line_moved: published again, the roll-up's difference
    minus its children's would be the rest's)."""
    cells = pl.concat([_day_cells(daily), weeks.select(*_PERIOD_KEYS, *MOVED_COUNTS)])
    small = pl.any_horizontal(
        (pl.col(c) - pl.col(f"{c}_was")).abs().is_between(1, release.k - 1) for c in MOVED_COUNTS
    )
    own = (
        cells.join(
            release.counts.select(*_PERIOD_KEYS, *MOVED_COUNTS), on=_PERIOD_KEYS, suffix="_was"
        )
        .filter(small)
        .select(_PERIOD_KEYS)
        .unique()
    )
    on_lines = line_moved(
        cells,
        release.counts,
        own,
        k=release.k,
        week_grain=release.week_grain,
        counts=MOVED_COUNTS,
        shown=release.shown,
    )
    return (
        pl.concat([own, on_lines.select(_PERIOD_KEYS)])
        .unique()
        .with_columns(pl.lit(True).alias("_moved"))
    )


def held_periods(moved: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The periods (SERIES_KEYS, `grain`, `period_start`, `_held`) holding a `moved` cell
    (`moved_cells`): a week of the week grain holding a moved day, a moved week or 8-week
    period."""
    by_day = pl.col("grain") == "day"
    return moved.select(
        *SERIES_KEYS,
        pl.when(by_day).then(pl.lit(release.week_grain)).otherwise("grain").alias("grain"),
        pl.when(by_day)
        .then(period_start(pl.col("period_start"), release.week_grain))
        .otherwise("period_start")
        .alias("period_start"),
        pl.lit(True).alias("_held"),
    ).unique()


def next_record(
    record: pl.DataFrame, choice: pl.DataFrame, held: pl.DataFrame, public: pl.DataFrame
) -> pl.DataFrame:
    """`record` (RECORD_SCHEMA) after a release of `choice` (transforms.grains.choose_grains),
    sorted: the periods it publishes that `record` lacks added at their grain (`day` or
    `whole`), the recorded periods it withholds turned `withheld`, but for the `held` ones
    (`held_periods`: their change may yet meet k). The recorded weeks of a series `choice`
    takes by 8-week periods (withheld whole by week) keep their grain where they are `public`
    (`public_weeks`: a reader holds their current counts, so withholding them hid nothing),
    else they turn `withheld` as well: published again later with the counts this release
    withheld, they would give back a cell this release withheld beside them."""
    chosen = choice.select(
        *_PERIOD_KEYS,
        pl.col("choice")
        .replace_strict({"day": "day", "withheld": "withheld"}, default="whole")
        .alias("_as"),
    )
    by_eights = choice.filter(pl.col("grain").is_in(list(EIGHT_WEEKS.values())))
    gone = by_eights.select(*SERIES_KEYS, pl.col("grain").alias("_eight")).unique()
    its_week = pl.col("grain").replace_strict(EIGHT_WEEKS, default=None) == pl.col("_eight")
    hidden = pl.col("_as").is_null() & its_week.fill_null(False) & pl.col("_public").is_null()
    updated = (
        record.select(RECORD_SCHEMA.keys())
        .join(chosen, on=_PERIOD_KEYS, how="left")
        .join(held, on=_PERIOD_KEYS, how="left")
        .join(public, on=_PERIOD_KEYS, how="left")
        .join(gone, on=list(SERIES_KEYS), how="left")
        .select(
            *_PERIOD_KEYS,
            pl.when(((pl.col("_as") == "withheld") | hidden) & pl.col("_held").is_null())
            .then(pl.lit("withheld"))
            .otherwise(pl.col("published_as"))
            .alias("published_as"),
        )
    )
    new = chosen.filter(pl.col("_as") != "withheld").join(record, on=_PERIOD_KEYS, how="anti")
    return pl.concat([updated, new.rename({"_as": "published_as"})]).sort(_PERIOD_KEYS)


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


def published_cells(
    release: Release, daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame
) -> pl.DataFrame:
    """The counts (COUNTS_SCHEMA) of the cells that `choice` (transforms.grains.choose_grains
    of `daily` and `weeks` in `release`) publishes: its days, weeks and 8-week periods."""
    on = [*SERIES_KEYS, "period_start"]
    days = (
        daily.with_columns(period_start(pl.col("day"), release.week_grain).alias("period_start"))
        .join(choice.filter(pl.col("choice") == "day"), on=on, how="semi")
        .pipe(_day_cells)
    )
    cells = weeks.join(
        choice.filter(pl.col("choice").is_in(["week", "8week"])), on=[*on, "grain"], how="semi"
    ).select(*_PERIOD_KEYS, *MOVED_COUNTS)
    return pl.concat([days, cells]).select(COUNTS_SCHEMA.keys()).cast(COUNTS_SCHEMA)
