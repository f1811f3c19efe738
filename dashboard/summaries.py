"""Pure summaries the pages show: what is rising fastest, which alerts are open.

Polars in, polars out; no Streamlit, no warehouse. They work on published rows only, so a
suppressed day is a missing value here too and never enters a mean.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

MIN_PUBLISHED_DAYS = 4
"""A week's mean needs at least this many published (unsuppressed) days."""


def rising(published: pl.DataFrame, *, last_day: date, window_days: int = 7) -> pl.DataFrame:
    """Series ranked by how much their mean prevalence rose: the last `window_days` days up to
    `last_day` against the `window_days` before. Columns `marker`, `region`, `lang`,
    `previous`, `latest` (means, 0–1) and `change` (latest − previous, in proportion points);
    only series with MIN_PUBLISHED_DAYS published days in both weeks; largest rise first."""
    start = last_day - timedelta(days=2 * window_days - 1)
    boundary = last_day - timedelta(days=window_days - 1)
    week = pl.when(pl.col("day") >= boundary).then(pl.lit("latest")).otherwise(pl.lit("previous"))
    means = (
        published.filter(pl.col("day").is_between(start, last_day), ~pl.col("suppressed"))
        .group_by("marker", "region", "lang", week.alias("week"))
        .agg(mean=pl.col("prevalence").mean(), days=pl.len())
        .filter(pl.col("days") >= MIN_PUBLISHED_DAYS)
        .pivot("week", index=["marker", "region", "lang"], values="mean")
    )
    for column in ("previous", "latest"):
        if column not in means.columns:
            means = means.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    return (
        means.drop_nulls(["previous", "latest"])
        .with_columns(change=pl.col("latest") - pl.col("previous"))
        .select("marker", "region", "lang", "previous", "latest", "change")
        .sort("change", "marker", "region", "lang", descending=[True, False, False, False])
    )


def by_severity(alerts: pl.DataFrame) -> pl.DataFrame:
    """Alerts most severe first, then latest start first."""
    return alerts.sort(
        pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
        pl.col("start"),
        descending=[False, True],
    )


def open_alerts(alerts: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Alerts whose period has not ended before `as_of`, most severe then latest first."""
    return by_severity(alerts.filter(pl.col("end") >= as_of))


def most_severe(alerts: pl.DataFrame) -> tuple[str, str, str] | None:
    """`(marker, region, lang)` of the most severe, most recent alert; None without alerts."""
    if alerts.is_empty():
        return None
    return by_severity(alerts).select("marker", "region", "lang").row(0)
