"""What a published warehouse holds, read back to compare two runs (a followed spool against one
batch run, runs of the same posts in another order): shared by benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import warehouse
from warehouse import queries


def published_tables(data_dir: Path) -> dict[str, pl.DataFrame]:
    """The published daily aggregates (without `run_id`, which differs between runs), forecasts
    and alerts of the data directory `data_dir`, by name (`daily`, `forecasts`, `alerts`)."""
    con = warehouse.open_published(data_dir)
    try:
        return {
            "daily": queries.current_daily(con).drop("run_id"),
            "forecasts": queries.forecasts(con),
            "alerts": queries.alerts(con),
        }
    finally:
        con.close()
