"""A stream load after a file run changes the release, not the grain of what the run forecast:
the exports, the alerts and the Forecasts page label the run's forecasts with the grain the run
gave them (`forecast_grains`), not the one a later release gives the series."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from streamlit.testing.v1 import AppTest

from moodcast.config import load_settings
from moodcast.stream import load_landing
from moodcast.stream_landing import Session
from tests.moodcast import test_alert_dates as alert_dates
from tests.moodcast import test_forecast_ended_days as ended
from tests.moodcast.forecast_steps import release_and_forecast
from warehouse import forecast_queries, queries, release_record
from warehouse.exports import export_frames
from warehouse.health import table_names
from warehouse.store import open_published, published_path

APP = Path(__file__).parents[2] / "dashboard"
STRESS = "stress|all|en"


def test_a_stream_load_keeps_the_grain_the_file_run_forecast_at(tmp_path, monkeypatch):
    """The file run, on yesterday's clock, forecast stress by day: its day in progress was
    withheld, one withheld day too many for a day series, and left out. The stream's first
    load today, through the loader's own path, ends that day: its release gives stress by week.
    Before, every reader took the grain from the latest release: the exported day forecasts of
    stress had a null `grain` but on Mondays, `iso_week`, and the Forecasts page drew them as
    weeks."""
    data = tmp_path / "data"
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    cells = ended._cells().with_columns(pl.col("day") + (yesterday - ended.SUNDAY))
    fitted = release_and_forecast(data, cells, today=yesterday)
    assert STRESS in fitted["day"]["unique_id"].to_list()

    landing = data / "stream" / "stream-1"
    landing.mkdir(parents=True)
    assert load_landing(
        Session(load_settings(data), "stream-1", datetime.now(UTC), str(landing), {})
    )

    with open_published(data) as con:
        assert release_record.release_open_from(con) == today
        assert queries.forecast_series(con, k=11)[1].filter(pl.col("unique_id") == STRESS)[
            "grain"
        ].to_list() == ["iso_week"]
        exported = export_frames(con, k=11)
        forecasts = forecast_queries.forecasts_with_grain(con, k=11)
    for frame in (exported["forecasts"], forecasts):
        stress = frame.filter(pl.col("unique_id") == STRESS)
        assert stress.height and stress["grain"].unique().to_list() == ["day"]
    assert exported["forecasts"]["grain"].null_count() == 0
    assert exported["alerts"]["grain"].null_count() == 0

    monkeypatch.setenv("MOODCAST_HOME", str(data))
    at = AppTest.from_file(str(APP / "screens" / "forecasts.py"), default_timeout=60)
    at.query_params.update(marker="stress", region="all", lang="en")
    at.run()
    assert not at.exception
    assert any("orange: forecast by day" in c.value for c in at.caption)


def test_a_warehouse_from_before_stored_grains_is_read_with_the_release_grains(tmp_path):
    """A file published before schema version 14 has no `forecast_grains` table: the readers
    (exports, the dashboard's alerts and forecasts) take the grains its release gives, until
    its next run stores them. Before, reading the missing table raised (DuckDB took the name
    for the Python function `forecast_grains`), so `moodcast export` and the dashboard's
    Alerts, Overview and Forecasts pages failed on every older warehouse."""
    data = tmp_path / "data"
    release_and_forecast(data, alert_dates._cells(), today=alert_dates.TODAY)
    con = duckdb.connect(str(published_path(data)))
    con.execute("DROP TABLE forecast_grains")
    con.execute("UPDATE schema_version SET version = 13")
    con.close()

    with open_published(data) as con:
        assert "forecast_grains" not in table_names(con)
        exported = export_frames(con, k=11)
        grains = forecast_queries.forecast_grains(con, k=11)
    assert grains.rows() == [("anxiety|all|en", "iso_week")]
    assert exported["alerts"].height
    assert exported["alerts"]["grain"].unique().to_list() == ["iso_week"]
    assert exported["forecasts"]["grain"].unique().to_list() == ["iso_week"]
