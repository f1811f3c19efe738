"""What a suppress-mode release publishes: per series and period, the finest grain that meets k.

For each series (`marker`, `region`, `lang`) and week (ISO or CDC epi-week, `week_grain`):

1. **Primary choice.** The week's days when every one of them is publishable
   (transforms.privacy.is_suppressed), else the week's own cell (distinct authors over the
   week, counted at ingest) when that is publishable, else the week is withheld.
2. **Complementary suppression** (transforms.privacy.protect_lines), at two levels, repeated
   until both hold: no line of cells (a roll-up and its children, across regions or
   languages) has exactly one withheld week, and none has exactly one week published coarser
   than days (else that series' days would follow from its roll-up's days minus its
   siblings'). A cell is moved from days to its week, or withheld, to close a line.
3. **Holes, withheld whole.** A series with more than MAX_WITHHELD_SHARE of its weeks
   withheld is withheld in every week (steps 2 and 3 repeat until stable): its withheld weeks
   are its low ones (1–10 marked authors), so the rest would overstate it.
4. **8-week cells for a series withheld whole** (transforms.periods.EIGHT_WEEKS: eight whole
   weeks of the week grain, distinct authors counted at ingest): such a series publishes its
   8-week cells that meet k instead, with complementary suppression on lines of 8-week totals
   (where one needs a series published by week withheld, its weeks in the period are, and do
   not count towards step 3's share); a series with more than MAX_WITHHELD_EIGHT_WEEK_SHARE of
   its 8-week periods withheld is withheld whole (steps 2–4 repeat until stable).

Across releases (transforms.releases: the record of the grains and counts earlier releases
published, the release's date and the writer's clock's day) the steps above offer only what
the releases before allow, on the days that have ended (`Release.ended`: every function here
leaves out the others); `release_record` gives the records after a release.

A withheld period is a row with `status = "withheld"` and null counts: a state, never a zero.
Derived statistics never use this selection (see `transforms.series.derived_series`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from transforms.contracts import ALL, CLUSTER_SUMS, DAILY_COUNTS, DAILY_SCHEMA
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.prevalence import (
    AUTHOR_DAY_COUNTS,
    EFFECTIVE_TRIALS,
    PREVALENCE_COLUMNS,
    effective_trials,
    wilson,
    with_prevalence,
)
from transforms.privacy import is_suppressed, protect_lines
from transforms.quantify import ADJUSTED_COLUMNS, with_adjusted_prevalence
from transforms.releases import (
    CELL_KEY_SCHEMA,
    SERIES_KEYS,
    Release,
    WeekGrain,
    eight_limits,
    held_periods,
    known_periods,
    known_weeks,
    moved_cells,
    next_record,
    rank,
    week_limits,
    with_counts,
)

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

MAX_WITHHELD_SHARE = 0.02
"""A series with more of its weeks withheld than this is withheld whole by week (and given by
8-week periods): its withheld weeks are chosen by their own values (a week of 0 marked authors
meets k, one of 1–10 does not), so the weeks left would bias its means. The share is the one
forecasting accepts (transforms.series.MAX_WITHHELD_SHARE): too few weeks to move a mean."""

MAX_WITHHELD_EIGHT_WEEK_SHARE = 0.25
"""A series with more of its 8-week periods withheld than this is withheld whole: what would be
left is mostly its zero periods. Looser than MAX_WITHHELD_SHARE because a withheld 8-week period
is mostly a partial one at either end of the data (a few days, too few authors), and two years
hold 13–14 periods."""
_COUNTS = (*DAILY_COUNTS, *AUTHOR_DAY_COUNTS, "sample_rate")


def choose_grains(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """Per series and period: `choice` (`day`, `week`, `8week` or `withheld`) after steps 1–4
    above, within what `release` (transforms.releases.Release) allows, and the period's
    `grain` (the week grain, or its 8-week grain for a series taken by 8-week cells).

    `daily` follows DAILY_SCHEMA, `weeks` PERIOD_SCHEMA (rows of grains other than the week
    grain and its 8-week grain are ignored; without 8-week rows a series withheld whole stays
    withheld). Columns: SERIES_KEYS, `grain`, `period_start` (the period's first day),
    `choice`.
    """
    daily, weeks = _ended(daily, weeks, release)
    return _choose(daily, weeks, release, moved_cells(daily, weeks, release))


def _choose(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release, moved: pl.DataFrame
) -> pl.DataFrame:
    """`choose_grains` with the `moved` cells (transforms.releases.moved_cells) of `daily`
    and `weeks` in `release` computed once by the caller."""
    cells = _week_cells(daily, weeks, release, moved)
    eight_cells = _eight_cells(weeks, release, moved)
    while True:
        cells = _protect_weeks(cells)
        lines = _protect_eight_weeks(cells, eight_cells)
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


def _week_cells(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release, moved: pl.DataFrame
) -> pl.DataFrame:
    """Step 1, per series and week: `_days_ok`, `_week_ok` (each within what `release`'s
    record, the `moved` cells (transforms.releases.moved_cells) and its date allow), `_open`
    (in progress), `_held` (its own cell meets k but the record or its move forbids it),
    `_size` (the week's authors), `_rank` (transforms.releases.rank), `_known`
    (transforms.releases.known_weeks: withheld last, after the roll-up), `_start8` (its 8-week
    period), and the first `_withheld`, `_coarse` and `_forced` (withheld for a line of
    8-week totals: none yet) flags."""
    on = [*SERIES_KEYS, "period_start"]
    publishable = ~is_suppressed(k=release.k)
    days = daily.with_columns(period_start(pl.col("day"), release.week_grain).alias("period_start"))
    by_week = days.group_by(on).agg(publishable.all().alias("_days_ok"))
    week_cells = weeks.filter(pl.col("grain") == release.week_grain).select(
        *on, publishable.alias("_week_ok"), pl.col("n_authors").alias("_size")
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
        .with_columns(pl.col("_known").fill_null(False))
        .drop("_no_days", "_no_whole", "_in_eight", "_recorded", "_days_moved", "_moved")
        .sort(*SERIES_KEYS, "period_start")
    )
    return cells.with_columns(
        (~pl.col("_week_ok") & ~pl.col("_days_ok")).alias("_withheld"),
        (~pl.col("_days_ok")).alias("_coarse"),
        pl.lit(False).alias("_forced"),
    )


def _eight_cells(weeks: pl.DataFrame, release: Release, moved: pl.DataFrame) -> pl.DataFrame:
    """Step 4's 8-week cells, per series and 8-week period (`_start8`): `_ok8` (it meets k,
    has ended, and the record and its move allow it), `_size8` (its authors, ranked as a
    week's: transforms.releases.rank, recorded where it holds a recorded day, known where a
    release published its current counts; `_known8` the latter, withheld after the roll-up),
    `_open8`, `_held8` (it meets k but moved: transforms.releases.moved_cells)."""
    is_open = release.is_open(pl.col("period_end"))
    changed = pl.col("_moved").fill_null(False)
    on = [*SERIES_KEYS, "period_start"]
    return (
        weeks.filter(pl.col("grain") == release.eight)
        .join(eight_limits(release), on=on, how="left")
        .join(moved, on=[*SERIES_KEYS, "grain", "period_start"], how="left")
        .join(known_periods(weeks, release, release.eight), on=on, how="left")
        .select(
            *SERIES_KEYS,
            pl.col("period_start").alias("_start8"),
            (
                ~is_suppressed(k=release.k)
                & ~pl.col("_no_whole").fill_null(False)
                & ~changed
                & ~is_open
            ).alias("_ok8"),
            rank(
                pl.col("n_authors"),
                pl.col("_no_whole").is_not_null(),
                pl.col("_known").fill_null(False),
            ).alias("_size8"),
            pl.col("_known").fill_null(False).alias("_known8"),
            is_open.alias("_open8"),
            (~is_suppressed(k=release.k) & changed).alias("_held8"),
        )
    )


_LINE_KEYS = ("marker", "marker_version", "period_start")


def _protect_weeks(cells: pl.DataFrame) -> pl.DataFrame:
    """Steps 2 and 3 on the week cells (`_withheld`, `_coarse`), repeated until stable; a week
    in progress after a week of its series published whole is taken whole too (so withheld).
    Step 3's share leaves out the weeks in progress, those `_held` by the record and those
    `_forced` by a line of 8-week totals."""
    previous = pl.col("period_start").diff().over(SERIES_KEYS) == pl.duration(weeks=1)
    after_whole = (pl.col("_coarse") & ~pl.col("_withheld")).shift(1).over(SERIES_KEYS)
    while True:
        before = cells.select("_withheld", "_coarse")
        cells = cells.with_columns(
            pl.col("_coarse") | (pl.col("_open") & previous & after_whole).fill_null(False)
        )
        cells = protect_lines(
            cells, flag="_withheld", size="_rank", keys=_LINE_KEYS, known="_known"
        )
        cells = protect_lines(
            cells.with_columns(pl.col("_coarse") | pl.col("_withheld")),
            flag="_coarse",
            size="_rank",
            keys=_LINE_KEYS,
            known="_known",
        ).with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
        ended = pl.col("_withheld").filter(~pl.col("_open") & ~pl.col("_held") & ~pl.col("_forced"))
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_SHARE
        cells = cells.with_columns(pl.col("_withheld") | mostly)
        cells = cells.with_columns(pl.col("_coarse") | pl.col("_withheld"))
        if cells.select("_withheld", "_coarse").equals(before):
            return cells


def _protect_eight_weeks(cells: pl.DataFrame, eight_cells: pl.DataFrame) -> pl.DataFrame:
    """Step 4: per series and 8-week period, `_gone` (the series is withheld whole by week),
    `_unknown` (some week of it withheld) and `_flag`: its 8-week total cannot be read off the
    release. A series withheld whole publishes its 8-week cells that meet k; complementary
    suppression then runs on lines of 8-week totals (a series published by day or week has a
    known total unless a week of it is withheld), and a series with more than
    MAX_WITHHELD_EIGHT_WEEK_SHARE of its 8-week cells withheld is withheld whole. A series published by
    week that a line still needs withheld comes back flagged with `_unknown` false. The share
    leaves out the 8-week period in progress and those `_held8` (their counts moved)."""
    lines = (
        cells.group_by(*SERIES_KEYS, "_start8")
        .agg(pl.col("_withheld").any().alias("_unknown"), pl.col("_withheld").all().alias("_gone"))
        .with_columns(pl.col("_gone").all().over(SERIES_KEYS))
        .join(eight_cells, on=[*SERIES_KEYS, "_start8"], how="left")
        .with_columns(
            pl.when("_gone")
            .then(~pl.col("_ok8").fill_null(False))
            .otherwise("_unknown")
            .alias("_flag"),
            pl.when("_gone").then(pl.col("_size8").fill_null(0)).otherwise(2**62).alias("_size8"),
            (pl.col("_gone") & pl.col("_known8").fill_null(False)).alias("_known8"),
        )
        .sort(*SERIES_KEYS, "_start8")
    )
    keys = ("marker", "marker_version", "_start8")
    while True:
        before = lines.get_column("_flag")
        lines = protect_lines(lines, flag="_flag", size="_size8", keys=keys, known="_known8")
        ended = pl.col("_flag").filter(
            ~pl.col("_open8").fill_null(False) & ~pl.col("_held8").fill_null(False)
        )
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_EIGHT_WEEK_SHARE
        lines = lines.with_columns(pl.col("_flag") | (pl.col("_gone") & mostly))
        if lines.get_column("_flag").equals(before):
            return lines


def published_timelines(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """The published timeline (PUBLISHED_SCHEMA) of `daily` and `weeks` (PERIOD_SCHEMA: the
    week grain's and its 8-week grain's cells) in `release` (see `choose_grains`), sorted by
    series and period: days where `choose_grains` chose days, the week's (or 8-week period's)
    cell where it chose that, and one `withheld` row per withheld period. Every published
    row's `prevalence` is over its AUTHOR_DAY_COUNTS (`week_prevalence` for a period's
    cell)."""
    daily, weeks = _ended(daily, weeks, release)
    choice = choose_grains(daily, weeks, release)
    return _timelines(daily, weeks, choice, release.week_grain)


def published_release(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(published_timelines, published_days)` of the same `daily` and `weeks` in `release`,
    with the grains chosen once (`choose_grains`) for both."""
    daily, weeks = _ended(daily, weeks, release)
    choice = choose_grains(daily, weeks, release)
    return (
        _timelines(daily, weeks, choice, release.week_grain),
        _days(daily, weeks, choice, release.week_grain),
    )


