"""Changed counts held: the cells whose counts moved by 1 to k − 1 from counts an earlier release
published them with, and the periods they hold (transforms.releases: "Changed counts held")."""

from __future__ import annotations

import polars as pl

from transforms.line_changes import line_moved
from transforms.periods import period_start
from transforms.releases import CELL_KEYS, MOVED_COUNTS, SERIES_KEYS, Release, day_cells


def moved_cells(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The cells (SERIES_KEYS, `grain`, `period_start`; `_moved` true) of `daily` (`grain`
    `day`) and `weeks` whose MOVED_COUNTS differ from counts `release.counts` holds for the same
    cell by 1 to k − 1 in some count: published again, the difference of the two releases
    would be a cell below k (late or corrected posts' authors). And those of roll-ups whose
    change since a release that published them, net of the changes of the children it
    published on their line (or showed no cell of: `release.shown`), is 1 to k − 1 in some
    count (transforms.line_changes.line_moved: published again, the roll-up's difference
    minus its children's would be the rest's)."""
    cells = pl.concat([day_cells(daily), weeks.select(*CELL_KEYS, *MOVED_COUNTS)])
    small = pl.any_horizontal(
        (pl.col(c) - pl.col(f"{c}_was")).abs().is_between(1, release.k - 1) for c in MOVED_COUNTS
    )
    own = (
        cells.join(release.counts.select(*CELL_KEYS, *MOVED_COUNTS), on=CELL_KEYS, suffix="_was")
        .filter(small)
        .select(CELL_KEYS)
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
        pl.concat([own, on_lines.select(CELL_KEYS)])
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
