import threading
from datetime import date, timedelta

import polars as pl
import pytest

from tests.warehouse.conftest import D1, D2, D3, cell, publish, run_record
from transforms.contracts import ALERT_SCHEMA, DAILY_SCHEMA, FORECAST_SCHEMA
from warehouse import forecast_queries, queries
from warehouse.ledger import record_counts, record_dead_letters, record_run
from warehouse.load import load_daily, replace_alerts, replace_forecasts
from warehouse.store import open_published


def test_daily_suppresses_small_cells_and_adds_wilson_bands(con, make_daily):
    load_daily(
        con,
        make_daily(
            cell(D1),
            cell(D1, region="north", n_authors=8, n_marked_authors=0, n_marked=0),
            cell(D1, region="south", n_marked_authors=4, n_marked=5),
            cell(D1, region="east", n_marked_authors=0, n_marked=0),
        ),
        days=[D1],
    )
    rows = queries.daily(con)
    assert rows.columns == list(queries.PUBLISHED_DAILY_COLUMNS)
    flags = dict(zip(rows["region"], rows["suppressed"], strict=True))
    assert flags == {"all": False, "east": False, "north": True, "south": True}
    hidden = rows.filter(pl.col("suppressed"))
    for column in ("n_posts", "n_marked", "n_authors", "n_marked_authors", "prevalence"):
        assert hidden[column].null_count() == hidden.height, column
    shown = rows.filter(region="all").row(0, named=True)
    assert shown["prevalence"] == pytest.approx(45 / 300)
    assert shown["prevalence_lo"] < shown["prevalence"] < shown["prevalence_hi"]
    assert shown["post_prevalence"] == pytest.approx(60 / 400)
    assert queries.daily(con, k=4).filter(region="south")["suppressed"].to_list() == [False]


def test_daily_filters_by_series_and_day_range(con, make_daily):
    load_daily(
        con,
        make_daily(cell(D1), cell(D2), cell(D3), cell(D2, lang="es"), cell(D2, marker="worry")),
        days=[D1, D2, D3],
    )
    picked = queries.daily(con, marker="sadness", lang="en", start=D2, end=D3)
    assert picked["day"].to_list() == [D2, D3]
    assert queries.series_options(con).rows() == [
        ("sadness", "all", "en"),
        ("sadness", "all", "es"),
        ("worry", "all", "en"),
    ]


def test_a_series_whose_only_days_are_in_progress_is_not_offered(con, make_daily):
    """Regression: the dashboard's series pickers offered a series whose only posts are the
    writer's day in progress, which has no published row and no forecast (the run forecasts
    the days that have ended); its Forecasts page then said its cells fall below k at every
    grain."""
    from warehouse.releases import record_release

    cells = make_daily(cell(D1), cell(D2), cell(D2, marker="stress"))
    load_daily(con, cells, days=[D1, D2])
    record_release(con, k=11, week_grain="iso_week", privacy="suppress", as_of=D2, today=D2)
    assert queries.series_options(con).rows() == [("sadness", "all", "en")]
    record_release(con, k=11, week_grain="iso_week", privacy="suppress", as_of=D3, today=D3)
    assert queries.series_options(con).rows() == [("sadness", "all", "en"), ("stress", "all", "en")]


def test_current_daily_keeps_the_version_of_the_latest_run(con, make_daily):
    load_daily(con, make_daily(cell(D1, marker_version="old", run_id="r1")), days=[D1])
    load_daily(
        con,
        make_daily(
            cell(D2, marker_version="new", run_id="r2"),
            cell(D2, marker="worry", marker_version="w", run_id="r2"),
        ),
        days=[D2],
    )
    record_run(con, run_record("r1", hour=1))
    record_run(con, run_record("r2", hour=2))
    current = queries.current_daily(con)
    assert current.schema == pl.Schema(DAILY_SCHEMA)
    assert current.select("marker", "marker_version").rows() == [("sadness", "new"), ("worry", "w")]
    assert queries.daily(con, all_versions=True).height == 3
    assert queries.current_versions(con).rows() == [("sadness", "new"), ("worry", "w")]
    one = queries.daily(con, marker="sadness", region="all", lang="en")
    assert one.select("marker", "marker_version").rows() == [("sadness", "new")]


