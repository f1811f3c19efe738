"""The non-default alert methods as periods: paper peaks, forecast exceedance, EARS, CUSUM."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.aberration import cusum, ears_bar, ears_c1, ears_c2, ears_c3
from forecasting.methods import (
    ALERT_METHODS,
    MethodRules,
    check_methods,
    marker_dimensions,
    method_alerts,
)
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from transforms.contracts import ALERT_SCHEMA, SEVERITIES
from transforms.markers import load_markers

WAVE_START, WAVE_DAYS = 200, 18


def _waved(seed: int = 3, factor: float = 2.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, _ = daily_prevalence(
        rng, n_days=365, authors=600, base=0.1, wave=(WAVE_START, WAVE_DAYS, factor)
    )
    return y


@pytest.mark.parametrize("method", ["ears_c1", "ears_c2", "ears_c3", "cusum"])
def test_each_aberration_method_turns_a_planted_wave_into_a_period_near_its_start(method):
    alerts = method_alerts(
        series_frame({"anxiety|north|en": _waved()}), methods=[method], run_id="r"
    )
    assert alerts.schema == pl.Schema(ALERT_SCHEMA)
    planted = START + dt.timedelta(WAVE_START)
    starts = [abs((s - planted).days) for s in alerts["start"]]
    assert starts and min(starts) <= 3, alerts
    assert set(alerts["method"]) == {method}
    assert set(alerts["severity"]) <= set(SEVERITIES)
    assert (alerts["start"] <= alerts["peak"]).all() and (alerts["peak"] <= alerts["end"]).all()


@pytest.mark.parametrize("method", ["ears_c1", "ears_c2", "ears_c3", "cusum"])
def test_the_bar_of_an_aberration_method_is_the_share_that_reaches_its_alert_level(method):
    y = _waved(seed=5)
    stat, flagged, bar = ears_bar(y, method)
    reference = {"ears_c1": ears_c1, "ears_c2": ears_c2, "ears_c3": ears_c3, "cusum": cusum}
    np.testing.assert_allclose(stat, reference[method](y), equal_nan=True)
    assert flagged.any()
    level = {"ears_c1": 3.0, "ears_c2": 3.0, "ears_c3": 2.0, "cusum": 4.0}[method]
    ok = np.isfinite(stat) & np.isfinite(bar)
    if method == "ears_c3":
        # exact while the two days before sum below the level; past it every day flags
        excess = np.maximum(ears_c2(y) - 1, 0)
        rest = np.r_[np.nan, np.nan, excess[:-2] + excess[1:-1]]
        ok &= rest < level
    assert ((y[ok] > bar[ok] + 1e-12) == (stat[ok] > level + 1e-9))[
        np.abs(stat[ok] - level) > 1e-6
    ].all()


def test_aberration_reasons_speak_of_a_population_share_with_its_bar():
    alerts = method_alerts(
        series_frame({"anxiety|north|en": _waved()}), methods=["ears_c2"], run_id="r"
    )
    reason = alerts["reason"][0]
    assert "share of authors whose posts matched 'anxiety' in north (en)" in reason
    assert "EARS C2 counts as unusual" in reason
    assert reason.count(".") >= 1 and "diagnos" not in reason


def test_a_quiet_series_gives_no_forecast_exceedance_from_its_day_ahead_forecasts():
    rng = np.random.default_rng(8)
    y, _ = daily_prevalence(rng, n_days=365, authors=600, base=0.1)
    frame = series_frame({"joy|north|en": y})
    fitted = frame.drop_nulls("y").with_columns(
        pl.lit("AutoETS").alias("model"),
        pl.col("y").rolling_mean(7, min_samples=1).shift(1).alias("mean"),
    )
    for column in ("lo_80", "hi_80", "lo_95", "hi_95"):
        fitted = fitted.with_columns(pl.col("mean").alias(column))
    alerts = method_alerts(frame, methods=["forecast_exceedance"], run_id="r", fitted=fitted)
    assert alerts.is_empty(), alerts


def test_forecast_exceedance_warns_when_the_forecast_crosses_the_historical_percentile():
    rng = np.random.default_rng(9)
    y, _ = daily_prevalence(rng, n_days=120, authors=600, base=0.1)
    frame = series_frame({"joy|north|en": y})
    last = frame["ds"].max()
    high = float(np.nanpercentile(y, 95)) * 1.3
    forecasts = pl.DataFrame(
        {
            "unique_id": "joy|north|en",
            "ds": [last + dt.timedelta(days=i) for i in range(1, 8)],
            "model": "AutoETS",
            "mean": [0.1, 0.1, high, high, high, high, 0.1],
            "lo_80": 0.0,
            "hi_80": 0.5,
            "lo_95": 0.0,
            "hi_95": 0.6,
            "run_id": "r",
        }
    )
    alerts = method_alerts(frame, methods=["forecast_exceedance"], run_id="r", forecasts=forecasts)
    assert alerts["method"].to_list() == ["forecast_exceedance_forecast"]
    row = alerts.row(0, named=True)
    assert (row["start"], row["end"]) == (last + dt.timedelta(3), last + dt.timedelta(6))
    assert row["threshold"] == pytest.approx(np.nanpercentile(y, 95))
    assert "The forecast for the daily share" in row["reason"]
    with_sd = method_alerts(
        frame,
        methods=["forecast_exceedance"],
        run_id="r",
        forecasts=forecasts,
        rules=MethodRules(exceedance_threshold="mean_sd", exceedance_k=2.0),
    )
    assert with_sd["threshold"][0] == pytest.approx(np.nanmean(y) + 2 * np.nanstd(y, ddof=1))
    upper = method_alerts(
        frame,
        methods=["forecast_exceedance"],
        run_id="r",
        forecasts=forecasts,
        rules=MethodRules(exceedance_statistic="hi_80"),
    )
    assert upper["start"][0] == last + dt.timedelta(1) and "80% range" in upper["reason"][0]


def test_paper_peaks_alert_on_a_dimension_with_the_documented_unique_id():
    rng = np.random.default_rng(4)
    stress, _ = daily_prevalence(
        rng, n_days=365, authors=600, base=0.1, wave=(WAVE_START, WAVE_DAYS, 2.5)
    )
    anxiety, _ = daily_prevalence(rng, n_days=365, authors=600, base=0.1)
    frame = series_frame({"stress|north|en": stress, "anxiety|north|en": anxiety})
    rules = MethodRules(dimensions={"strain": ("anxiety", "stress"), "other": ("joy",)})
    alerts = method_alerts(frame, methods=["paper_peaks"], run_id="r", rules=rules)
    assert set(alerts["unique_id"]) == {"dimension:strain|north|en"}
    assert set(alerts["marker"]) == {"dimension:strain"}
    planted = START + dt.timedelta(WAVE_START)
    best = alerts.sort("peak_value", descending=True).row(0, named=True)
    assert abs((best["start"] - planted).days) <= 3, alerts
    assert best["peak_value"] > best["threshold"]
    assert "markers of 'strain' (anxiety, stress)" in best["reason"]
    assert "percentage points a day" in best["reason"]


def test_marker_dimensions_group_the_shipped_markers():
    dimensions = marker_dimensions(load_markers().values())
    assert "anxiety" in dimensions["anxiety"]
    assert all(names == tuple(sorted(names)) for names in dimensions.values())


def test_unknown_methods_are_refused_with_the_known_ones():
    assert check_methods(ALERT_METHODS) == ALERT_METHODS
    with pytest.raises(ValueError, match="known: early, trailing_p90"):
        check_methods(["ears_c4"])
    with pytest.raises(ValueError, match="list of method names"):
        check_methods("ears_c1")
