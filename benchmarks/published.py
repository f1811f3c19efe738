"""What a published warehouse holds, read back to compare two runs (a followed spool against one
batch run, runs of the same posts in another order): shared by benchmarks and tests."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

import polars as pl

import warehouse
from warehouse import forecast_queries, queries


def published_tables(data_dir: Path) -> dict[str, pl.DataFrame]:
    """The published daily aggregates (without `run_id`, which differs between runs), forecasts
    and alerts of the data directory `data_dir`, by name (`daily`, `forecasts`, `alerts`)."""
    con = warehouse.open_published(data_dir)
    try:
        return {
            "daily": queries.current_daily(con).drop("run_id"),
            "forecasts": forecast_queries.forecasts(con),
            "alerts": forecast_queries.alerts(con),
        }
    finally:
        con.close()


def published_days(data_dir: Path, days: Collection[date]) -> pl.DataFrame:
    """The published daily aggregates of the data directory `data_dir` on `days` (without
    `run_id`), sorted by every column: what a streamed warehouse and one batch run over the same
    posts must agree on."""
    daily = published_tables(data_dir)["daily"]
    return daily.filter(pl.col("day").is_in(days)).sort(daily.columns)
