"""An export reads the daily cells once when there is no forecast or alert to label: the
grains (forecast_queries.forecast_grains), which a run that forecast nothing does not store,
are then not derived from a second read of the cells. Counted with DuckDB's own query log."""

from __future__ import annotations

from tests.warehouse.conftest import D1, D2, D3, cell
from warehouse.current import CURRENT_DAILY
from warehouse.exports import export_frames
from warehouse.load import load_daily


def _reads_of_daily_cells(con) -> int:
    """How many queries logged so far read the daily cells (selected rows of CURRENT_DAILY,
    as warehouse.queries reads them)."""
    logged = con.sql("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall()
    return sum(m.startswith(f"SELECT * FROM {CURRENT_DAILY}") for (m,) in logged)


def test_an_export_without_forecasts_reads_the_daily_cells_once(con, make_daily):
    """Regression: it read them twice, for the timelines and again for forecast grains that
    no row used."""
    load_daily(con, make_daily(cell(D1), cell(D2), cell(D3)), days=[D1, D2, D3])
    con.sql("CALL enable_logging('QueryLog')")
    frames = export_frames(con, k=11)
    assert frames["forecasts"].is_empty() and frames["alerts"].is_empty()
    assert "grain" in frames["forecasts"].columns and "grain" in frames["alerts"].columns
    assert frames["timelines"].height == 3
    assert _reads_of_daily_cells(con) == 1
