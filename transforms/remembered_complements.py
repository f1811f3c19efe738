"""Complements remembered (transforms.releases): the weeks of child series that earlier
releases withheld under a roll-up's total they published over a day of them, and whether they
changed since; transforms.grains publishes such weeks of a line only all together, and only
where none of them changed."""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL
from transforms.periods import period_start
from transforms.releases import (
    CELL_KEYS,
    MOVED_COUNTS,
    SERIES_KEYS,
    Release,
    day_cells,
    period_days,
)


def covered_weeks(release: Release) -> pl.DataFrame:
    """The weeks of the week grain (SERIES_KEYS, `period_start`) a day of which a cell in
    `release.counts` holds (a day's own cell, the week's, or its 8-week period's): an earlier
    release published the series' value over that day, the whole week or, the week in
    progress then, its days so far. Of a line's roll-up (transforms.grains' remembered
    complements), the week of a child no release published (no `record` row) was withheld in
    a release that published its line's total: the children so withheld have a sum a reader
    holds."""
    days = release.counts.select(*SERIES_KEYS, period_days().alias("day")).explode("day")
    week = period_start(pl.col("day"), release.week_grain).alias("period_start")
    return days.select(*SERIES_KEYS, week).unique()


def withheld_since(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> pl.DataFrame | None:
    """Per series and week of the week grain of which `release.withheld` holds a cell (the
    week's own or a day's: a release withheld it, transforms.release_history.records_after):
    SERIES_KEYS, `period_start` and `_changed_since`: some set of counts it was withheld with is not
    the one its cell has in `daily` or `weeks` now (a count differs, or the cell is gone). "Some",
    not "every": a reader's `withheld` holds the counts its own release withheld too, equal to
    the current ones, and the flag comes out the same for the writer and for it. None where
    `release.withheld` is (not kept: a record from before schema version 16)."""
    if release.withheld is None:
        return None
    stored = release.withheld.select(*CELL_KEYS, *MOVED_COUNTS)
    cells = pl.concat(
        [
            day_cells(daily),
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


Memory = tuple[pl.DataFrame, pl.DataFrame | None]
"""What a release remembers of the weeks earlier releases withheld under a line's total: the
covered weeks (`covered_weeks`) and the weeks withheld since
(`withheld_since`), found once per release (they depend on the counts,
which only the last step of transforms.grains.release_record changes)."""

KEPT = {"region": ("lang", "_kept_region"), "lang": ("region", "_kept_lang")}
"""Per line axis (the column its roll-up is ALL in): the column it fixes, and the column of
its children's `remembered` flags."""


def remembered(
    cells: pl.DataFrame, covered: pl.DataFrame, since: pl.DataFrame | None
) -> pl.DataFrame:
    """`cells` with `_kept_region` and `_kept_lang`: the week is one no release published
    (not `_recorded`) of a child on its line by region (or by language) that an earlier
    release recorded withheld (`since`: `withheld_since`; None, a record
    without withheld counts, older than schema version 16: every week no release published)
    and whose roll-up an earlier release published over a day of the week (`covered`:
    `covered_weeks`): it was withheld beside that published total (as a
    small cell or a complement), and a reader holds the sum of the line's children so
    withheld. `_kept_back`: the week is so kept on a line where one of the weeks withheld
    changed since (`_changed_since`), its cells gone included: the counts kept are sets, not
    release by release, so one unchanged since the last release that withheld it may read as
    changed, and published, that release's total minus the others' values gives the changed
    one's value then; so all of them stay withheld."""
    on = [*SERIES_KEYS, "period_start"]
    if since is None:
        since = cells.select(*on, pl.lit(False).alias("_changed_since"))
    gone = since.join(cells, on=on, how="anti").filter("_changed_since")
    cells = cells.join(
        since.with_columns(pl.lit(True).alias("_before")), on=on, how="left"
    ).with_columns(pl.col("_before", "_changed_since").fill_null(False))
    back = pl.lit(False)
    for axis, (fixed, kept) in KEPT.items():
        line = ["marker", "marker_version", fixed, "period_start"]
        totals = covered.filter(pl.col(axis) == ALL).select(*line, pl.lit(True).alias(kept))
        went = gone.filter(pl.col(axis) != ALL).select(*line, pl.lit(True).alias(f"_gone_{axis}"))
        cells = (
            cells.join(totals, on=line, how="left")
            .join(went.unique(), on=line, how="left")
            .with_columns(
                (
                    pl.col(kept).fill_null(False)
                    & (pl.col(axis) != ALL)
                    & ~pl.col("_recorded")
                    & pl.col("_before")
                ).alias(kept)
            )
        )
        changed = (pl.col(kept) & pl.col("_changed_since")).any().over(line)
        back = back | (pl.col(kept) & (changed | pl.col(f"_gone_{axis}").fill_null(False)))
    return cells.with_columns(back.alias("_kept_back")).drop(
        "_before", "_changed_since", "_gone_region", "_gone_lang"
    )
