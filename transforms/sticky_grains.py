"""Sticky grains: the grains the record of earlier releases (transforms.releases.RECORD_SCHEMA)
leaves each week and 8-week period of a series (transforms.releases: "Sticky grains")."""

from __future__ import annotations

import polars as pl

from transforms.periods import period_start
from transforms.releases import SERIES_KEYS, Release, period_days


def _recorded_days(record: pl.DataFrame) -> pl.DataFrame:
    """Every day of every recorded period: SERIES_KEYS, `day`, `_grain`, `_start`, `_whole`,
    `_gone`."""
    return record.select(
        *SERIES_KEYS,
        period_days().alias("day"),
        pl.col("grain").alias("_grain"),
        pl.col("period_start").alias("_start"),
        (pl.col("published_as") == "whole").alias("_whole"),
        (pl.col("published_as") == "withheld").alias("_gone"),
    ).explode("day")


def week_limits(release: Release) -> pl.DataFrame:
    """Per series and week of the week grain holding a day of `release.record`: `_no_days` (a
    day of it was published within a period, or its period was withheld after it was
    published), `_no_whole` (a day of it was published otherwise than within this very week)
    and `_in_eight` (a day of it was published within an 8-week period: the series is taken
    by 8-week periods there)."""
    week = period_start(pl.col("day"), release.week_grain)
    itself = (
        pl.col("_whole") & (pl.col("_grain") == release.week_grain) & (pl.col("_start") == week)
    )
    return (
        _recorded_days(release.record)
        .group_by(*SERIES_KEYS, week.alias("period_start"))
        .agg(
            (pl.col("_whole") | pl.col("_gone")).any().alias("_no_days"),
            (~itself).any().alias("_no_whole"),
            (pl.col("_whole") & (pl.col("_grain") == release.eight)).any().alias("_in_eight"),
        )
    )


def eight_limits(release: Release) -> pl.DataFrame:
    """Per series and 8-week period holding a day of `release.record`: `_no_whole` (a day of
    it was published otherwise than within this very period)."""
    start = period_start(pl.col("day"), release.eight)
    itself = pl.col("_whole") & (pl.col("_grain") == release.eight) & (pl.col("_start") == start)
    return (
        _recorded_days(release.record)
        .group_by(*SERIES_KEYS, start.alias("period_start"))
        .agg((~itself).any().alias("_no_whole"))
    )
