"""The DuckDB warehouse: schema, run lock, atomic publish, loads, queries and exports.

The only package that imports DuckDB. A run takes the lock and writes through
`writing(data_dir)`; readers use `open_published(data_dir)`, `warehouse.queries` (timelines,
the run ledger), `warehouse.release_record` (the release record and settings the last write
left) and `warehouse.forecast_queries` (forecasts, alerts, backtests, model choice).
"""

from warehouse.backtests import replace_backtests, replace_model_choice
from warehouse.errors import (
    DamagedWarehouse,
    LoadError,
    NoWarehouse,
    RunLocked,
    SchemaMismatch,
    WarehouseError,
)
from warehouse.export_versions import publish
from warehouse.exports import export
from warehouse.ledger import (
    PUBLISHED_STATUSES,
    Kept,
    RunRecord,
    inputs_covering,
    ledgered_sha256s,
    record_counts,
    record_dead_letters,
    record_input_days,
    record_inputs,
    record_kept_out,
    record_run,
    record_unpublished,
    recorded_kept_out,
)
from warehouse.load import (
    DayLoad,
    load_daily,
    load_dp_daily,
    load_periods,
    replace_alerts,
    replace_forecast_grains,
    replace_forecasts,
)
from warehouse.lock import Holder, RunLock
from warehouse.panes import (
    PaneLoad,
    PaneMeta,
    add_stream_accounting,
    day_holders,
    stream_held_days,
    upsert_panes,
)
from warehouse.queries import current_daily, current_periods, publishable_periods
from warehouse.releases import record_release
from warehouse.store import (
    damage_of,
    open_published,
    published_cursor,
    published_path,
    published_version,
    writing,
)

__all__ = [
    "PUBLISHED_STATUSES",
    "DamagedWarehouse",
    "DayLoad",
    "Holder",
    "Kept",
    "LoadError",
    "NoWarehouse",
    "PaneLoad",
    "PaneMeta",
    "RunLock",
    "RunLocked",
    "RunRecord",
    "SchemaMismatch",
    "WarehouseError",
    "add_stream_accounting",
    "current_daily",
    "current_periods",
    "damage_of",
    "day_holders",
    "export",
    "inputs_covering",
    "ledgered_sha256s",
    "load_daily",
    "load_dp_daily",
    "load_periods",
    "open_published",
    "publish",
    "publishable_periods",
    "published_cursor",
    "published_path",
    "published_version",
    "record_counts",
    "record_dead_letters",
    "record_input_days",
    "record_inputs",
    "record_kept_out",
    "record_release",
    "record_run",
    "record_unpublished",
    "recorded_kept_out",
    "replace_alerts",
    "replace_backtests",
    "replace_forecast_grains",
    "replace_forecasts",
    "replace_model_choice",
    "stream_held_days",
    "upsert_panes",
    "writing",
]
