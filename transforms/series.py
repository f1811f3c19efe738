"""The one conversion from Daily aggregates to the Series contract."""

from __future__ import annotations

from typing import Literal

import polars as pl

from transforms.contracts import ALL, SERIES_SCHEMA, series_id
from transforms.periods import EIGHT_WEEKS
from transforms.privacy import DEFAULT_K, is_suppressed

Basis = Literal["authors", "posts"]


def to_series(daily: pl.DataFrame, *, basis: Basis = "authors", k: int = DEFAULT_K) -> pl.DataFrame:
    """Daily aggregates → Series (`unique_id` = `marker|region|lang`, `ds`, `y`).

    `y` is the prevalence among authors (`basis="authors"`, the default) or among scored posts
    (`basis="posts"`), a proportion in 0–1. Days whose cell is suppressed at `k` keep their row
    with `y` null, so nothing downstream ever sees a suppressed value. Rows are sorted by
    `unique_id`, `ds`. Several marker versions of one series are not expected here: pass the
    current version's rows only.
    """
    if basis == "authors":
        y = pl.col("n_marked_authors") / pl.col("n_authors")
    elif basis == "posts":
        y = pl.col("n_marked") / pl.col("n_scored")
    else:
        raise ValueError(f"basis must be 'authors' or 'posts', not {basis!r}")
    return (
        daily.select(
            pl.concat_str(["marker", "region", "lang"], separator="|").alias("unique_id"),
            pl.col("day").alias("ds"),
            pl.when(is_suppressed(k=k)).then(None).otherwise(y).cast(pl.Float64).alias("y"),
        )
        .cast(SERIES_SCHEMA)
        .sort("unique_id", "ds")
    )


POST_COUNT_SCHEMA = {"region": pl.String, "lang": pl.String, "ds": pl.Date, "n_posts": pl.Int64}
"""Posts counted per local day and cell (`region`, `lang`, with the `all` roll-ups): how much
data stands behind a day's prevalence. Post counts are not author counts, so they carry no
small-cell risk of their own beyond what the Daily aggregate already publishes."""


def to_post_counts(daily: pl.DataFrame) -> pl.DataFrame:
    """Daily aggregates → POST_COUNT_SCHEMA rows sorted by `region`, `lang`, `ds`.

    A cell's post count is the same for every marker that was evaluated there; the largest
    over its markers is taken, so a marker with no source for a language cannot lower it.
    """
    return (
        daily.group_by("region", "lang", pl.col("day").alias("ds"))
        .agg(pl.col("n_posts").max())
        .cast(POST_COUNT_SCHEMA)
        .select(POST_COUNT_SCHEMA.keys())
        .sort("region", "lang", "ds")
    )


SAME_SERIES_SCHEMA = {"unique_id": pl.String, "same_as": pl.String}
"""Each series of a Daily aggregate and the series it duplicates (`same_as`), or null where it
is distinct."""


def same_series(daily: pl.DataFrame) -> pl.DataFrame:
    """Which series are the same series under another name (SAME_SERIES_SCHEMA, by `unique_id`).

    A roll-up over regions (`marker|all|lang`) whose data ever hold only one region of that
    language equals that region's series, cell for cell, because both count the same authors;
    likewise a roll-up over languages (`marker|region|all`) with one language. Series joined by
    such equalities form one group, named after its most rolled-up member (most `all`s, then
    the smallest id): with one region and one language, `m|unknown|en`, `m|all|en` and
    `m|unknown|all` are all `same_as` `m|all|all`. The named member and every distinct series
    have `same_as` null; forecasts and alerts are made for those only.
    """
    cells = daily.select("marker", "region", "lang").unique()
    group = {series_id(*row): series_id(*row) for row in cells.iter_rows()}

    def top(unique_id: str) -> str:
        while group[unique_id] != unique_id:
            unique_id = group[unique_id]
        return unique_id

    def rank(unique_id: str) -> tuple[int, str]:
        return (-unique_id.count(f"|{ALL}"), unique_id)

    for rolled, fixed in (("region", "lang"), ("lang", "region")):
        only = (
            cells.filter(pl.col(rolled) != ALL)
            .group_by("marker", fixed)
            .agg(pl.col(rolled).unique())
            .filter(pl.col(rolled).list.len() == 1)
        )
        for marker, other, (child,) in only.select("marker", fixed, rolled).iter_rows():
            rollup = series_id(marker, **{rolled: ALL, fixed: other})
            if rollup not in group:
                continue
            a, b = top(series_id(marker, **{rolled: child, fixed: other})), top(rollup)
            if a != b:
                low, high = sorted((a, b), key=rank)
                group[high] = low
    rows = [(u, None if top(u) == u else top(u)) for u in sorted(group)]
    return pl.DataFrame(rows, schema=SAME_SERIES_SCHEMA, orient="row")


