"""Each marker's current version, kept in the `current_versions` table as the data changes.

A marker's current `marker_version` is the one loaded by the most recent run (by
`runs.started_at`); versions whose run is not in the ledger rank after those, then by their
latest day, then by name. Finding it means aggregating every Daily aggregate with the run
ledger, so the writers that change either (`load.load_daily`, `load.record_run`, and
`schema.create_schema` when it upgrades an older file) store the answer here, and readers
join one small table to read only the current rows of the markers they ask for.
"""

from __future__ import annotations

import duckdb

CURRENT_VERSIONS_SQL = """
SELECT marker, marker_version FROM (
    SELECT d.marker, d.marker_version, max(r.started_at) AS last_run, max(d.day) AS last_day
    FROM daily_aggregates AS d LEFT JOIN runs AS r ON r.run_id = d.run_id
    GROUP BY d.marker, d.marker_version
)
QUALIFY row_number() OVER (
    PARTITION BY marker ORDER BY last_run DESC NULLS LAST, last_day DESC, marker_version DESC
) = 1
"""
"""The current-version rule, computed from `daily_aggregates` and `runs`."""

CURRENT_DAILY = (
    "(SELECT d.* FROM daily_aggregates AS d JOIN current_versions USING (marker, marker_version))"
)
"""Daily aggregates of each marker's current version, as an SQL subquery for readers: a join
with one small table, so a marker filter reads that marker only."""


def refresh_current_versions(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute `current_versions` from `daily_aggregates` and `runs`; return its row count.

    Call it, inside the same transaction, after any change to either table. Never raises on
    an empty warehouse (the table is then empty too).
    """
    con.execute("DELETE FROM current_versions")
    con.execute(f"INSERT INTO current_versions BY NAME {CURRENT_VERSIONS_SQL}")
    return con.execute("SELECT count(*) FROM current_versions").fetchall()[0][0]