def test_forecasts_alerts_runs_and_counts_come_back_in_their_contracts(con):
    forecast = {"unique_id": "sadness|all|en", "ds": D3, "model": "AutoETS", "mean": 0.1,
                "lo_80": 0.08, "hi_80": 0.12, "lo_95": 0.07, "hi_95": 0.13, "run_id": "r1"}  # fmt: skip
    alert = {"unique_id": "sadness|all|en", "marker": "sadness", "region": "all", "lang": "en",
             "start": D1, "end": D3, "peak": D2, "peak_value": 0.2, "threshold": 0.15,
             "method": "level", "severity": "high", "reason": "Higher than usual.",
             "issued_on": D3, "run_id": "r1"}  # fmt: skip
    replace_forecasts(con, pl.DataFrame([forecast]))
    replace_alerts(con, pl.DataFrame([alert]))
    assert forecast_queries.forecasts(con).schema == pl.Schema(FORECAST_SCHEMA)
    assert forecast_queries.forecasts(con, "worry|all|en").height == 0
    assert forecast_queries.alerts(con, "sadness|all|en").schema == pl.Schema(ALERT_SCHEMA)
    assert forecast_queries.alerts(con).height == 1
    record_run(con, run_record("r1", hour=1))
    record_run(con, run_record("r2", hour=2))
    assert queries.runs(con)["run_id"].to_list() == ["r2", "r1"]
    letters = pl.DataFrame(
        {
            "source": ["a", "a", "b"],
            "line": [1, 2, 3],
            "reason": ["bad json"] * 3,
            "record_sha256": ["x"] * 3,
        }
    )
    record_dead_letters(con, letters, run_id="r1")
    assert queries.dead_letter_counts(con).rows() == [
        ("r1", "a", "bad json", 2),
        ("r1", "b", "bad json", 1),
    ]
    counts = pl.DataFrame({"category": ["filtered"], "reason": ["repost"], "n": [4]})
    record_counts(con, "r2", counts)
    assert queries.run_counts(con, "r2").rows() == [("r2", "filtered", None, None, "repost", 4)]


def test_queries_work_on_a_published_reader_and_its_cursors_in_threads(tmp_path, make_daily):
    publish(tmp_path, make_daily(cell(D1), cell(D2)))
    reader = open_published(tmp_path)
    heights: list[int] = []

    def read() -> None:
        heights.append(queries.daily(reader.cursor()).height)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert heights == [2, 2, 2, 2]
    assert queries.runs(reader)["run_id"].to_list() == ["r1"]


def test_forecast_basis_gives_each_series_grain_or_none_and_its_duplicate(con, make_daily):
    from transforms.contracts import PERIOD_SCHEMA
    from warehouse.load import load_periods
    from warehouse.queries import forecast_basis

    monday = date(2025, 3, 3)
    days = [monday + timedelta(days=i) for i in range(28)]
    mondays = days[::7]
    marked = {"sadness": (45, 45), "fear": (3, 21), "love": (3, 5)}
    rows, weeks = [], []
    for marker, (per_day, per_week) in marked.items():
        for region in ("all", "unknown"):
            common = {"marker": marker, "region": region, "n_marked_authors": per_day}
            rows += [cell(day, **common) for day in days]
            weeks += [
                {"grain": "iso_week", "period_start": start, "period_end": start + timedelta(6),
                 **{k: v for k, v in cell(**common).items() if k != "day"},
                 "n_authors": 2100, "n_marked_authors": per_week,
                 "n_author_days": 2100, "n_marked_author_days": 7 * per_day}
                for start in mondays
            ]  # fmt: skip
    load_daily(con, make_daily(*rows), days=days)
    load_periods(con, pl.DataFrame(weeks, schema=PERIOD_SCHEMA), days=days)

    series, grain, same_as = forecast_basis(con, marker="sadness", region="all", lang="en")
    assert (grain, same_as, series.height) == ("day", None, 28)
    series, grain, _ = forecast_basis(con, marker="fear", region="all", lang="en")
    assert grain == "iso_week" and series["ds"].to_list() == mondays
    assert series["y"].round(6).to_list() == [round(21 / 2100, 6)] * 4
    series, grain, _ = forecast_basis(con, marker="love", region="all", lang="en")
    assert grain is None and series.is_empty()
    _, _, same_as = forecast_basis(con, marker="fear", region="unknown", lang="en")
    assert same_as == "fear|all|en"


