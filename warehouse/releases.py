"""The record that ties suppress-mode releases together (table `published_grains`).

Every write that changes what the published warehouse shows in suppress mode (a run, a follow
cycle, a stream load) calls `record_release` before it publishes, so that a later release
publishes each period only at the grain an earlier one did (transforms.publish.choose_grains),
and the readers (`warehouse.queries.published`, `daily`, the exports, the dashboard) choose
the same release from the record it leaves.
"""

from __future__ import annotations

from datetime import date

import duckdb

from transforms.publish import RECORD_SCHEMA, WeekGrain, release_record
from warehouse import queries
from warehouse.writes import replace_all


def record_release(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int,
    week_grain: WeekGrain,
    privacy: str,
    as_of: date | None = None,
) -> int:
    """Add to `published_grains` the periods that the release of the warehouse's current data
    at `k` and `week_grain` publishes (transforms.publish.release_record), in one transaction;
    return the record's rows. The release's date is `queries.release_as_of`, or `as_of` (the
    writing run's, which it records in `runs` too) where that is later. Idempotent: the same data and settings leave the same record.
    Records nothing in DP mode (`privacy = "dp"`: each day is released once, with noise) nor
    at `k = 1` (an unprotected internal release: recording it would bind later protected
    releases to its grains, and there is nothing left to protect in it)."""
    if privacy != "suppress" or k == 1:
        return 0
    record = release_record(
        queries.current_daily(con),
        queries.publishable_periods(con, week_grain=week_grain),
        k=k,
        week_grain=week_grain,
        record=queries.published_record(con),
        as_of=max((d for d in (as_of, queries.release_as_of(con)) if d), default=None),
    )
    return replace_all(con, "published_grains", record, RECORD_SCHEMA)
