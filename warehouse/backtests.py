"""Writes of the scheduled model selection: backtest scores and each series' published model.

`moodcast backtest --warehouse` replaces both tables; `moodcast run` replaces `model_choice`
with the model it actually published (a fallback when the selected one failed). Reads are in
`warehouse.forecast_queries` (`backtests`, `model_choice`).
"""

from __future__ import annotations

import duckdb
import polars as pl

from transforms.contracts import (
    BACKTEST_SCHEMA,
    MODEL_CHOICE_SCHEMA,
    MODEL_CHOICE_STATUSES,
    conform,
)
from warehouse.errors import LoadError
from warehouse.writes import replace_all


def replace_backtests(con: duckdb.DuckDBPyConnection, backtests: pl.DataFrame) -> int:
    """Make `backtests` (BACKTEST_SCHEMA) the whole `backtests` table; return its rows.

    Raises LoadError when a (`unique_id`, `model`, `window`) repeats.
    """
    return replace_all(con, "backtests", backtests, BACKTEST_SCHEMA)


def replace_model_choice(con: duckdb.DuckDBPyConnection, choice: pl.DataFrame) -> int:
    """Make `choice` (MODEL_CHOICE_SCHEMA) the whole `model_choice` table; return its rows.

    Raises LoadError when a status is not one of selected, fallback, default, or a series
    repeats.
    """
    rows = conform(choice, MODEL_CHOICE_SCHEMA, name="model_choice")
    bad = rows.filter(~pl.col("status").is_in(MODEL_CHOICE_STATUSES))["status"].unique().to_list()
    if bad:
        raise LoadError(
            f"model_choice has statuses {bad}; use one of {', '.join(MODEL_CHOICE_STATUSES)} "
            f"and run again."
        )
    return replace_all(con, "model_choice", rows, MODEL_CHOICE_SCHEMA)
