from datetime import date, timedelta

import polars as pl
import pytest

from tests.warehouse.conftest import D1, D2, D3, cell, table
from transforms.contracts import ContractError
from warehouse.errors import LoadError
from warehouse.ledger import record_input_days
from warehouse.load import load_daily, replace_alerts, replace_forecasts
from warehouse.store import open_published, writing


def test_loading_the_same_landing_file_twice_leaves_identical_tables(tmp_path, make_daily):
    landing = tmp_path / "landing.parquet"
    make_daily(cell(D1), cell(D1, region="north"), cell(D2)).write_parquet(landing)
    coverage = pl.DataFrame({"sha256": ["a"], "path": ["in.jsonl"], "day": [D1], "n_records": [7]})
    snapshots = []
    for _ in range(2):
        with writing(tmp_path / "data") as con:
            load_daily(con, landing, days=[D1, D2])
            record_input_days(con, coverage)
        reader = open_published(tmp_path / "data")
        snapshots.append({name: table(reader, name) for name in ("daily_aggregates", "input_days")})
    for name, first in snapshots[0].items():
        assert first.equals(snapshots[1][name]), name
    assert snapshots[0]["daily_aggregates"].height == 3


def test_loading_days_replaces_every_row_of_those_days_only(con, make_daily):
    load_daily(con, make_daily(cell(D1), cell(D2), cell(D2, region="north")), days=[D1, D2])
    result = load_daily(con, make_daily(cell(D2, marker="worry", n_marked=7)), days=[D2])
    assert (result.days, result.deleted, result.inserted) == (1, 2, 1)
    rows = table(con, "daily_aggregates")
    assert rows.select("day", "marker", "n_marked").rows() == [
        (D1, "sadness", 60),
        (D2, "worry", 7),
    ]


def test_a_day_loaded_with_no_rows_is_emptied(con, make_daily):
    load_daily(con, make_daily(cell(D1), cell(D2)), days=[D1, D2])
    load_daily(con, make_daily(), days=[D2])
    assert table(con, "daily_aggregates")["day"].to_list() == [D1]


def test_rows_outside_the_replaced_days_are_refused(con, make_daily):
    load_daily(con, make_daily(cell(D1)), days=[D1])
    with pytest.raises(LoadError, match="2025-03-03"):
        load_daily(con, make_daily(cell(D1), cell(D3)), days=[D1])
    assert table(con, "daily_aggregates").height == 1


def test_repeated_keys_are_refused(con, make_daily):
    with pytest.raises(LoadError, match="repeat a key"):
        load_daily(con, make_daily(cell(D1), cell(D1)), days=[D1])


def test_inconsistent_counts_are_refused_and_the_day_is_kept(con, make_daily):
    load_daily(con, make_daily(cell(D1)), days=[D1])
    with pytest.raises(LoadError, match="constraint"):
        load_daily(con, make_daily(cell(D1, n_marked=999)), days=[D1])
    assert table(con, "daily_aggregates")["n_marked"].to_list() == [60]


def test_a_frame_missing_a_column_is_a_contract_error(con, make_daily):
    with pytest.raises(ContractError, match="n_posts"):
        load_daily(con, make_daily(cell(D1)).drop("n_posts"), days=[D1])


def test_a_missing_landing_file_says_to_rerun_ingest(con, tmp_path):
    with pytest.raises(LoadError, match="rerun the ingest"):
        load_daily(con, tmp_path / "nope.parquet", days=[D1])


def _forecast(model: str) -> dict[str, object]:
    return {"unique_id": "sadness|all|en", "ds": D3, "model": model, "mean": 0.1, "lo_80": 0.08,
            "hi_80": 0.12, "lo_95": 0.07, "hi_95": 0.13, "run_id": "r1"}  # fmt: skip


def _alert(severity: str = "high", **changes) -> dict[str, object]:
    return {"unique_id": "sadness|all|en", "marker": "sadness", "region": "all", "lang": "en",
            "start": D1, "end": D3, "peak": D2, "peak_value": 0.2, "threshold": 0.15,
            "method": "level", "severity": severity,
            "reason": "Sadness is higher than usual.", "issued_on": D3, "run_id": "r1",
            **changes}  # fmt: skip


def test_forecasts_and_alerts_are_replaced_whole(con):
    replace_forecasts(con, pl.DataFrame([_forecast("AutoETS"), _forecast("Naive")]))
    replace_forecasts(con, pl.DataFrame([_forecast("AutoETS")]))
    assert table(con, "forecasts")["model"].to_list() == ["AutoETS"]
    replace_alerts(con, pl.DataFrame([_alert(), _alert("low")]))
    replace_alerts(con, pl.DataFrame([_alert()]))
    assert table(con, "alerts")["severity"].to_list() == ["high"]
    with pytest.raises(LoadError, match="severities"):
        replace_alerts(con, pl.DataFrame([_alert("urgent")]))
    assert table(con, "alerts").height == 1


