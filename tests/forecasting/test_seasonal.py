"""MEM, the CDC baseline and Farrington on synthetic weekly seasons; every registered method
at both frequencies; every replayable method reads only the past."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.frequency import DAY, WEEK, FrequencyError
from forecasting.method import SeriesMethod
from forecasting.methods import ALERT_METHODS, MethodRules, build_method, method_alerts
from forecasting.seasonal import epidemic_window, quasi_poisson, season_of
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from tests.forecasting.weekly import weekly_frame, weekly_seasons

UID = "flu|all|en"


@pytest.fixture(scope="module")
def seasons():
    y, days, onsets = weekly_seasons(np.random.default_rng(1))
    return y, days, onsets


def test_seasons_start_in_iso_week_40():
    days = [dt.date(2019, 9, 23), dt.date(2019, 9, 30), dt.date(2020, 9, 28)]
    assert season_of(days).tolist() == [2018, 2019, 2020]


def test_mem_epidemic_window_stops_when_a_week_adds_less_than_delta():
    x = np.array([1, 1, 1, 2, 8, 12, 9, 3, 1, 1, 1, 1], dtype=float)
    # best sums for 1…6 weeks: 12, 21, 29, 32, 34, 35 of 41; the 6th adds 1/41 < 2.8%
    assert epidemic_window(x) == (3, 7)
    assert epidemic_window(x, delta=0.03) == (3, 7)
    assert epidemic_window(x, delta=0.06) == (4, 7)


@pytest.mark.parametrize("method", ["mem", "cdc_baseline"])
def test_seasonal_methods_alert_every_epidemic_once_they_have_past_seasons(seasons, method):
    y, days, onsets = seasons
    alerts = method_alerts(weekly_frame({UID: y}, days), methods=[method], run_id="r", freq=WEEK)
    first_judged = 2 if method == "mem" else 1  # seasons of history each needs
    for onset in onsets[first_judged:]:
        peak = days[onset + 6]
        hit = alerts.filter((pl.col("start") <= peak) & (pl.col("end") >= days[onset]))
        assert hit.height == 1, (method, days[onset], alerts)
    assert alerts.height == len(onsets) - first_judged


def test_mem_severity_follows_its_intensity_levels(seasons):
    y, days, _ = seasons
    y = y.copy()
    y[-40:-30] *= 4
    alerts = method_alerts(weekly_frame({UID: y}, days), methods=["mem"], run_id="r", freq=WEEK)
    assert alerts.sort("start")["severity"][-1] == "high"
    assert "Moving Epidemic Method (point limit)" in alerts["reason"][0]
    mean = method_alerts(
        weekly_frame({UID: y}, days),
        methods=["mem"],
        run_id="r",
        freq=WEEK,
        rules=MethodRules(mem_limit="mean"),
    )
    assert mean["threshold"].min() < alerts["threshold"].min()


def test_farrington_quasi_poisson_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    time = np.arange(-21, 0, dtype=float)
    y = rng.poisson(np.exp(2 + 0.02 * time)) / 100
    mu0, var0, phi, p = quasi_poisson(time, y, trend=True, reweight=False)
    X = sm.add_constant(time)
    model = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2")
    assert mu0 == pytest.approx(np.exp(model.params[0]), rel=1e-6)
    assert phi == pytest.approx(model.scale, rel=1e-6)
    # statsmodels' covariance keeps the IRLS weights of its next-to-last iteration
    assert var0 == pytest.approx(mu0**2 * model.cov_params()[0, 0], rel=1e-2)
    assert p == pytest.approx(model.pvalues[1], rel=1e-2)


def test_farrington_flags_an_outbreak_against_the_same_weeks_of_past_years(seasons):
    rng = np.random.default_rng(8)
    weeks = 52 * 5
    y = 0.02 * (1 + 0.3 * np.sin(2 * np.pi * np.arange(weeks) / 52))
    y = y * np.exp(0.03 * rng.standard_normal(weeks))
    y[-20:-16] *= 2.5
    days = [dt.date(2018, 1, 1) + dt.timedelta(weeks=i) for i in range(weeks)]
    alerts = method_alerts(
        weekly_frame({UID: y}, days), methods=["farrington"], run_id="r", freq=WEEK
    )
    assert alerts.height == 1, alerts
    assert alerts["start"][0] == days[-20]


def _daily() -> pl.DataFrame:
    """Three years and four months of days (Farrington reads three years back), a wave near
    the end."""
    y, _ = daily_prevalence(np.random.default_rng(2), n_days=1215, wave=(1175, 10, 2.5))
    return series_frame({"anxiety|north|en": y})


def _crossing_forecast(frame: pl.DataFrame, freq) -> pl.DataFrame:
    """A forecast of the next 4 periods well above anything the series has seen (what
    forecast_exceedance reads)."""
    last, high = frame["ds"].max(), float(frame["y"].max()) * 2
    days = [last + dt.timedelta(days=freq.step_days * i) for i in range(1, 5)]
    return pl.DataFrame(
        {"unique_id": frame["unique_id"][0], "ds": days, "model": "AutoETS", "mean": high,
         "lo_80": high, "hi_80": high, "lo_95": high, "hi_95": high, "run_id": "r"}
    )  # fmt: skip


@pytest.mark.parametrize("method", ALERT_METHODS)
@pytest.mark.parametrize("freq", [DAY, WEEK], ids=["day", "week"])
def test_every_method_works_or_refuses_clearly_at_each_frequency(seasons, method, freq):
    y, days, _ = seasons
    frame = _daily() if freq is DAY else weekly_frame({"anxiety|all|en": y}, days)
    rules = MethodRules(dimensions={"worry": ("anxiety",)})
    built = build_method(method, rules)
    if freq.name not in built.frequencies:
        with pytest.raises(FrequencyError, match="pass a weekly series"):
            method_alerts(frame, methods=[method], run_id="r", freq=freq, rules=rules)
        return
    forecasts = _crossing_forecast(frame, freq) if method == "forecast_exceedance" else None
    alerts = method_alerts(
        frame, methods=[method], run_id="r", freq=freq, rules=rules, forecasts=forecasts
    )
    assert alerts.height, f"{method} ran at {freq.name} frequency and saw none of the waves"
    if freq is DAY and method != "forecast_exceedance":
        wave = (START + dt.timedelta(1175), START + dt.timedelta(1184))
        assert ((alerts["start"] <= wave[1]) & (alerts["end"] >= wave[0])).any(), alerts
    if freq is WEEK:
        assert set(alerts["start"].dt.weekday()) == {1}
        assert "week" in alerts["reason"][0]


@pytest.mark.parametrize("method", ALERT_METHODS)
def test_every_replayable_method_reads_only_the_past(seasons, method):
    built = build_method(method)
    if not isinstance(built, SeriesMethod):
        assert not built.replayable
        return
    y, days, _ = seasons
    whole = built.detect(y, WEEK if WEEK.name in built.frequencies else DAY, days)
    for cut in (60, 130, 200):
        head = built.detect(y[:cut], WEEK if WEEK.name in built.frequencies else DAY, days[:cut])
        for name in ("value", "threshold", "strong"):
            np.testing.assert_array_equal(getattr(head, name), getattr(whole, name)[:cut])
