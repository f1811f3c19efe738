"""An older marker version's days, shown day by day within what the releases of the current
one recorded (transforms.releases; warehouse.older_versions)."""

from __future__ import annotations

import polars as pl

from transforms.known_cells import zero_read
from transforms.moved_cells import moved_cells
from transforms.periods import period_start
from transforms.privacy import is_suppressed
from transforms.releases import (
    CELL_KEYS,
    COUNTS_SCHEMA,
    MOVED_COUNTS,
    SERIES_KEYS,
    Release,
    day_cells,
    period_days,
)
from transforms.sticky_grains import week_limits


def bound_days(daily: pl.DataFrame, release: Release) -> pl.DataFrame:
    """`daily` (DAILY_SCHEMA) to be shown day by day after the releases `release` records (no
    release of its own: warehouse.older_versions), with `_withheld`: the day
    is below k, or the record holds its week otherwise than by day
    (transforms.sticky_grains.week_limits' `_no_days`: it, or a period holding a day of it, was
    published whole, or withheld after it was published; a total minus the days shown would give the
    others back), or its counts moved by 1 to k − 1 from counts a release published it with
    (transforms.moved_cells); `_public`: a release published its current counts (a reader holds it);
    `_known`: `_public`, or its week is held so (a reader may hold a total it is part of), or its
    flagged authors are read as 0 (transforms.known_cells.zero_read) off a cell with none: one
    `daily` shows (not `_withheld`, before any complement), or one a release published (a day, week
    or 8-week period holding the day). For transforms.privacy.protect_lines
    on lines of days (`flag`, `public`, `known`). The input is not modified."""
    on = [*CELL_KEYS, *MOVED_COUNTS]
    published = (
        day_cells(daily).join(release.counts.select(on), on=on, how="semi").select(CELL_KEYS)
    )
    moved = moved_cells(daily, pl.DataFrame(schema=COUNTS_SCHEMA), release).drop("_moved")
    limits = week_limits(release).select(*SERIES_KEYS, "period_start", "_no_days")
    zeros = (
        release.counts.filter(pl.col("n_marked_authors") == 0)
        .select(*SERIES_KEYS, period_days().alias("day"))
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
