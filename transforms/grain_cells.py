"""The cells transforms.grains chooses among, step 1's weeks and step 4's 8-week periods: what a
release may publish of each within the record, the moved cells and its date, with the flags
that steps 2–4 (transforms.grain_protection) read."""

from __future__ import annotations

import polars as pl

from transforms.known_cells import known_periods, known_weeks, rank
from transforms.periods import period_start
from transforms.privacy import is_suppressed
from transforms.releases import SERIES_KEYS, Release
from transforms.remembered_complements import Memory, remembered
from transforms.sticky_grains import eight_limits, week_limits


def weekly_cells(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    release: Release,
    moved: pl.DataFrame,
    eight_cells: pl.DataFrame,
    memory: Memory,
) -> pl.DataFrame:
    """Step 1, per series and week: `_days_ok`, `_week_ok` (each within what `release`'s
    record, the `moved` cells (transforms.moved_cells.moved_cells) and its date allow), `_open`
    (in progress), `_held` (its own cell meets k but the record or its move forbids it),
    `_size` (the week's authors), `_rank` (transforms.known_cells.rank), `_known`, `_known_whole`,
    `_known_days` and `_known_on_days` (transforms.known_cells.known_weeks: withheld last, after
    the roll-up; withheld and known whole, hiding nothing), `_zero` (its own cell has no
    flagged author), `_zero_day` (a day of it has none), `_zero8` (its 8-week cell has none
    and a release may publish it or published it: `eight_week_cells`' `_zero8`, of
    `eight_cells`), `_start8` (its 8-week period), `_kept_region` and `_kept_lang` (withheld
    by an earlier release under its line's published total:
    transforms.remembered_complements.remembered of `memory`), and the first `_withheld`, `_coarse`
    and `_forced` (withheld for a line of 8-week totals: none yet) flags, and `_kept_back`
    (transforms.remembered_complements.remembered): such a week is withheld from the first."""
    on = [*SERIES_KEYS, "period_start"]
    publishable = ~is_suppressed(k=release.k)
    days = daily.with_columns(period_start(pl.col("day"), release.week_grain).alias("period_start"))
    by_week = days.group_by(on).agg(
        publishable.all().alias("_days_ok"),
        (pl.col("n_marked_authors") == 0).any().alias("_zero_day"),
    )
    week_cells = weeks.filter(pl.col("grain") == release.week_grain).select(
        *on,
        publishable.alias("_week_ok"),
        pl.col("n_authors").alias("_size"),
        (pl.col("n_marked_authors") == 0).alias("_zero"),
    )
    days_moved = (
        moved.filter(pl.col("grain") == "day")
        .select(*SERIES_KEYS, period_start(pl.col("period_start"), release.week_grain))
        .unique()
        .with_columns(pl.lit(True).alias("_days_moved"))
    )
    week_moved = moved.filter(pl.col("grain") == release.week_grain).drop("grain")
    cells = (
        by_week.join(week_cells, on=on, how="full", coalesce=True)
        .join(week_limits(release), on=on, how="left")
        .join(days_moved, on=on, how="left")
        .join(week_moved, on=on, how="left")
        .join(known_weeks(daily, weeks, release, moved), on=on, how="left")
        .with_columns(
            release.is_open(pl.col("period_start") + pl.duration(days=6)).alias("_open"),
            pl.col("_no_days").is_not_null().alias("_recorded"),
            pl.col("_no_days", "_no_whole", "_in_eight", "_days_moved", "_moved").fill_null(False),
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
            (
                pl.col("_week_ok").fill_null(False)
                & (pl.col("_no_whole") | pl.col("_moved"))
                & ~pl.col("_in_eight")
            ).alias("_held"),
            pl.col("_size").fill_null(0),
            period_start(pl.col("period_start"), release.eight).alias("_start8"),
        )
        .with_columns(
            rank(pl.col("_size"), pl.col("_recorded"), pl.col("_known").fill_null(False)).alias(
                "_rank"
            )
        )
        .join(
            eight_cells.select(*SERIES_KEYS, "_start8", "_zero8"),
            on=[*SERIES_KEYS, "_start8"],
            how="left",
        )
        .with_columns(
            pl.col(
                "_known",
                "_known_whole",
                "_known_days",
                "_known_on_days",
                "_zero",
                "_zero8",
                "_zero_day",
            ).fill_null(False)
        )
        .pipe(remembered, *memory)
        .drop("_no_days", "_no_whole", "_in_eight", "_recorded", "_days_moved", "_moved")
        .sort(*SERIES_KEYS, "period_start")
    )
    return cells.with_columns(
        ((~pl.col("_week_ok") & ~pl.col("_days_ok")) | pl.col("_kept_back")).alias("_withheld"),
        (~pl.col("_days_ok") | pl.col("_kept_back")).alias("_coarse"),
        pl.lit(False).alias("_forced"),
    )


def eight_week_cells(weeks: pl.DataFrame, release: Release, moved: pl.DataFrame) -> pl.DataFrame:
    """Step 4's 8-week cells, per series and 8-week period (`_start8`): `_ok8` (it meets k,
    has ended, and the record and its move allow it), `_size8` (its authors, ranked as a
    week's: transforms.known_cells.rank, recorded where it holds a recorded day, known where a
    release published its current counts; `_known8` the latter, withheld after the roll-up),
    `_open8`, `_held8` (it meets k but moved: transforms.moved_cells.moved_cells), `_zero8` (it
    has no flagged author and is `_ok8` or `_known8`: published, it gives 0 for each of its
    weeks' and days' flagged authors)."""
    is_open = release.is_open(pl.col("period_end"))
    changed = pl.col("_moved").fill_null(False)
    known = pl.col("_known").fill_null(False)
    ok = ~is_suppressed(k=release.k) & ~pl.col("_no_whole").fill_null(False) & ~changed & ~is_open
    on = [*SERIES_KEYS, "period_start"]
    return (
        weeks.filter(pl.col("grain") == release.eight)
        .join(eight_limits(release), on=on, how="left")
        .join(moved, on=[*SERIES_KEYS, "grain", "period_start"], how="left")
        .join(known_periods(weeks, release, release.eight), on=on, how="left")
        .select(
            *SERIES_KEYS,
            pl.col("period_start").alias("_start8"),
            ok.alias("_ok8"),
            rank(pl.col("n_authors"), pl.col("_no_whole").is_not_null(), known).alias("_size8"),
            known.alias("_known8"),
            is_open.alias("_open8"),
            (~is_suppressed(k=release.k) & changed).alias("_held8"),
            ((pl.col("n_marked_authors") == 0) & (ok | known)).alias("_zero8"),
        )
    )
