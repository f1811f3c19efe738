"""Pure summaries the pages show: what is rising fastest, which alerts are open.

Polars in, polars out; no Streamlit, no warehouse. They work on published rows only, so a
suppressed day is a missing value here too and never enters a mean.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

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


def alert_subjects(alerts: pl.DataFrame) -> pl.DataFrame:
    """`alerts` with `subject` (what the alert is about, in words) and `series` (the Timelines
    link of a marker's series; null for a dimension or a data event, which have no single
    timeline)."""
    links = [
        None if ":" in m else "timelines?" + urlencode({"marker": m, "region": r, "lang": lang})
        for m, r, lang in alerts.select("marker", "region", "lang").iter_rows()
    ]
    marker = pl.col("marker")
    subject = (
        pl.when(pl.col("method") == "data_event")
        .then(pl.lit("data event: post volume changed sharply"))
        .when(marker.str.starts_with("dimension:"))
        .then(
            pl.format("dimension {} (its markers together)", marker.str.strip_prefix("dimension:"))
        )
        .otherwise(marker)
    )
    return alerts.with_columns(subject=subject, series=pl.Series(links, dtype=pl.String))


def today_so_far(open_days: pl.DataFrame, *, tz: str) -> str | None:
    """The "today so far" notice for days still open in the streaming job (`day`, `pane_at`
    from warehouse.queries.provisional_days), or None when every day shown is final."""
    if open_days.is_empty():
        return None
    day, pane_at = open_days.sort("day").row(-1)
    local = pane_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    more = f" (and {open_days.height - 1} earlier open day(s))" if open_days.height > 1 else ""
    return (
        f"Today so far: {day} is still open{more}. Its numbers are provisional, as of the "
        f"streaming pane of {local} ({tz}), and may still change as posts arrive."
    )
