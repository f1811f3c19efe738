"""What a suppress-mode release may publish: per series and period, the finest grain meeting k.

For each series (`marker`, `region`, `lang`) and week (ISO or CDC epi-week, `week_grain`):

1. **Primary choice.** The week's days when every one of them is publishable
   (transforms.privacy.is_suppressed), else the week's own cell (distinct authors over the
   week, counted at ingest) when that is publishable, else the week is withheld.
2. **Complementary suppression** (transforms.privacy.protect_lines), at two levels, repeated
   until both hold: no line of cells (a roll-up and its children, across regions or languages)
   has exactly one withheld week, and none has exactly one week published coarser than days
   (else that series' days would follow from its roll-up's days minus its siblings'). A cell is
   moved from days to its week, or withheld, to close a line. The weeks an earlier release
   withheld under a line's total it published over a day of them (the whole week, or its days so
   far while it was in progress) are moved, and withheld, all together
   (transforms.grain_protection's `_keep_complements`: complements remembered), and withheld where
   one of them changed (or went) since (transforms.remembered_complements.remembered).
3. **Holes, withheld whole.** A series with more than MAX_WITHHELD_SHARE
   (transforms.grain_protection) of its weeks withheld is withheld in every week (steps 2 and 3
   repeat until stable): its withheld weeks are its low ones (1–10 marked authors), so the rest
   would overstate it.
4. **8-week cells for a series withheld whole** (transforms.periods.EIGHT_WEEKS: eight whole
   weeks of the week grain, distinct authors counted at ingest): such a series publishes its
   8-week cells that meet k instead, with complementary suppression on lines of 8-week totals
   (where one needs a series published by week withheld, its weeks in the period are, and do
   not count towards step 3's share); a series with more than MAX_WITHHELD_EIGHT_WEEK_SHARE of
   its 8-week periods withheld is withheld whole (steps 2–4 repeat until stable). The 8-week
   cells an earlier release withheld under a line's total it published are published only
   all together.

Across releases (transforms.releases: the record of the grains and counts earlier releases
published, the release's date and the writer's clock's day) the steps above offer only what
the releases before allow, on the days that have ended (`Release.ended`: every function here
leaves out the others); `release_record` gives the records after a release.

transforms.publish makes the release's tables of the grains chosen here. Derived statistics
never use this selection (see `transforms.series.derived_series`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from transforms.grain_cells import eight_week_cells, weekly_cells
from transforms.grain_protection import protect_eight_weeks, protect_weeks
from transforms.known_cells import public_weeks
from transforms.moved_cells import held_periods, moved_cells
from transforms.periods import period_start
from transforms.release_history import next_record, records_after
from transforms.releases import SERIES_KEYS, Release
from transforms.remembered_complements import Memory, covered_weeks, withheld_since


def choose_grains(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """Per series and period: `choice` (`day`, `week`, `8week` or `withheld`) after steps 1–4
    above, within what `release` (transforms.releases.Release) allows, and the period's
    `grain` (the week grain, or its 8-week grain for a series taken by 8-week cells).

    `daily` follows DAILY_SCHEMA, `weeks` PERIOD_SCHEMA (rows of grains other than the week
    grain and its 8-week grain are ignored; without 8-week rows a series withheld whole stays
    withheld). Columns: SERIES_KEYS, `grain`, `period_start` (the period's first day),
    `choice`.
    """
    return chosen_cells(daily, weeks, release)[2]


def chosen_cells(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`(daily, weeks, choice)`: the days and periods of `daily` and `weeks` that `release`
    sees (`Release.ended`, less the periods in progress holding no ended day of their series),
    and `choose_grains` of them, each found once, for the tables of the release
    (transforms.publish)."""
    daily, weeks = _ended(daily, weeks, release)
    moved = moved_cells(daily, weeks, release)
    return daily, weeks, _choose(daily, weeks, release, moved, _memory(daily, weeks, release))


def _memory(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> Memory:
    """The Memory of `release` over `daily` and `weeks`."""
    return covered_weeks(release), withheld_since(daily, weeks, release)


def _choose(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    release: Release,
    moved: pl.DataFrame,
    memory: Memory,
) -> pl.DataFrame:
    """`choose_grains` with the `moved` cells (transforms.moved_cells.moved_cells) of `daily`
    and `weeks` in `release` and its `memory` (`_memory`), both computed once by the
    caller."""
    eight_cells = eight_week_cells(weeks, release, moved)
    cells = weekly_cells(daily, weeks, release, moved, eight_cells, memory)
    while True:
        cells = protect_weeks(cells)
        lines = protect_eight_weeks(cells, eight_cells)
        forced = lines.filter(pl.col("_flag") & ~pl.col("_gone") & ~pl.col("_unknown"))
        if forced.is_empty():
            break
        cells = (
            cells.join(
                forced.select(*SERIES_KEYS, "_start8", pl.lit(True).alias("_now")),
                on=[*SERIES_KEYS, "_start8"],
                how="left",
                maintain_order="left",
            )
            .with_columns(pl.col("_forced") | pl.col("_now").fill_null(False))
            .with_columns(pl.col("_withheld") | pl.col("_forced"))
            .drop("_now")
        )
    choice = (
        pl.when(pl.col("_withheld"))
        .then(pl.lit("withheld"))
        .when(pl.col("_coarse"))
        .then(pl.lit("week"))
        .otherwise(pl.lit("day"))
    )
    by_weeks = cells.join(lines.filter("_gone"), on=SERIES_KEYS, how="anti").select(
        *SERIES_KEYS,
        pl.lit(release.week_grain).alias("grain"),
        "period_start",
        choice.alias("choice"),
    )
    by_eights = lines.filter("_gone").select(
        *SERIES_KEYS,
        pl.lit(release.eight).alias("grain"),
        pl.col("_start8").alias("period_start"),
        pl.when(pl.col("_flag"))
        .then(pl.lit("withheld"))
        .otherwise(pl.lit("8week"))
        .alias("choice"),
    )
    return pl.concat([by_weeks, by_eights]).sort(*SERIES_KEYS, "period_start")


def release_record(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> Release:
    """`release` with the record, counts and shown cells after it publishes `daily` and
    `weeks`.

    The release is chosen after the record, and chosen again after the record with its own
    periods added (transforms.release_history.next_record) until it publishes no period the record
    lacks, so that choosing it once more from the record it returns (a reader's, or a rerun's)
    gives the same release. Terminates: the record only grows, within the periods of the data,
    and a row only turns `withheld`. The moved cells (transforms.moved_cells.moved_cells) are
    found once, as is the Memory (`_memory`): they depend on the counts, which only the last
    step changes. The counts gain those the release publishes its cells with
    (transforms.release_history.published_cells), the withheld counts those of the weeks of child
    series it withholds (transforms.release_history.withheld_cells), the shown cells the keys of
    the cells it shows, published or withheld, all as one release index
    (transforms.release_history.records_after)."""
    daily, weeks = _ended(daily, weeks, release)
    moved = moved_cells(daily, weeks, release)
    held, public = held_periods(moved, release), public_weeks(daily, weeks, release, moved)
    memory = _memory(daily, weeks, release)
    while True:
        choice = _choose(daily, weeks, release, moved, memory)
        record = next_record(release.record, choice, held, public)
        if record.equals(release.record):
            break
        release = replace(release, record=record)
    counts, withheld, shown = records_after(release, daily, weeks, choice)
    return replace(release, counts=counts, withheld=withheld, shown=shown)


def _ended(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`daily`'s days and `weeks`' periods that a release sees (transforms.releases
    `Release.ended`), less the periods in progress that hold no ended day of their series: a
    series whose days so far are all open has no row for that period, not a withheld one."""
    daily, weeks = release.ended(daily), release.ended(weeks, start="period_start")
    if release.open_from is None:
        return daily, weeks
    keys = [*SERIES_KEYS, "grain", "period_start"]
    held = pl.concat(
        daily.select(
            *SERIES_KEYS,
            pl.lit(grain).alias("grain"),
            period_start(pl.col("day"), grain).alias("period_start"),
        )
        for grain in (release.week_grain, release.eight)
    )
    has_day = pl.struct(keys).is_in(held.select(pl.struct(keys)).to_series().implode())
    return daily, weeks.filter((pl.col("period_end") < release.open_from) | has_day)
