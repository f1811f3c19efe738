"""Read-only queries of what forecasting wrote: forecasts, alerts, backtest scores and each
series' published model, for the CLI, the exports and the dashboard; each returns a polars
frame and none writes. The timelines they were made from are read in `warehouse.queries`.
"""

from __future__ import annotations

import duckdb
import polars as pl

from transforms.contracts import (
    ALERT_SCHEMA,
    BACKTEST_SCHEMA,
    FORECAST_SCHEMA,
    MODEL_CHOICE_SCHEMA,
    conform,
)
from transforms.periods import EIGHT_WEEKS, period_start
from transforms.privacy import DEFAULT_K
from transforms.releases import WeekGrain
from transforms.series import DERIVED_GRAIN_SCHEMA
from warehouse.health import table_names
from warehouse.queries import forecast_series
from warehouse.reads import select_rows, where_clause


def forecasts(con: duckdb.DuckDBPyConnection, unique_id: str | None = None) -> pl.DataFrame:
    """The latest run's forecasts (Forecast contract), one series or all; by series, model, ds."""
    return select_rows(
        con, "forecasts", FORECAST_SCHEMA, "unique_id, model, ds", {"unique_id = ?": unique_id}
    )


def forecasts_with_grain(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
) -> pl.DataFrame:
    """The latest run's forecasts (`forecasts`) with `grain`, the period each row's `ds`
    stands for: `day`, `week_grain` or its 8-week grain (`ds` the period's first day) for a
    series forecast by week or 8-week period (`forecast_grains`; `with_grain`)."""
    grains = forecast_grains(con, k=k, week_grain=week_grain, privacy=privacy)
    return with_grain(forecasts(con), grains, "ds", week_grain)


def alerts(con: duckdb.DuckDBPyConnection, unique_id: str | None = None) -> pl.DataFrame:
    """The latest run's alerts (Alert contract), one series or all; newest start first."""
    where, params = where_clause({"unique_id = ?": unique_id})
    frame = con.sql(
        f'SELECT * FROM alerts{where} ORDER BY "start" DESC, unique_id, method, peak',
        params=params,
    ).pl()
    if "issued_on" not in frame.columns:  # a version-3 or -4 file, before `issued_on`
        frame = frame.with_columns(pl.lit(None, dtype=pl.Date).alias("issued_on"))
    return conform(frame, ALERT_SCHEMA, name="alerts")


def alerts_with_grain(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
) -> pl.DataFrame:
    """The latest run's alerts (`alerts`) with `grain`, the period the series was alerted at:
    `day`, `week_grain` or its 8-week grain (`start` and `end` then the first days of the
    alert's first and last periods), as `forecasts_with_grain`."""
    grains = forecast_grains(con, k=k, week_grain=week_grain, privacy=privacy)
    return with_grain(alerts(con), grains, "start", week_grain)


def forecast_grains(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
) -> pl.DataFrame:
    """The grain each series of the latest run's forecasts and alerts was forecast and alerted
    at (DERIVED_GRAIN_SCHEMA), as that run's forecast step stored it (`forecast_grains`): a
    later write that publishes without forecasting (a stream load) changes the release, not
    the grain of what the run forecast. Where the warehouse stores none (older than schema
    version 14, until its next run), the grains `warehouse.queries.forecast_series` gives
    under these settings."""
    stored = pl.DataFrame()
    # Not `except CatalogException`: DuckDB takes a missing table's name for this function's.
    if "forecast_grains" in table_names(con):
        stored = con.sql("SELECT unique_id, grain FROM forecast_grains ORDER BY unique_id").pl()
    if stored.is_empty():
        return forecast_series(con, k=k, week_grain=week_grain, privacy=privacy)[1]
    return conform(stored, DERIVED_GRAIN_SCHEMA, name="forecast_grains")


def with_grain(
    frame: pl.DataFrame, grains: pl.DataFrame, day: str, week_grain: WeekGrain
) -> pl.DataFrame:
    """`frame` with the `grain` of its series under these settings (`grains`, by `unique_id`:
    `forecast_grains`), or null where its `day` column is not the first day of a period of
    that grain: a forecast or alert of a run with another week grain."""
    fits = pl.col("grain") == "day"
    for grain in (week_grain, EIGHT_WEEKS[week_grain]):
        starts = period_start(pl.col(day), grain) == pl.col(day)
        fits = fits | ((pl.col("grain") == grain) & starts)
    return frame.join(grains, on="unique_id", how="left", maintain_order="left").with_columns(
        pl.when(fits).then(pl.col("grain")).alias("grain")
    )


def backtests(con: duckdb.DuckDBPyConnection, unique_id: str | None = None) -> pl.DataFrame:
    """The latest selection's backtest scores (BACKTEST_SCHEMA), one series or all.

    Sorted by series, window (7, 14, 21, then all) and model. Empty until
    `moodcast backtest --warehouse` has run.
    """
    return select_rows(
        con,
        "backtests",
        BACKTEST_SCHEMA,
        'unique_id, try_cast("window" AS INTEGER) NULLS LAST, "window", model',
        {"unique_id = ?": unique_id},
    )


def model_choice(con: duckdb.DuckDBPyConnection, unique_id: str | None = None) -> pl.DataFrame:
    """Each series' published model and why (MODEL_CHOICE_SCHEMA), one series or all, by series."""
    return select_rows(
        con, "model_choice", MODEL_CHOICE_SCHEMA, "unique_id", {"unique_id = ?": unique_id}
    )