def test_an_alert_keeps_the_first_run_date_that_raised_it(con):
    first = _alert(method="trailing_p90_forecast", start=D3, end=D3, peak=D3, issued_on=D1)
    replace_alerts(con, pl.DataFrame([first]))
    replace_alerts(con, pl.DataFrame([_alert(method="trailing_p90", issued_on=D3)]))
    assert table(con, "alerts")["issued_on"].to_list() == [D1]
    other = _alert(method="ears_c1", issued_on=D3)
    replace_alerts(con, pl.DataFrame([_alert(method="trailing_p90", issued_on=D3), other]))
    assert table(con, "alerts").sort("method")["issued_on"].to_list() == [D3, D1]


def _period(grain: str, start, **overrides) -> dict[str, object]:
    row = {k: v for k, v in cell(**overrides).items() if k != "day"}
    days = {"n_author_days": 5 * row["n_authors"], "n_marked_author_days": 0}
    return {"grain": grain, "period_start": start, "period_end": start + timedelta(days=6),
            **row, **days}  # fmt: skip


def test_periods_holding_a_reloaded_day_are_replaced_and_others_kept(con, make_daily):
    from transforms.contracts import PERIOD_SCHEMA
    from warehouse.load import load_periods
    from warehouse.queries import current_periods

    monday, later = date(2025, 3, 3), date(2025, 3, 17)
    first = pl.DataFrame(
        [_period("iso_week", monday), _period("iso_week", later)], schema=PERIOD_SCHEMA
    )
    assert load_periods(con, first, days=[monday, later]) == 2
    again = pl.DataFrame(
        [_period("iso_week", monday, n_authors=500), _period("iso_week", later, n_authors=1)],
        schema=PERIOD_SCHEMA,
    )
    assert load_periods(con, again, days=[monday + timedelta(days=3)]) == 1
    load_daily(con, make_daily(cell(D1)), days=[D1])
    rows = current_periods(con, grain="iso_week")
    assert rows["n_authors"].to_list() == [500, 300]


def test_a_dp_release_is_loaded_by_day_and_read_with_its_budget(con, make_daily):
    from transforms.dp import DP_CELL_SCHEMA
    from warehouse.load import load_dp_daily
    from warehouse.queries import daily, dp_budget

    load_daily(con, make_daily(cell(D1), cell(D2)), days=[D1, D2])
    assert dp_budget(con) is None
    base = {"lang": "en", "marker": "sadness", "marker_version": "v1", "n_authors": 300.4,
            "noise_sd": 20.0, "epsilon": 0.5, "delta": 1e-6, "run_id": "r1"}  # fmt: skip
    cells = pl.DataFrame(
        [{**base, "day": D1, "region": "north", "n_marked_authors": -3.2},
         {**base, "day": D1, "region": "south", "n_marked_authors": 40.6},
         {**base, "day": D2, "region": "north", "n_marked_authors": 7.0}],
        schema=DP_CELL_SCHEMA,
    )  # fmt: skip
    assert load_dp_daily(con, cells, before=D2) == 2
    rows = daily(con, region="all", lang="en", privacy="dp")
    assert rows.height == 1 and rows["n_marked_authors"][0] == 37
    assert not rows["suppressed"].any() and dp_budget(con) == (0.5, 1e-6)


def test_a_dp_day_is_released_once_and_never_drawn_again(con):
    """A rerun, or a follow-mode cycle that re-reads a released day, keeps its first draw: two
    draws of the same authors' counts would spend their (ε, δ) twice. A new marker version is
    a new release of its own."""
    from transforms.dp import DP_CELL_SCHEMA
    from warehouse.load import load_dp_daily

    def draw(marked: float, version: str = "v1") -> pl.DataFrame:
        return pl.DataFrame(
            [{"day": day, "region": "north", "lang": "en", "marker": "sadness",
              "marker_version": version, "n_authors": 300.0, "n_marked_authors": marked,
              "noise_sd": 20.0, "epsilon": 1.0, "delta": 1e-6, "run_id": "r"}
             for day in (D1, D2)],
            schema=DP_CELL_SCHEMA,
        )  # fmt: skip

    def held() -> list:
        return con.sql(
            "SELECT day, marker_version, n_marked_authors FROM dp_daily ORDER BY ALL"
        ).fetchall()

    assert load_dp_daily(con, draw(12.5), before=D2) == 1
    assert load_dp_daily(con, draw(-4.0)) == 1
    assert held() == [(D1, "v1", 12.5), (D2, "v1", -4.0)]
    assert load_dp_daily(con, draw(99.0)) == 0 and held()[:2] == [
        (D1, "v1", 12.5),
        (D2, "v1", -4.0),
    ]
    assert load_dp_daily(con, draw(7.0, version="v2")) == 2