def test_in_dp_mode_every_series_is_forecast_on_its_noisy_days(con, make_daily):
    from transforms.dp import DP_CELL_SCHEMA
    from warehouse.load import load_dp_daily
    from warehouse.queries import forecast_basis

    load_daily(con, make_daily(cell(D1, n_marked_authors=3), cell(D2)), days=[D1, D2])
    base = {"region": "north", "lang": "en", "marker": "sadness", "marker_version": "v1",
            "n_authors": 300.0, "noise_sd": 20.0, "epsilon": 1.0, "delta": 1e-6, "run_id": "r1"}  # fmt: skip
    cells = pl.DataFrame(
        [{**base, "day": D1, "n_marked_authors": -3.0}, {**base, "day": D2, "n_marked_authors": 45.0}],
        schema=DP_CELL_SCHEMA,
    )  # fmt: skip
    load_dp_daily(con, cells)
    series, grain, same_as = forecast_basis(
        con, marker="sadness", region="all", lang="en", privacy="dp"
    )
    assert (grain, same_as) == ("day", None)
    assert series["y"].to_list() == [0.0, 0.15]


def test_in_dp_mode_the_day_in_progress_is_not_forecast(con, make_daily):
    """Regression: forecast_series read every noisy day of the DP release, the day the last
    write's clock was on included (its partial counts), so the exports' grains and the
    dashboard's forecast basis held a day the run's forecast step (which now reads them
    through forecast_series) leaves out."""
    from transforms.dp import DP_CELL_SCHEMA
    from warehouse.load import load_dp_daily
    from warehouse.queries import forecast_basis, forecast_series
    from warehouse.releases import record_release

    load_daily(con, make_daily(cell(D1), cell(D2)), days=[D1, D2])
    base = {"region": "north", "lang": "en", "marker": "sadness", "marker_version": "v1",
            "n_authors": 300.0, "noise_sd": 20.0, "epsilon": 1.0, "delta": 1e-6, "run_id": "r1"}  # fmt: skip
    cells = pl.DataFrame(
        [{**base, "day": D1, "n_marked_authors": 30.0}, {**base, "day": D2, "n_marked_authors": 45.0}],
        schema=DP_CELL_SCHEMA,
    )  # fmt: skip
    load_dp_daily(con, cells)
    record_release(con, k=11, week_grain="iso_week", privacy="dp", as_of=D2, today=D2)
    series, _ = forecast_series(con, privacy="dp")
    assert series["ds"].unique().to_list() == [D1]
    series, grain, _ = forecast_basis(con, marker="sadness", region="all", lang="en", privacy="dp")
    assert (grain, series["y"].to_list()) == ("day", [0.1])


def test_forecast_series_reads_of_the_cells_it_is_handed_what_it_would_read_itself(con, make_daily):
    """Regression: forecast_series(daily=) used the cells it was handed as they came, so a
    caller's cells of every marker, or with the day in progress, gave series of other markers
    or of a day no reader shows, unlike the same call reading its cells itself."""
    from warehouse.queries import current_daily, forecast_series
    from warehouse.releases import record_release

    days = [D1, D2, D3]
    rows = [cell(day, marker=marker) for day in days for marker in ("sadness", "fear")]
    load_daily(con, make_daily(*rows), days=days)
    record_release(con, k=11, week_grain="iso_week", privacy="suppress", as_of=D3, today=D3)
    for marker in (None, "fear"):
        read, grains = forecast_series(con, marker=marker)
        handed, handed_grains = forecast_series(con, marker=marker, daily=current_daily(con))
        assert handed.equals(read) and handed_grains.equals(grains)
    assert read["ds"].unique().sort().to_list() == [D1, D2]
    assert grains["unique_id"].to_list() == ["fear|all|en"]
