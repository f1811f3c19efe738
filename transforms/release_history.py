"""The records after a release (transforms.releases): the grains it adds to the record
(`next_record`), and the counts it publishes and withholds and the cells it shows, by runs of
releases (`records_after`, `release_index`)."""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL
from transforms.periods import EIGHT_WEEKS, period_start
from transforms.releases import (
    CELL_KEYS,
    COUNTS_SCHEMA,
    MOVED_COUNTS,
    RECORD_SCHEMA,
    RELEASE_RUN,
    RELEASED_SCHEMA,
    SERIES_KEYS,
    Release,
    day_cells,
    released,
)


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
        cells.select(CELL_KEYS)
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
        daily.with_columns(week).join(kept, on=on, how="semi").drop("period_start").pipe(day_cells)
    )
    own = weeks.filter(pl.col("grain") == release.week_grain, ended).join(kept, on=on, how="semi")
    cells = pl.concat([days, own.select(*CELL_KEYS, *MOVED_COUNTS)])
    return cells.select(COUNTS_SCHEMA.keys()).cast(COUNTS_SCHEMA).unique()


def published_cells(
    release: Release, daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame
) -> pl.DataFrame:
    """The counts (COUNTS_SCHEMA) of the cells that `choice` (transforms.grains.choose_grains
    of `daily` and `weeks` in `release`) publishes: its days, weeks and 8-week periods."""
    on = [*SERIES_KEYS, "period_start"]
    days = (
        daily.with_columns(period_start(pl.col("day"), release.week_grain).alias("period_start"))
        .join(choice.filter(pl.col("choice") == "day"), on=on, how="semi")
        .pipe(day_cells)
    )
    cells = weeks.join(
        choice.filter(pl.col("choice").is_in(["week", "8week"])), on=[*on, "grain"], how="semi"
    ).select(*CELL_KEYS, *MOVED_COUNTS)
    return pl.concat([days, cells]).select(COUNTS_SCHEMA.keys()).cast(COUNTS_SCHEMA)


def next_record(
    record: pl.DataFrame, choice: pl.DataFrame, held: pl.DataFrame, public: pl.DataFrame
) -> pl.DataFrame:
    """`record` (RECORD_SCHEMA) after a release of `choice` (transforms.grains.choose_grains),
    sorted: the periods it publishes that `record` lacks added at their grain (`day` or
    `whole`), the recorded periods it withholds turned `withheld`, but for the `held` ones
    (transforms.moved_cells.held_periods: their change may yet meet k). The recorded weeks of a
    series `choice` takes by 8-week periods (withheld whole by week) keep their grain where they are
    `public` (transforms.known_cells.public_weeks: a reader holds their current counts, so
    withholding them hid nothing), else they turn `withheld` as well: published again later with the
    counts this release withheld, they would give back a cell this release withheld beside them."""
    chosen = choice.select(
        *CELL_KEYS,
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
        .join(chosen, on=CELL_KEYS, how="left")
        .join(held, on=CELL_KEYS, how="left")
        .join(public, on=CELL_KEYS, how="left")
        .join(gone, on=list(SERIES_KEYS), how="left")
        .select(
            *CELL_KEYS,
            pl.when(((pl.col("_as") == "withheld") | hidden) & pl.col("_held").is_null())
            .then(pl.lit("withheld"))
            .otherwise(pl.col("published_as"))
            .alias("published_as"),
        )
    )
    new = chosen.filter(pl.col("_as") != "withheld").join(record, on=CELL_KEYS, how="anti")
    return pl.concat([updated, new.rename({"_as": "published_as"})]).sort(CELL_KEYS)