DERIVED_GRAIN_SCHEMA = {"unique_id": pl.String, "grain": pl.String}
"""The grain a series' derived statistics are computed on: `day`, its week grain (`iso_week`
or `epi_week`), or that week grain's 8-week grain (`iso_8week`, `epi_8week`)."""


MAX_WITHHELD_SHARE = 0.02
"""A series whose periods (days, or weeks) are at most this share withheld is still taken at
that grain, its withheld periods missing: the selection touches too few periods to move a
mean or a threshold."""


def left_out_reason(*, k: int = DEFAULT_K, week_grain: str = "iso_week") -> str:
    """Why `derived_series` left a series out, as the run's notes and the dashboard say it."""
    week = "ISO week" if week_grain == "iso_week" else "CDC epi-week"
    return (
        f"Its cells fall below k = {k} on more than {MAX_WITHHELD_SHARE:.0%} of its days, of "
        f"its weeks ({week}) and of its 8-week periods, so no grain of it is published whole "
        'and it is not forecast (privacy = "dp" forecasts it on its noisy days).'
    )


def derived_series(
    daily: pl.DataFrame,
    periods: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    week_grain: str = "iso_week",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Series that forecasts and alerts may use, and the grain of each (DERIVED_GRAIN_SCHEMA).

    Not a sample of periods chosen by their own values: each series is taken at the finest grain
    at which at most MAX_WITHHELD_SHARE of its periods are withheld at `k` (those periods
    missing): by day; else by week (PERIOD_SCHEMA rows of grain `week_grain` lying wholly
    inside the days the data cover, `ds` the week's first day, as forecasting.frequency
    expects, `y` the author-day share: the week's mean of daily shares, weighted by authors);
    else by 8-week period (its EIGHT_WEEKS grain, the same way); else it is left out: its
    cells fall below k too often at every grain (DP mode forecasts such series on their noisy
    days).
    """
    days = to_series(daily, k=k)
    first, last = daily.get_column("day").min(), daily.get_column("day").max()

    def whole(grain: str) -> pl.DataFrame:
        return periods.filter(
            (pl.col("grain") == grain)
            & (pl.col("period_start") >= first)
            & (pl.col("period_end") <= last)
        ).select(
            pl.concat_str(["marker", "region", "lang"], separator="|").alias("unique_id"),
            pl.col("period_start").alias("ds"),
            pl.when(is_suppressed(k=k))
            .then(None)
            .otherwise(pl.col("n_marked_author_days") / pl.col("n_author_days"))
            .cast(pl.Float64)
            .alias("y"),
        )

    eight = EIGHT_WEEKS[week_grain]
    grains = pl.DataFrame(schema=DERIVED_GRAIN_SCHEMA)
    parts = []
    for grain, frame in (("day", days), (week_grain, whole(week_grain)), (eight, whole(eight))):
        ids = (
            frame.group_by("unique_id")
            .agg((pl.col("y").is_null().mean() <= MAX_WITHHELD_SHARE).alias("ok"))
            .filter("ok")
            .join(grains, on="unique_id", how="anti")
            .select("unique_id", pl.lit(grain).alias("grain"))
        )
        grains = pl.concat([grains, ids.cast(DERIVED_GRAIN_SCHEMA)])
        parts.append(frame.join(ids, on="unique_id", how="semi"))
    series = pl.concat(parts).cast(SERIES_SCHEMA)
    return series.sort("unique_id", "ds"), grains.sort("unique_id")


def dp_series(release: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A DP release (transforms.dp.dp_release) → Series of its noisy author prevalence, and
    every series' grain (`day`): in DP mode every cell is published, so no series is cut. `y`
    is clipped to 0–1 for the models (a noisy share can fall outside it)."""
    series = release.select(
        pl.concat_str(["marker", "region", "lang"], separator="|").alias("unique_id"),
        pl.col("day").alias("ds"),
        pl.col("prevalence").clip(0.0, 1.0).alias("y"),
    ).cast(SERIES_SCHEMA)
    grains = series.select(pl.col("unique_id").unique(), pl.lit("day").alias("grain"))
    return series.sort("unique_id", "ds"), grains.cast(DERIVED_GRAIN_SCHEMA).sort("unique_id")
