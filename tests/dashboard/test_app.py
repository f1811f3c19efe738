"""AppTest tests of every dashboard page on a real published warehouse."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import warehouse
from dashboard.serve import INSECURE_ENV
from dashboard.summaries import too_rare
from moodcast.config import load_settings
from transforms.rates import merged_rates
from warehouse import forecast_queries, queries
from warehouse.annotations import read_annotations

APP = Path(__file__).parents[2] / "dashboard"
PAGES = ("overview", "timelines", "forecasts", "alerts", "exports", "health")


def page(name: str) -> AppTest:
    return AppTest.from_file(str(APP / "screens" / f"{name}.py"), default_timeout=60)


@pytest.fixture
def on_published(published_run, monkeypatch):
    data_dir, _ = published_run
    monkeypatch.setenv("MOODCAST_HOME", str(data_dir))
    return data_dir


@pytest.fixture
def on_copy(published_run, tmp_path, monkeypatch):
    """A copy of the published data directory that a test may add runs and events to."""
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir)
    monkeypatch.setenv("MOODCAST_HOME", str(data_dir))
    return data_dir


def charts(at: AppTest) -> list:
    return at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_router_opens_the_overview(on_published):
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"


def test_served_open_on_a_network_address_every_page_warns(on_published, monkeypatch):
    monkeypatch.setenv(INSECURE_ENV, "1")
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "without sign-in" in at.warning[0].value
    monkeypatch.delenv(INSECURE_ENV)
    plain = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not [w for w in plain.warning if "without sign-in" in w.value]


def test_with_sign_in_configured_nothing_shows_before_signing_in(on_published):
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "moodcast",
        "client_secret": "test",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_overview_shows_freshness_open_alerts_and_rising_series(on_published):
    at = page("overview").run()
    assert not at.exception
    assert [m.label for m in at.metric] == [
        "Last run finished",
        "Latest day with data",
        "Last run status",
    ]
    assert at.metric[2].value == "ok"
    assert [h.value for h in at.subheader][1].startswith("Open alerts (")
    rising = at.dataframe[-1].value
    assert list(rising.columns) == ["marker", "region", "lang", "previous", "latest", "change"]
    assert rising["change"].is_monotonic_decreasing


def test_overview_names_the_schedule_when_the_daily_runs_stopped(on_copy):
    """The latest run ran 10 days ago as of that day (no --as-of): the runs stopped, and the
    warning said the run had been told an old date instead."""
    ran = datetime.now(UTC) - timedelta(days=10)
    run = warehouse.RunRecord(
        run_id="last-scheduled", started_at=ran, finished_at=ran, as_of=ran.date(),
        tz="UTC", package_version="test", status="ok",
    )  # fmt: skip
    with warehouse.writing(on_copy) as con:
        con.execute("UPDATE runs SET started_at = started_at - INTERVAL 30 DAY")
        warehouse.record_run(con, run)
    at = page("overview").run()
    assert not at.exception
    warned = " ".join(w.value for w in at.warning)
    assert "These data end on" in warned and "--as-of" not in warned


def test_a_failed_last_run_shows_and_alerts_stay_as_of_the_last_good_run(on_copy):
    before = page("overview").run()
    now = datetime.now(UTC)
    run = warehouse.RunRecord(
        run_id="broken-run", started_at=now, finished_at=now, as_of=date(2031, 1, 1),
        tz="UTC", package_version="test", status="failed",
    )  # fmt: skip
    with warehouse.writing(on_copy) as con:
        warehouse.record_run(con, run)
    at = page("overview").run()
    assert not at.exception
    assert at.metric[2].value == "failed"
    assert at.subheader[1].value == before.subheader[1].value  # open alerts as of the good run
    said = " ".join(m.value for m in at.markdown)
    assert "2031-01-01" not in said and said == " ".join(m.value for m in before.markdown)


def test_timelines_page_compares_markers_side_by_side(on_published):
    at = page("timelines").run()
    assert not at.exception
    assert [box.label for box in at.selectbox][:3] == ["Marker", "Region", "Language"]
    assert len(charts(at)) == 1
    at.radio[0].set_value("other markers").run()
    markers = at.multiselect[0]
    markers.select(markers.options[0]).select(markers.options[1]).run()
    assert not at.exception
    assert len(charts(at)) == 3
    at.selectbox[0].select(at.selectbox[0].options[-1]).run()
    assert not at.exception


def test_a_series_flagged_only_as_often_as_its_false_positives_says_so(on_published):
    k = load_settings(on_published).k
    with warehouse.open_published(on_published) as con:
        rows = queries.daily(con, k=k, rates=merged_rates(on_published), privacy="suppress")
    shown = (
        rows.filter(~pl.col("suppressed"))
        .group_by("marker", "region", "lang")
        .agg(
            pl.col("adjusted_prevalence").max(),
            pl.col("n_marked_authors").max(),
            (pl.col("validation") == "validated").all().alias("validated"),
        )
    )
    zero = shown.filter(
        pl.col("validated")
        & (pl.col("adjusted_prevalence") == 0)
        & (pl.col("n_marked_authors") > 0)
    )
    assert not zero.is_empty(), "the sample run needs a series adjusted to 0 though flagged"
    marker, region, lang = zero.sort("marker", "region", "lang").row(0)[:3]
    at = page("timelines")
    at.query_params.update(marker=marker, region=region, lang=lang)
    at.run()
    assert not at.exception
    told = " ".join(i.value for i in at.info)
    assert "No author's posts matched" not in told
    assert "Adjusted for marker error, the share is 0" in told


def test_a_rare_series_is_explained_instead_of_charted(on_published):
    k = load_settings(on_published).k
    with warehouse.open_published(on_published) as con:
        rows = queries.daily(con, k=k, rates=None, privacy="suppress")
    found = {}
    for (marker, region, lang), series in rows.group_by("marker", "region", "lang"):
        if reason := too_rare(series.sort("day"), k=k):
            found.setdefault(reason.split(" ")[0], (marker, region, lang))
    assert set(found) == {"Too", "No"}, "the sample run needs a withheld and a zero series"
    for start, (marker, region, lang) in found.items():
        at = page("timelines")
        at.query_params.update(marker=marker, region=region, lang=lang)
        at.run()
        assert not at.exception
        assert len(charts(at)) == 0
        assert [i.value.split(" ")[0] for i in at.info if i.value.startswith(start)] == [start]


def test_a_series_of_zero_is_explained_on_forecasts_as_on_timelines(on_published):
    """Regression: Forecasts charted an all-zero series on one '0.000000%' tick where
    Timelines said there was nothing to chart."""
    k = load_settings(on_published).k
    with warehouse.open_published(on_published) as con:
        rows = queries.daily(con, k=k, rates=None, privacy="suppress")
        forecasts = forecast_queries.forecasts(con, None)
    zero = [
        key
        for key, series in rows.group_by("marker", "region", "lang")
        if (said := too_rare(series.filter(pl.col("day") > pl.col("day").max() - timedelta(days=120)), k=k))
        and said.startswith("No ")
        and not (forecasts.filter(pl.col("unique_id") == "|".join(key))["hi_95"] > 0).any()
    ]  # fmt: skip
    assert zero, "the sample run needs a series of zero with a forecast of zero"
    marker, region, lang = sorted(zero)[0]
    at = page("forecasts")
    at.query_params.update(marker=marker, region=region, lang=lang)
    at.run()
    assert not at.exception
    assert len(charts(at)) == 0
    assert any(i.value.startswith("No author's posts matched") for i in at.info)


def test_an_event_is_stored_in_its_own_file_and_never_in_the_warehouse(on_copy):
    before = warehouse.published_version(on_copy)
    at = page("timelines").run()
    at.date_input[0].set_value(date(2025, 2, 20))
    at.text_input[0].input("Heatwave warning issued")
    at.button[0].click().run()
    assert not at.exception
    events = read_annotations(on_copy)
    assert events.get_column("label").to_list() == ["Heatwave warning issued"]
    assert warehouse.published_version(on_copy) == before
    assert "Heatwave warning issued" in at.dataframe[0].value["label"].to_list()


def test_forecasts_page_shows_bands_and_the_model_choice(on_published):
    at = page("forecasts").run()
    assert not at.exception
    assert at.radio[0].label == "Model"
    assert len(charts(at)) == 1
    assert "Model choice" in [h.value for h in at.subheader]
    assert not any("does not record which model" in m.value for m in at.markdown)
    assert any("orange: forecast by " in c.value for c in at.caption)
    at.radio[0].set_value(at.radio[0].options[-1]).run()
    assert not at.exception


@pytest.mark.parametrize("name", ["overview", "forecasts", "alerts"])
def test_pages_of_the_flagged_share_say_it_is_not_adjusted(on_published, name):
    """Forecasts, alerts and the rising series are computed on the share flagged, while
    Timelines charts the same series adjusted for marker error by default: an analyst who
    compares them must be told which share each page shows."""
    at = page(name).run()
    assert not at.exception
    assert any("the share flagged, not adjusted for marker error" in c.value for c in at.caption)


def test_alerts_page_links_each_alert_to_its_timeline(on_published):
    at = page("alerts").run()
    assert not at.exception
    table = at.table[0].value
    assert {"severity", "method", "reason", "series"} <= set(table.columns)
    assert all(link.startswith("[open timeline](timelines?marker=") for link in table["series"])
    assert table["issued on"].notna().all()


def test_alerts_fold_a_wave_and_its_rollups_into_one_row(on_published):
    at = page("alerts").run()
    folded = at.table[0].value
    at.toggle[0].set_value(True).run()
    assert not at.exception
    flat = at.table[0].value
    also = folded["also alerted in"]
    folded_in = [cell for cells in also if cells for cell in cells.split("; ")]
    assert len(flat) == len(folded) + len(folded_in)
    assert "also alerted in" not in flat.columns


def test_a_series_link_opens_the_timeline_on_that_series(on_published):
    at = page("timelines")
    at.query_params.update(marker="anger", region="all", lang="es")
    at.run()
    assert not at.exception
    assert [box.value for box in at.selectbox][:3] == ["anger", "all", "es"]


def test_exports_page_offers_every_view_with_filters(on_published):
    at = page("exports").run()
    assert not at.exception
    assert at.radio[0].options == ["timelines", "forecasts", "alerts"]
    at.multiselect[0].select("sadness").run()
    preview = at.dataframe[0].value
    assert set(preview["marker"]) == {"sadness"}
    days = preview["day"].to_list()
    assert all(isinstance(day, str) and len(day) == 10 for day in days), "days shown as times"
    for view in ("forecasts", "alerts"):
        at.radio[0].set_value(view).run()
        assert not at.exception
        if view == "forecasts":
            assert set(at.dataframe[0].value["grain"]) <= {"day", "iso_week"}


def test_data_health_shows_runs_dead_letters_and_suppressed_cells(on_published):
    at = page("health").run()
    assert not at.exception
    assert [h.value for h in at.subheader] == [
        "Runs",
        "Records set aside",
        "Dead letters by reason",
        "Suppressed cells",
        "Marker validation",
    ]
    assert len(at.table) == 4  # runs, set aside, dead letters, validation: wrapped, never cut
    assert {"margin at 10%", "margin at 40%"} <= set(at.table[-1].value.columns)
    suppressed = at.dataframe[-1].value
    assert list(suppressed.columns) == [
        "marker", "region", "cells", "suppressed", "share_suppressed",
    ]  # fmt: skip
    assert suppressed["suppressed"].sum() > 0
    said = " ".join(c.value for c in at.caption)
    assert "are never shown by day: their day is shown with its week's" in said


def test_pages_keep_reading_during_a_run_and_pick_up_what_it_publishes(on_copy):
    at = page("health").run()
    runs = at.table[0].value.shape[0]  # 1, or more where a test has rerun the shared run first
    assert runs >= 1
    now = datetime.now(UTC)
    run = warehouse.RunRecord(
        run_id="later-run", started_at=now, finished_at=now, as_of=date(2025, 4, 1),
        tz="UTC", package_version="test", status="ok",
    )  # fmt: skip
    with warehouse.writing(on_copy) as con:
        warehouse.record_run(con, run)
        at.run()
        assert not at.exception
        assert at.table[0].value.shape[0] == runs
    at.run()
    assert not at.exception
    assert at.table[0].value.shape[0] == runs + 1
    assert at.table[0].value["run_id"].iloc[0] == "later-run"


@pytest.mark.parametrize("name", PAGES)
def test_without_data_every_page_says_what_to_run(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    at = page(name).run()
    assert not at.exception
    assert "moodcast run" in at.info[0].value


def test_an_unreadable_warehouse_is_explained_not_raised(tmp_path, monkeypatch):
    (tmp_path / "moodcast.duckdb").write_bytes(b"not a warehouse")
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    at = page("overview").run()
    assert not at.exception
    assert "cannot be read" in at.warning[0].value


def _user_rates(data_dir: Path, *, version: str | None) -> None:
    """Rates of anger in Spanish in the user's rates file: strong ones for `version` (the
    published one when None), else measured on another version."""
    from transforms.rates import conform_rates, write_user_rates
    from warehouse import queries

    if version is None:
        con = warehouse.open_published(data_dir)
        versions = queries.current_versions(con)
        con.close()
        version = versions.filter(marker="anger").get_column("marker_version").item()
    rates = {"marker": "anger", "lang": "es", "marker_version": version}
    write_user_rates(data_dir, conform_rates(pl.DataFrame([rates | COUNTS])))


COUNTS = {"tp": 90, "fn": 10, "fp": 10, "tn": 390}


def _anger_in_spanish() -> AppTest:
    at = page("timelines")
    at.query_params.update(marker="anger", region="all", lang="es")
    return at.run()


def test_timelines_default_to_the_adjusted_share_of_a_validated_marker(on_copy):
    _user_rates(on_copy, version=None)
    at = _anger_in_spanish()
    assert not at.exception
    assert at.toggle[0].value is True
    assert any("validated] adjusted" in m.value for m in at.markdown)


def test_timelines_label_a_marker_that_is_not_validated(on_copy):
    _user_rates(on_copy, version="measured-on-an-older-version")
    at = _anger_in_spanish()
    assert not at.exception
    assert at.toggle[0].value is False and at.toggle[0].disabled
    labels = [m.value for m in at.markdown if "not validated" in m.value]
    assert labels and "another version of the marker" in labels[0]


def test_data_health_lists_each_marker_and_language_with_its_validation(on_copy):
    _user_rates(on_copy, version=None)
    at = page("health").run()
    assert not at.exception
    table = at.table[-1].value
    assert list(table.columns)[:4] == ["marker", "lang", "marker_version", "validation"]
    anger = table[(table["marker"] == "anger") & (table["lang"] == "es")]
    assert anger["validation"].tolist() == ["validated"]
    assert table["validation"].str.startswith("not validated").any()


def test_an_open_streamed_day_shows_as_today_so_far(on_copy):
    """The stream's day is the one after the file run's last: a stream pane never replaces a
    day a file run loaded (docs/streaming.md, who holds a day)."""
    with warehouse.writing(on_copy) as con:
        daily = warehouse.current_daily(con)
        last = daily.get_column("day").max()
        today = last + timedelta(days=1)
        fired = datetime(2025, 3, 31, 10, 5, tzinfo=UTC)
        pane = warehouse.PaneMeta(today, "stream-1", fired, 0, "early", fired)
        cells = daily.filter(pl.col("day") == last).with_columns(
            day=pl.lit(today), run_id=pl.lit("stream-1")
        )
        assert warehouse.upsert_panes(con, [(pane, cells)]).loaded == {today}
    for name in ("overview", "timelines"):
        at = page(name).run()
        assert not at.exception
        notices = [info.value for info in at.info]
        assert any(f"Today so far: {today} is still open" in n and "10:05" in n for n in notices)


def test_a_series_without_a_forecast_says_why_at_its_grain(on_published):
    from dashboard.summaries import why_not_forecast
    from transforms.contracts import series_id

    con = warehouse.open_published(on_published)
    try:
        options = queries.series_options(con).select("marker", "region", "lang").rows()
        forecast = set(forecast_queries.forecasts(con).get_column("unique_id"))
        marker, region, lang = next(o for o in options if series_id(*o) not in forecast)
        series, grain, same_as = queries.forecast_basis(
            con, marker=marker, region=region, lang=lang
        )
        last_day = queries.covered_days(con)
    finally:
        con.close()
    expected = why_not_forecast(
        series,
        unique_id=series_id(marker, region, lang),
        grain=grain,
        same_as=same_as,
        last_day=max(last_day) if last_day else None,
    )
    assert expected.startswith("Not forecast")
    at = page("forecasts")
    at.query_params.update(marker=marker, region=region, lang=lang)
    at.run()
    assert not at.exception
    assert at.info[0].value == expected


def test_the_dashboards_cursors_draw_no_progress_bar(tmp_path, monkeypatch, capfd):
    """Regression: the dashboard queried through `cursor()`s of its cached connection, which
    DuckDB gives its own settings: they drew the progress bar on the server's stdout for a
    query over 2 s, which the connection never does. Here every query is 'slow'."""
    from dashboard import data

    with warehouse.writing(tmp_path):
        pass
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    cursor = data._con(warehouse.published_version(tmp_path))
    cursor.execute("SET progress_bar_time = 0")
    capfd.readouterr()
    slow = "SELECT count(*) FROM range(1000000) AS t(i) WHERE i % 7 = 3"
    assert cursor.sql(slow).fetchall() == [(142857,)]
    assert capfd.readouterr().out == ""
