"""The Vega-Lite specs behind the Timelines and Forecasts charts, built without Altair."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from dashboard.charts import OKABE_ITO, count_bars, forecast_chart, timeline_chart

FIRST = date(2025, 1, 1)


def _observed(values: list[float | None]) -> pl.DataFrame:
    days = [FIRST + timedelta(days=i) for i in range(len(values))]
    return pl.DataFrame(
        {
            "day": days,
            "marker": "sadness",
            "prevalence": values,
            "prevalence_lo": [None if v is None else v - 0.01 for v in values],
            "prevalence_hi": [None if v is None else v + 0.01 for v in values],
            "smoothed_7d": values,
            "grain": ["day" if v is None or v < 0.15 else "iso_week" for v in values],
            "suppressed": [v is None for v in values],
        },
        schema_overrides={"prevalence": pl.Float64, "smoothed_7d": pl.Float64},
    )


def _alerts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "start": [FIRST + timedelta(days=2)],
            "end": [FIRST + timedelta(days=4)],
            "severity": ["high"],
            "method": ["trailing_p90"],
            "reason": ["The 7-day average rose."],
        }
    )


def _layers_of(spec: dict, dataset: str) -> list[dict]:
    return [layer for layer in spec["layer"] if layer["data"] == {"name": dataset}]


def test_a_timeline_spec_names_its_data_by_role_and_keeps_suppressed_values_out():
    values = [0.1, None, 0.12, 0.2, None, 0.15]
    events = pl.DataFrame({"day": [FIRST], "label": ["school closures"], "region": ["all"]})
    spec = timeline_chart(_observed(values), _alerts(), events)
    json.dumps({key: value for key, value in spec.items() if key != "datasets"})
    assert set(spec["datasets"]) == {"observed", "alert_periods", "suppressed_days", "events"}
    observed = spec["datasets"]["observed"]
    assert list(observed.columns) == [
        "day", "prevalence", "prevalence_lo", "prevalence_hi", "smoothed_7d", "grain",
        "suppressed",
    ]  # fmt: skip
    hidden = observed[observed["suppressed"]]
    assert len(hidden) == 2 and hidden[["prevalence", "smoothed_7d"]].isna().all().all()
    assert len(spec["datasets"]["suppressed_days"]) == 2
    assert set(spec["datasets"]["suppressed_days"].columns) == {"day", "note"}
    ends = spec["datasets"]["alert_periods"]["end_excl"]
    assert ends.iloc[0].date() == FIRST + timedelta(days=5), "alert shading covers its last day"
    colours = {layer["mark"].get("color") for layer in spec["layer"]} - {None, "#666666"}
    assert colours <= set(OKABE_ITO.values())
    assert len(_layers_of(spec, "observed")) == 3


def test_a_timeline_spec_shows_the_chosen_lines_on_a_shared_scale():
    spec = timeline_chart(
        _observed([0.1, 0.2, 0.3]), _alerts().clear(), pl.DataFrame(), daily=False, y_max=0.4
    )
    assert set(spec["datasets"]) == {"observed"}
    (line,) = spec["layer"]
    assert line["encoding"]["y"]["field"] == "smoothed_7d"
    assert line["encoding"]["y"]["scale"] == {"domain": [0, 0.4]}


def test_a_forecast_spec_layers_history_bands_and_the_forecast_mean():
    forecast = pl.DataFrame(
        {
            "ds": [FIRST + timedelta(days=6 + i) for i in range(3)],
            "mean": [0.2, 0.21, 0.22],
            "lo_80": [0.18, 0.18, 0.19],
            "hi_80": [0.22, 0.23, 0.24],
            "lo_95": [0.17, 0.17, 0.18],
            "hi_95": [0.23, 0.24, 0.25],
        }
    )
    spec = forecast_chart(_observed([0.1, None, 0.12]), forecast, _alerts())
    assert set(spec["datasets"]) == {"history", "forecast", "alert_periods", "suppressed_days"}
    bands = [layer for layer in _layers_of(spec, "forecast") if layer["mark"]["type"] == "area"]
    assert [band["encoding"]["y2"]["field"] for band in bands] == ["hi_95", "hi_80"]
    assert all(band["mark"]["color"] == OKABE_ITO["orange"] for band in bands)
    assert spec["height"] > 0


def test_a_forecast_shades_no_alert_period_before_the_history_it_shows():
    forecast = pl.DataFrame(
        {"ds": [FIRST + timedelta(days=3)], "mean": [0.2], "lo_80": [0.18], "hi_80": [0.22],
         "lo_95": [0.17], "hi_95": [0.23]}
    )  # fmt: skip
    old = _alerts().with_columns(start=FIRST - timedelta(days=90), end=FIRST - timedelta(days=60))
    across = _alerts().with_columns(start=FIRST - timedelta(days=5), end=FIRST + timedelta(days=1))
    spec = forecast_chart(_observed([0.1, 0.1, 0.1]), forecast, pl.concat([old, across]))
    shaded = spec["datasets"]["alert_periods"]
    assert shaded["start"].dt.date.tolist() == [FIRST]
    assert shaded["end_excl"].dt.date.tolist() == [FIRST + timedelta(days=2)]


def test_a_weekly_forecast_names_its_grain_in_the_tooltip():
    forecast = pl.DataFrame(
        {"ds": [FIRST + timedelta(weeks=w) for w in (1, 2)], "mean": [0.2, 0.2],
         "lo_80": [0.18] * 2, "hi_80": [0.22] * 2, "lo_95": [0.17] * 2, "hi_95": [0.23] * 2}
    )  # fmt: skip
    spec = forecast_chart(_observed([0.1, 0.1, 0.1]), forecast, _alerts(), grain="iso_week")
    assert set(spec["datasets"]["forecast"]["grain"]) == {"iso_week"}
    (mean,) = [layer for layer in _layers_of(spec, "forecast") if layer["mark"]["type"] == "line"]
    tips = {tip["field"]: tip.get("title") for tip in mean["encoding"]["tooltip"]}
    assert tips["ds"] == "week from" and "grain" in tips


def test_the_7_day_mean_is_a_gap_wherever_its_window_holds_a_suppressed_day():
    """A withheld day is a low one (1–10 matching authors), so no 7-day mean leaves it out."""
    from dashboard.data import with_smoothed

    values = [0.1] * 7 + [None] + [0.1] * 6 + [0.3]
    rows = _observed(values).drop("smoothed_7d")
    smoothed = with_smoothed(rows)["smoothed_7d"].to_list()
    assert smoothed[:6] == [None] * 6 and smoothed[6] == pytest.approx(0.1)
    assert smoothed[7:14] == [None] * 7 and smoothed[14] == pytest.approx((0.6 + 0.3) / 7)
    observed = timeline_chart(with_smoothed(rows), _alerts().clear(), _alerts().clear())
    hidden = observed["datasets"]["observed"]
    assert hidden[hidden["suppressed"]][["prevalence", "smoothed_7d"]].isna().all().all()


def test_every_date_axis_names_the_year():
    forecast = pl.DataFrame(
        {"ds": [FIRST + timedelta(days=6)], "mean": [0.2], "lo_80": [0.18], "hi_80": [0.22],
         "lo_95": [0.17], "hi_95": [0.23]}
    )  # fmt: skip
    for spec in (
        forecast_chart(_observed([0.1, None, 0.12]), forecast, _alerts()),
        timeline_chart(_observed([0.1, 0.11, 0.12]), _alerts(), _alerts().clear()),
    ):
        formats = {
            layer["encoding"]["x"].get("axis", {}).get("format")
            for layer in spec["layer"]
            if layer["encoding"]["x"]["field"] in ("day", "ds")
            and layer["encoding"]["x"]["type"] == "temporal"
        }
        assert formats and all(f is None or "%Y" in f for f in formats)
        assert "%Y" in "".join(f for f in formats if f)


def test_count_bars_show_every_label_in_full():
    frame = pl.DataFrame({"reason": ["a reason longer than the default label limit" * 3], "n": [4]})
    spec = count_bars(frame, "reason", "n", color=OKABE_ITO["vermillion"])
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert spec["encoding"]["y"]["sort"] == "-x"
    assert spec["datasets"]["counts"].to_dict("list") == frame.to_dict(as_series=False)
