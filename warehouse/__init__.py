"""The DuckDB warehouse: schema, run lock, atomic publish, loads, queries and exports.

The only package that imports DuckDB. A run takes the lock and writes through
`writing(data_dir)`; readers use `open_published(data_dir)` and `warehouse.queries`.
"""

from warehouse.backtests import replace_backtests, replace_model_choice
from warehouse.errors import LoadError, NoWarehouse, RunLocked, SchemaMismatch, WarehouseError
from warehouse.exports import export, publish
from warehouse.load import (
    DayLoad,
    RunRecord,
    inputs_covering,
    ledgered_sha256s,
    load_daily,
    record_counts,
    record_dead_letters,
    record_input_days,
    record_inputs,
    record_run,
    replace_alerts,
    replace_forecasts,
)
from warehouse.lock import Holder, RunLock
from warehouse.queries import current_daily
from warehouse.store import open_published, published_path, published_version, writing

__all__ = [
    "DayLoad",
    "Holder",
    "LoadError",
    "NoWarehouse",
    "RunLock",
    "RunLocked",
    "RunRecord",
    "SchemaMismatch",
    "WarehouseError",
    "current_daily",
    "export",
    "inputs_covering",
    "ledgered_sha256s",
    "load_daily",
    "open_published",
    "publish",
    "published_path",
    "published_version",
    "record_counts",
    "record_dead_letters",
    "record_input_days",
    "record_inputs",
    "record_run",
    "replace_alerts",
    "replace_backtests",
    "replace_forecasts",
    "replace_model_choice",
    "writing",
]
