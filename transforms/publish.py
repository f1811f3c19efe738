"""The tables of a suppress-mode release: its timelines, its days, their adjusted shares.

transforms.grains chooses, per series and period, the grain a release publishes (days, the
week's cell, the 8-week period's cell, or withheld) within what the releases before allow;
this module makes what readers see of that choice: `published_timelines` (one row per series
and period), `published_days` (the same spread over days), both at once (`published_release`),
and their shares adjusted for marker error (`adjusted_timelines`, `adjusted_days`). Each entry
point leaves out the days that have not ended and chooses the grains once
(transforms.grains.chosen_cells).

A withheld period is a row with `status = "withheld"` and null counts: a state, never a zero.
Derived statistics never use these tables (see `transforms.series.derived_series`).
"""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL, CLUSTER_SUMS, DAILY_COUNTS, DAILY_SCHEMA
from transforms.grains import chosen_cells
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.prevalence import (
    AUTHOR_DAY_COUNTS,
    EFFECTIVE_TRIALS,
    PREVALENCE_COLUMNS,
    effective_trials,
    wilson,
    with_prevalence,
)
from transforms.quantify import ADJUSTED_COLUMNS, with_adjusted_prevalence
from transforms.releases import CELL_KEY_SCHEMA, SERIES_KEYS, Release, WeekGrain

STATUSES = ("published", "withheld")

PUBLISHED_SCHEMA = {
    **CELL_KEY_SCHEMA,
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

_COUNTS = (*DAILY_COUNTS, *AUTHOR_DAY_COUNTS, "sample_rate")


def published_timelines(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The published timeline (PUBLISHED_SCHEMA) of `daily` and `weeks` (PERIOD_SCHEMA: the
    week grain's and its 8-week grain's cells) in `release` (see
    transforms.grains.choose_grains), sorted by series and period: days where the grains chosen
    are days, the week's (or 8-week period's) cell where it is that, and one `withheld` row per
    withheld period. Every published row's `prevalence` is over its AUTHOR_DAY_COUNTS
    (`week_prevalence` for a period's cell)."""
    daily, weeks, choice = chosen_cells(daily, weeks, release)
    return _timelines(daily, weeks, choice, release.week_grain)


def published_release(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(published_timelines, published_days)` of the same `daily` and `weeks` in `release`,
    with the grains chosen once (transforms.grains.chosen_cells) for both."""
    daily, weeks, choice = chosen_cells(daily, weeks, release)
    return (
        _timelines(daily, weeks, choice, release.week_grain),
        _days(daily, weeks, choice, release.week_grain),
    )


def _timelines(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_timelines` of `choice` (transforms.grains.choose_grains of the same cells)."""
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


def published_days(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The published timeline spread over days, for day-by-day displays: every row of `daily`
    of a day that has ended (`Release.ended`) with AUTHOR_DAY_COUNTS, the prevalence columns,
    EFFECTIVE_TRIALS, `grain` and `suppressed`. A day published by itself keeps its counts
    (`grain = day`); a day of a week (or 8-week period) published as a whole carries that
    period's counts and prevalence (the author-day share, `week_prevalence`; `grain` the
    period's); a day of a withheld period has `suppressed` true, `grain` the withheld period's,
    and every count and prevalence null. Same order as `daily`. `release` as for
    transforms.grains.choose_grains."""
    daily, weeks, choice = chosen_cells(daily, weeks, release)
    return _days(daily, weeks, choice, release.week_grain)


def _days(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_days` of `choice` (transforms.grains.choose_grains of the same cells)."""
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
