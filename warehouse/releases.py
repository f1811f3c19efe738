"""The records that tie suppress-mode releases together (tables `published_grains`,
`published_counts`, `withheld_counts`, `shown_cells` and `release_settings`).

Every write that changes what the published warehouse shows (a run, a follow cycle, a stream
load) calls `record_release` before it publishes, so that a later release publishes each
period only at the grain an earlier one did and each cell only with counts that differ from
the earlier ones by 0 or at least k (transforms.grains.choose_grains), and the readers
(`warehouse.queries.published`, `daily`, the exports, the dashboard) choose the same release
from the records it leaves, at the settings it stores (read in `warehouse.release_record`).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from transforms.grains import release_record
from transforms.releases import RECORD_SCHEMA, RELEASED_SCHEMA, SHOWN_SCHEMA, Release, WeekGrain
from warehouse import queries
from warehouse.release_record import (
    published_record,
    recorded_counts,
    recorded_shown,
    recorded_withheld,
    release_as_of,
)
from warehouse.schema import RELEASE_SETTINGS_SCHEMA
from warehouse.writes import replace_all


def record_release(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int,
    week_grain: WeekGrain,
    privacy: str,
    as_of: date | None = None,
    today: date | None = None,
) -> int:
    """Store the release's settings (`release_settings`, every mode) and add to
    `published_grains` the periods, to `published_counts` the cells and counts, that the
    release of the warehouse's current data at `k` and `week_grain` publishes, and to
    `withheld_counts` the counts of the weeks of child series it withholds (their days', and
    an ended week's own), to `shown_cells` the keys of the cells it shows, published or withheld
    (transforms.grains.release_record); return the grain record's rows. The release's date
    is `release_as_of`, or `as_of` (the writing run's, which it records in `runs` too)
    where that is later. `today` is the day the writer's clock is on in the analysis time zone:
    the days from `open_from(con, today)` on have not ended, so the release neither publishes
    nor records them (transforms.releases.Release.open_from); it is stored in
    `release_settings` for the readers, which leave out the same days (None: every day has
    ended, as before schema version 13). Idempotent: the same data, settings and `today` leave
    the same records.
    Records no grains or counts in DP mode (`privacy = "dp"`: each day is released once, with
    noise) nor at `k = 1` (an unprotected internal release: recording it would bind later
    protected releases to its grains, and there is nothing left to protect in it)."""
    first_open = open_from(con, today)
    settings = pl.DataFrame(
        [{"privacy": privacy, "k": k, "week_grain": week_grain, "open_from": first_open}],
        schema=RELEASE_SETTINGS_SCHEMA,
    )
    replace_all(con, "release_settings", settings, RELEASE_SETTINGS_SCHEMA)
    if privacy != "suppress" or k == 1:
        return 0
    before = Release(
        k=k,
        week_grain=week_grain,
        record=published_record(con),
        counts=recorded_counts(con),
        withheld=recorded_withheld(con),
        shown=recorded_shown(con),
        as_of=max((d for d in (as_of, release_as_of(con)) if d), default=None),
        open_from=first_open,
    )
    after = release_record(
        queries.current_daily(con),
        queries.publishable_periods(con, week_grain=week_grain),
        before,
    )
    replace_all(con, "published_counts", after.counts, RELEASED_SCHEMA)
    replace_all(con, "withheld_counts", after.withheld, RELEASED_SCHEMA)
    replace_all(con, "shown_cells", after.shown, SHOWN_SCHEMA)
    return replace_all(con, "published_grains", after.record, RECORD_SCHEMA)


def open_from(con: duckdb.DuckDBPyConnection, today: date | None) -> date | None:
    """The first day that has not ended, the writer's clock on `today`: `today`, or the day
    before while a stream's newest pane of it loaded is early (`queries.provisional_days`: its
    on-time pane, which fires as the day ends, is not loaded yet; published from the early pane,
    its last minutes would hold it). None where `today` is."""
    if today is None:
        return None
    yesterday = today - timedelta(days=1)
    return yesterday if yesterday in queries.provisional_days(con)["day"].to_list() else today
