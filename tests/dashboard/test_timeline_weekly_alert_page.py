"""The Timelines page, not only its chart function, shades an alert by week through its last
week: the page must hand the chart each alert's `grain` (summaries.last_day)."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

import warehouse
from warehouse import forecast_queries

APP = Path(__file__).parents[2] / "dashboard"


def _alert_periods(at: AppTest) -> pl.DataFrame:
    """The `alert_periods` dataset of the page's one chart, as the browser receives it."""
    (chart,) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    (data,) = [d.data.data for d in chart.proto.datasets if d.name == "alert_periods"]
    return pl.read_ipc_stream(io.BytesIO(data))


def test_the_timelines_page_shades_a_weekly_alert_through_its_last_week(
    published_run, tmp_path, monkeypatch
):
    """The small run raises no alert on a series it alerts by week, so this copy of it gets
    one, on such a series, over its last two whole weeks: `end` is the last week's Monday."""
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir, symlinks=True)
    with warehouse.writing(data_dir) as con:
        grains = forecast_queries.forecast_grains(con, k=11)
        weekly = grains.filter(pl.col("grain") == "iso_week").get_column("unique_id").sort()
        assert weekly.len(), "the small run alerts some series by ISO week"
        unique_id = weekly[0]
        alerts = forecast_queries.alerts(con)
        days = warehouse.current_daily(con).get_column("day")
        last_monday = days.max() - timedelta(days=days.max().weekday() + 7)
        marker, region, lang = unique_id.split("|")
        alert = {
            "unique_id": unique_id, "marker": marker, "region": region, "lang": lang,
            "start": last_monday - timedelta(days=7), "end": last_monday,
            "peak": last_monday, "peak_value": 0.2, "threshold": 0.1, "method": "early",
            "severity": "high", "reason": "The weekly share rose above its usual level.",
            "issued_on": last_monday + timedelta(days=13), "run_id": alerts["run_id"][0],
        }  # fmt: skip
        warehouse.replace_alerts(con, pl.concat([alerts, pl.DataFrame([alert])], how="diagonal"))
    monkeypatch.setenv("MOODCAST_HOME", str(data_dir))
    at = AppTest.from_file(str(APP / "screens" / "timelines.py"), default_timeout=60)
    at.query_params.update(marker=marker, region=region, lang=lang)
    at.run()
    assert not at.exception
    shaded = _alert_periods(at).filter(pl.col("reason") == alert["reason"])
    assert shaded["end_excl"].dt.date().to_list() == [last_monday + timedelta(days=7)]