def release_record(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> Release:
    """`release` with the record and counts after it publishes `daily` and `weeks`.

    The release is chosen after the record, and chosen again after the record with its own
    periods added (transforms.releases.next_record) until it publishes no period the record
    lacks, so that choosing it once more from the record it returns (a reader's, or a rerun's)
    gives the same release. Terminates: the record only grows, within the periods of the data,
    and a row only turns `withheld`. The moved cells (transforms.releases.moved_cells) are
    found once: they depend on the counts, which only the last step changes. The counts gain
    those the release publishes its cells with (transforms.releases.with_counts)."""
    daily, weeks = _ended(daily, weeks, release)
    moved = moved_cells(daily, weeks, release)
    held = held_periods(moved, release)
    while True:
        choice = _choose(daily, weeks, release, moved)
        record = next_record(release.record, choice, held)
        if record.equals(release.record):
            break
        release = replace(release, record=record)
    return replace(release, counts=with_counts(release, daily, weeks, choice))


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


def _timelines(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_timelines` of `choice` (`choose_grains` of the same cells)."""
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
    `choose_grains`."""
    daily, weeks = _ended(daily, weeks, release)
    return _days(daily, weeks, choose_grains(daily, weeks, release), release.week_grain)


def _days(
    daily: pl.DataFrame, weeks: pl.DataFrame, choice: pl.DataFrame, week_grain: WeekGrain
) -> pl.DataFrame:
    """`published_days` of `choice` (`choose_grains` of the same cells)."""
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
