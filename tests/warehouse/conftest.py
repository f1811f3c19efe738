"""Fixtures for the warehouse tests: Daily aggregate rows and published warehouses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.contracts import DAILY_SCHEMA
from warehouse.ledger import RunRecord, record_run
from warehouse.load import load_daily, replace_alerts, replace_forecasts
from warehouse.schema import create_schema
from warehouse.store import published_path, writing

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


SMALL_POSTS, SMALL_MARKED, BIG_AUTHORS = 9371, 4243, 7919
"""Counts of the small cells of `warehouse` that no export may show (tests/warehouse/test_exports)."""


@pytest.fixture
def warehouse(con, make_daily):
    """A warehouse with publishable cells, two small cells, one forecast and one alert."""
    load_daily(
        con,
        make_daily(
            cell(D1),
            cell(D2, n_marked=31, n_marked_authors=29),
            cell(
                D1,
                region="north",
                n_posts=SMALL_POSTS,
                n_scored=SMALL_POSTS,
                n_marked=SMALL_MARKED,
                n_authors=8,
                n_marked_authors=3,
            ),
            cell(
                D1,
                region="south",
                n_posts=SMALL_POSTS + 1,
                n_scored=SMALL_POSTS + 1,
                n_marked=SMALL_MARKED + 1,
                n_authors=BIG_AUTHORS,
                n_marked_authors=5,
            ),
        ),
        days=[D1, D2],
    )
    replace_forecasts(
        con,
        pl.DataFrame(
            [
                {
                    "unique_id": "sadness|all|en",
                    "ds": D2,
                    "model": "AutoETS",
                    "mean": 1 / 3,
                    "lo_80": 0.25,
                    "hi_80": 0.4,
                    "lo_95": 0.2,
                    "hi_95": 0.45,
                    "run_id": "r1",
                }
            ]
        ),
    )
    replace_alerts(
        con,
        pl.DataFrame(
            [
                {
                    "unique_id": "sadness|all|en",
                    "marker": "sadness",
                    "region": "all",
                    "lang": "en",
                    "start": D1,
                    "end": D2,
                    "peak": D2,
                    "peak_value": 0.2,
                    "threshold": 0.15,
                    "method": "level",
                    "severity": "medium",
                    "reason": "Sadness is above its usual level.",
                    "issued_on": D2,
                    "run_id": "r1",
                }
            ]
        ),
    )
    return con


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


VERSION_18_RUN_COUNTS = (
    "CREATE TABLE run_counts (run_id VARCHAR NOT NULL, category VARCHAR NOT NULL, "
    "reason VARCHAR NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (run_id, category, reason))"
)
"""`run_counts` as schema version 18 created it: no `day`, no `held_by`."""


def as_version_18(data_dir: Path, run_counts: list[tuple[str, str, str, int]]) -> None:
    """Turn `data_dir`'s published warehouse file into what schema version 18 left: its
    `run_counts` in that layout, holding `run_counts` (run_id, category, reason, n: a kept-out
    row's reason `<day> held by <run>`)."""
    with duckdb.connect(str(published_path(data_dir))) as connection:
        connection.execute("DROP TABLE run_counts")
        connection.execute(VERSION_18_RUN_COUNTS)
        connection.executemany("INSERT INTO run_counts VALUES (?, ?, ?, ?)", run_counts)
        connection.execute("DELETE FROM schema_version")
        connection.execute("INSERT INTO schema_version VALUES (18, now())")


def series_cells(days: int) -> pl.DataFrame:
    """Daily aggregates of `days` days from D1 of six series (sadness and joy in `all`, `north`
    and `south`), each cell `cell()`'s."""
    rows = [
        cell(D1 + timedelta(days=i), marker=marker, region=region)
        for i in range(days)
        for marker in ("sadness", "joy")
        for region in ("all", "north", "south")
    ]
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)
