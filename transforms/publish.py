"""What a suppress-mode release publishes: per series and week, the finest grain that meets k.

For each series (`marker`, `region`, `lang`) and week (ISO or CDC epi-week, `week_grain`):

1. **Primary choice.** The week's days when every one of them is publishable
   (transforms.privacy.is_suppressed), else the week's own cell (distinct authors over the
   week, counted at ingest) when that is publishable, else the week is withheld.
2. **Complementary suppression** (transforms.privacy.protect_lines), at two levels, repeated
   until both hold: no line of cells (a roll-up and its children, across regions or
   languages) has exactly one withheld week, and none has exactly one week published coarser
   than days (else that series' days would follow from its roll-up's days minus its
   siblings'). A cell is moved from days to its week, or withheld, to close a line.
3. **Mostly withheld, withheld whole.** A series with more than MAX_WITHHELD_SHARE of its
   weeks withheld is withheld in every week (steps 2 and 3 repeat until stable).

A withheld period is a row with `status = "withheld"` and null counts: a state, never a zero.
Derived statistics never use this selection (see `transforms.series.derived_series`).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from transforms.contracts import DAILY_SCHEMA
from transforms.prevalence import PREVALENCE_COLUMNS, with_prevalence
from transforms.privacy import DEFAULT_K, is_suppressed, protect_lines

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
    "n_posts": pl.Int64,
    "n_scored": pl.Int64,
    "n_marked": pl.Int64,
    "n_authors": pl.Int64,
    "n_marked_authors": pl.Int64,
    "sample_rate": pl.Float64,
    **dict.fromkeys(PREVALENCE_COLUMNS, pl.Float64),
}
"""A published timeline: one row per series and period, `grain` `day` or the week grain;
`status` `published` or `withheld` (counts and prevalence null)."""

SERIES_KEYS = ("marker", "region", "lang", "marker_version")

MAX_WITHHELD_SHARE = 0.25
"""A series with more of its weeks withheld than this is withheld whole: what would be left is
mostly its zero weeks (a week of 0 marked authors meets k, one of 1–10 does not), and a mean
over them would say the marker is rarer than it is."""
_COUNTS = ("n_posts", "n_scored", "n_marked", "n_authors", "n_marked_authors", "sample_rate")


def choose_grains(
    daily: pl.DataFrame, weeks: pl.DataFrame, *, k: int = DEFAULT_K, week_grain: WeekGrain
) -> pl.DataFrame:
    """Per series and week: `choice` (`day`, `week` or `withheld`) after steps 1 and 2 above.

    `daily` follows DAILY_SCHEMA, `weeks` PERIOD_SCHEMA (rows of other grains are ignored).
    Columns: SERIES_KEYS, `period_start` (the week's first day), `choice`.
    """
    if week_grain not in ("iso_week", "epi_week"):
        raise ValueError(f"week_grain must be 'iso_week' or 'epi_week', not {week_grain!r}")
    days = daily.with_columns(_week_start(week_grain).alias("period_start"))
    by_week = days.group_by(*SERIES_KEYS, "period_start").agg(
        (~is_suppressed(k=k)).all().alias("_days_ok")
    )
    week_cells = weeks.filter(pl.col("grain") == week_grain).select(
        *SERIES_KEYS,
        "period_start",
        (~is_suppressed(k=k)).alias("_week_ok"),
        pl.col("n_authors").alias("_size"),
    )
    cells = (
        by_week.join(week_cells, on=[*SERIES_KEYS, "period_start"], how="full", coalesce=True)
        .with_columns(
            pl.col("_days_ok").fill_null(False),
            pl.col("_week_ok").fill_null(False),
            pl.col("_size").fill_null(0),
        )
        .sort(*SERIES_KEYS, "period_start")
    )
    keys = ("marker", "marker_version", "period_start")
    cells = cells.with_columns(
        (~pl.col("_week_ok") & ~pl.col("_days_ok")).alias("_withheld"),
        (~pl.col("_days_ok")).alias("_coarse"),
    )
    while True:
        before = cells.select("_withheld", "_coarse")
        cells = protect_lines(cells, flag="_withheld", size="_size", keys=keys)
        cells = protect_lines(
            cells.with_columns(pl.col("_coarse") | pl.col("_withheld")),
            flag="_coarse",
            size="_size",
            keys=keys,
        ).with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
        mostly = pl.col("_withheld").mean().over(SERIES_KEYS) > MAX_WITHHELD_SHARE
        cells = cells.with_columns(pl.col("_withheld") | mostly)
        cells = cells.with_columns(pl.col("_coarse") | pl.col("_withheld"))
        if cells.select("_withheld", "_coarse").equals(before):
            break
    choice = (
        pl.when(pl.col("_withheld"))
        .then(pl.lit("withheld"))
        .when(pl.col("_coarse"))
        .then(pl.lit("week"))
        .otherwise(pl.lit("day"))
    )
    return cells.select(*SERIES_KEYS, "period_start", choice.alias("choice"))


def published_timelines(
    daily: pl.DataFrame, weeks: pl.DataFrame, *, k: int = DEFAULT_K, week_grain: WeekGrain
) -> pl.DataFrame:
    """The published timeline (PUBLISHED_SCHEMA) of `daily` and `weeks` at `k`, sorted by
    series and period: days where `choose_grains` chose days, the week's cell where it chose
    the week, and one `withheld` row per withheld week."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    choice = choose_grains(daily, weeks, k=k, week_grain=week_grain)
    on = [*SERIES_KEYS, "period_start"]
    day_rows = (
        daily.with_columns(_week_start(week_grain).alias("period_start"))
        .join(choice.filter(pl.col("choice") == "day"), on=on, how="semi")
        .drop("period_start")
        .rename({"day": "period_start"})
        .with_columns(pl.col("period_start").alias("period_end"), pl.lit("day").alias("grain"))
    )
    week_rows = weeks.filter(pl.col("grain") == week_grain).join(
        choice.filter(pl.col("choice") == "week"), on=on, how="semi"
    )
    withheld = choice.filter(pl.col("choice") == "withheld").select(
        *on,
        (pl.col("period_start") + pl.duration(days=6)).alias("period_end"),
        pl.lit(week_grain).alias("grain"),
        *(pl.lit(None, DAILY_SCHEMA[c]).alias(c) for c in _COUNTS),
    )
    shown = [*SERIES_KEYS, "grain", "period_start", "period_end", *_COUNTS]
    published = pl.concat(
        [
            with_prevalence(day_rows.select(shown)),
            week_prevalence(week_rows).select(*shown, *PREVALENCE_COLUMNS),
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


def week_prevalence(weeks: pl.DataFrame) -> pl.DataFrame:
    """PERIOD_SCHEMA rows with the prevalence columns, the author share taken over author-days
    (`n_marked_author_days / n_author_days`: the period's share on an average day, comparable
    with daily shares) rather than over the period's distinct authors."""
    swapped = weeks.with_columns(
        pl.col("n_marked_author_days").alias("n_marked_authors"),
        pl.col("n_author_days").alias("n_authors"),
    )
    return with_prevalence(swapped).with_columns(
        weeks.get_column("n_marked_authors"), weeks.get_column("n_authors")
    )


def _week_start(week_grain: WeekGrain) -> pl.Expr:
    """The first day of the week (`iso_week`: Monday, `epi_week`: Sunday) holding `day`."""
    weekday = pl.col("day").dt.weekday()  # Monday 1 … Sunday 7
    back = weekday - 1 if week_grain == "iso_week" else weekday % 7
    return pl.col("day") - pl.duration(days=back)


def published_days(
    daily: pl.DataFrame, weeks: pl.DataFrame, *, k: int = DEFAULT_K, week_grain: WeekGrain
) -> pl.DataFrame:
    """The published timeline spread over days, for day-by-day displays: every row of `daily`
    with the prevalence columns, `grain` and `suppressed`. A day published by itself keeps its
    counts (`grain = day`); a day of a week published as a whole carries the week's counts
    and prevalence (the author-day share, `week_prevalence`; `grain` the week grain); a day
    of a withheld week has `suppressed` true and every count and prevalence null. Same order
    as `daily`."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    choice = choose_grains(daily, weeks, k=k, week_grain=week_grain)
    on = [*SERIES_KEYS, "period_start"]
    counts = [c for c in _COUNTS if c != "sample_rate"] + list(PREVALENCE_COLUMNS)
    week_values = week_prevalence(weeks.filter(pl.col("grain") == week_grain)).select(
        *on, *(pl.col(c).alias(f"_week_{c}") for c in counts)
    )
    chosen = pl.col("choice")
    rows = (
        with_prevalence(daily)
        .with_columns(_week_start(week_grain).alias("period_start"))
        .join(choice, on=on, how="left", maintain_order="left")
        .join(week_values, on=on, how="left", maintain_order="left")
        .with_columns(
            *(
                pl.when(chosen == "day")
                .then(pl.col(c))
                .when(chosen == "week")
                .then(pl.col(f"_week_{c}"))
                .alias(c)
                for c in counts
            ),
            pl.when(chosen == "day")
            .then(pl.lit("day"))
            .otherwise(pl.lit(week_grain))
            .alias("grain"),
            (chosen == "withheld").alias("suppressed"),
        )
    )
    return rows.select(*DAILY_SCHEMA, *PREVALENCE_COLUMNS, "grain", "suppressed")
