"""Fixtures for the warehouse tests: Daily aggregate rows and published warehouses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.contracts import DAILY_SCHEMA
from warehouse.ledger import RunRecord, record_run
from warehouse.load import load_daily
from warehouse.schema import create_schema
from warehouse.store import writing

D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)

MakeDaily = Callable[..., pl.DataFrame]


def cell(day: date = D1, **overrides: object) -> dict[str, object]:
    """One publishable Daily aggregate row (well above k = 11), with overrides."""
    row: dict[str, object] = {
        "day": day,
        "region": "all",
        "lang": "en",
        "marker": "sadness",
        "marker_version": "v1",
        "n_posts": 400,
        "n_scored": 400,
        "n_marked": 60,
        "n_authors": 300,
        "n_marked_authors": 45,
        "sample_rate": 1.0,
        "run_id": "r1",
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_daily() -> MakeDaily:
    """Build a Daily aggregate frame from `cell(...)` dicts."""

    def build(*rows: dict[str, object]) -> pl.DataFrame:
        return pl.DataFrame(list(rows), schema=DAILY_SCHEMA)

    return build


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the schema."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    create_schema(connection)
    yield connection
    connection.close()


def run_record(run_id: str = "r1", *, hour: int = 0, status: str = "ok") -> RunRecord:
    """A run ledger row started on 2025-03-04 at `hour` UTC."""
    return RunRecord(
        run_id=run_id,
        started_at=datetime(2025, 3, 4, hour, tzinfo=UTC),
        as_of=date(2025, 3, 4),
        tz="Europe/Madrid",
        package_version="0.1.0",
        status=status,
        marker_versions={"sadness": "v1"},
    )


def publish(data_dir: Path, daily: pl.DataFrame, *, days: list[date] | None = None) -> None:
    """Publish a warehouse in `data_dir` holding `daily` (replacing its days) and run r1."""
    with writing(data_dir) as connection:
        load_daily(connection, daily, days=days or daily["day"].unique().to_list())
        record_run(connection, run_record())


def table(connection: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    """A whole table, sorted by every column, for equality checks."""
    frame = connection.sql(f'SELECT * FROM "{name}"').pl()
    return frame.sort(frame.columns, nulls_last=True)
