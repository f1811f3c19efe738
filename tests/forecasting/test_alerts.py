"""The trailing-p90 alert rule, on synthetic series with and without planted waves.

No model is fitted here: forecast-horizon alerts get hand-made FORECAST rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.alerts import (
    DEFAULT_RULE,
    TrailingP90Rule,
    alert_periods,
    rolling_mean,
    trailing_p90_alerts,
    trailing_percentile,
)
from forecasting.method import relative_severity
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA, SEVERITIES

WAVES = [  # (seed, authors, base, start, length, factor): the sample corpus' cell sizes
    (1, 160, 0.14, 56, 21, 2.8),
    (2, 100, 0.20, 130, 14, 1.8),
    (3, 100, 0.20, 175, 12, 1.6),
    (4, 160, 0.14, 238, 19, 2.5),
    (5, 160, 0.13, 308, 16, 2.0),
    (6, 1000, 0.08, 90, 10, 1.5),
    (7, 1000, 0.08, 200, 25, 3.0),
    (8, 5000, 0.20, 150, 10, 1.5),
]


def _alerts(y: np.ndarray, uid: str = "anxiety|north|en", **kwargs) -> pl.DataFrame:
    return trailing_p90_alerts(series_frame({uid: y}), run_id="r", **kwargs)


@pytest.mark.parametrize(("seed", "authors", "base", "start", "length", "factor"), WAVES)
def test_planted_wave_starts_an_alert_within_three_days(seed, authors, base, start, length, factor):
    rng = np.random.default_rng(seed)
    y, _ = daily_prevalence(
        rng, n_days=365, authors=authors, base=base, wave=(start, length, factor)
    )
    alerts = _alerts(y)
    planted = START + dt.timedelta(start)
    overlapping = alerts.filter(
        (pl.col("start") <= planted + dt.timedelta(length))
        & (pl.col("end") >= planted - dt.timedelta(3))
    )
    assert overlapping.height == 1, alerts
    assert abs((overlapping["start"][0] - planted).days) <= 3
    assert overlapping["method"][0] == "trailing_p90"


@pytest.mark.parametrize(
    ("authors", "base", "overdispersion"),
    [(100, 0.20, 0.05), (160, 0.14, 0.0), (160, 0.13, 0.05), (300, 0.05, 0.05), (5000, 0.2, 0.05)],
)
def test_flat_noisy_seasonal_years_give_at_most_one_alert_period(authors, base, overdispersion):
    rng = np.random.default_rng(authors)
    for _ in range(25):
        y, _ = daily_prevalence(
            rng, n_days=365, authors=authors, base=base, overdispersion=overdispersion
        )
        assert _alerts(y).height <= 1


def test_two_flat_years_give_at_most_two_alert_periods():
    rng = np.random.default_rng(99)
    for _ in range(10):
        y, _ = daily_prevalence(rng, n_days=730, authors=160, base=0.14)
        assert _alerts(y).height <= 2


def test_suppressed_days_never_give_a_peak_or_a_value():
    rng = np.random.default_rng(7)
    y, _ = daily_prevalence(rng, n_days=365, authors=1000, base=0.08, wave=(200, 20, 2.5))
    hidden = {205: 0.61, 206: 0.62, 210: 0.63}
    for day in hidden:
        y[day] = np.nan
    alerts = _alerts(y)
    assert alerts.height == 1
    suppressed_days = {START + dt.timedelta(day) for day in hidden}
    assert alerts["peak"][0] not in suppressed_days
    for value in hidden.values():
        assert not np.isclose(alerts["peak_value"][0], value)
        assert f"{value * 100:.1f}%" not in alerts["reason"][0]


def test_alerts_follow_the_contract_and_read_as_one_plain_sentence():
    rng = np.random.default_rng(1)
    y, _ = daily_prevalence(rng, n_days=365, authors=1000, base=0.08, wave=(100, 15, 2.0))
    alerts = _alerts(y, uid="suicide_risk|all|all", basis="posts")
    assert alerts.schema == pl.Schema(ALERT_SCHEMA)
    row = alerts.row(0, named=True)
    assert (row["marker"], row["region"], row["lang"]) == ("suicide_risk", "all", "all")
    assert row["severity"] in SEVERITIES
    assert row["run_id"] == "r"
    assert row["start"] <= row["peak"] <= row["end"]
    assert row["peak_value"] > row["threshold"]
    reason = row["reason"]
    assert reason.startswith("The 7-day average share of posts that matched 'suicide risk'")
    assert "across all regions (all languages)" in reason
    assert "above the usual 90th percentile of" in reason
    assert reason.endswith("2025.") and ". " not in reason


def test_reason_names_the_period_and_an_ongoing_one():
    rng = np.random.default_rng(3)
    y, _ = daily_prevalence(rng, n_days=365, authors=1000, base=0.08, wave=(350, 30, 2.5))
    alerts = _alerts(y)
    assert alerts.height == 1
    assert alerts["end"][0] == START + dt.timedelta(364)
    assert "to the latest day of data, 31 December 2025." in alerts["reason"][0]


def test_severity_cut_offs():
    assert relative_severity(0.37, 0.25) == "low"
    assert relative_severity(0.375, 0.25) == "medium"
    assert relative_severity(0.49, 0.25) == "medium"
    assert relative_severity(0.5, 0.25) == "high"
    assert relative_severity(0.01, 0.0) == "high"


def test_rolling_mean_skips_missing_days_and_needs_enough_of_them():
    y = np.array([1, 2, 3, 4, 5, 6, 7, np.nan, np.nan, np.nan, 1, 1, 1, 1.0])
    s = rolling_mean(y, window=7, min_observed=5)
    assert np.isnan(s[:6]).all()
    assert s[6] == 4.0
    assert s[7] == pytest.approx(27 / 6)
    assert s[8] == pytest.approx(25 / 5)
    assert np.isnan(s[9]) and np.isnan(s[10])


def test_trailing_percentile_excludes_the_current_window_and_waits_for_data():
    signal = np.arange(60, dtype=float)
    p = trailing_percentile(signal, baseline=365, exclude=7, percentile=90, min_values=28)
    assert np.isnan(p[:34]).all()
    assert p[34] == pytest.approx(np.percentile(np.arange(28), 90))
    assert p[59] == pytest.approx(np.percentile(np.arange(53), 90))


def _periods(signal: list[float], rule: TrailingP90Rule = DEFAULT_RULE) -> list[tuple[int, int]]:
    values = np.array(signal)
    return alert_periods(values, np.full(len(values), 1.0), rule=rule)


def test_periods_merge_short_gaps_and_need_three_strong_days():
    assert _periods([1.0, 1.2, 1.2, 1.0, 1.0, 1.2, 1.0]) == [(1, 5)]
    assert _periods([1.0, 1.2, 1.2, 1.0, 1.0, 1.0, 1.2, 1.0]) == []
    assert _periods([1.0, 1.2, 1.2, 1.2, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2]) == [(1, 3), (7, 9)]


def test_periods_extend_over_the_rise_and_the_fall_above_the_threshold():
    assert _periods([1.03, 1.01, 1.05, 1.1, 1.3, 1.4, 1.5, 1.1, 1.05, 0.9]) == [(1, 8)]


def test_forecast_horizon_rise_is_a_forecast_alert():
    rng = np.random.default_rng(11)
    y, _ = daily_prevalence(rng, n_days=200, authors=1000, base=0.08)
    series = series_frame({"anxiety|north|en": y})
    last = START + dt.timedelta(199)

    def forecast_alerts(level: float, spread: float, **rule) -> pl.DataFrame:
        horizon = pl.DataFrame(
            {
                "unique_id": "anxiety|north|en",
                "ds": [last + dt.timedelta(h) for h in range(1, 15)],
                "model": "AutoETS",
                "mean": level,
                "lo_80": level - spread,
                "hi_80": level + spread,
                "lo_95": level - 1.5 * spread,
                "hi_95": level + 1.5 * spread,
                "run_id": "r",
            },
            schema=FORECAST_SCHEMA,
        )
        alerts = trailing_p90_alerts(series, horizon, run_id="r", rule=TrailingP90Rule(**rule))
        return alerts.filter(pl.col("method") == "trailing_p90_forecast")

    assert forecast_alerts(0.08, 0.01).height == 0
    risen = forecast_alerts(0.16, 0.01)
    assert risen.height == 1
    assert risen["start"][0] == last + dt.timedelta(1)
    assert risen["end"][0] == last + dt.timedelta(14)
    assert risen["reason"][0].startswith("The forecast expects the 7-day average share")
    assert risen["peak_value"][0] == pytest.approx(0.16)
    assert forecast_alerts(0.08, 0.1).height == 0
    uncertain = forecast_alerts(0.08, 0.1, horizon_statistic="hi_80")
    assert uncertain.height == 1
    assert "could reach" in uncertain["reason"][0]
    assert "(the top of its 80% range)" in uncertain["reason"][0]


def test_forecasts_of_several_models_are_refused():
    series = series_frame({"a|b|c": np.full(60, 0.1)})
    rows = pl.DataFrame(
        {
            "unique_id": "a|b|c",
            "ds": [START + dt.timedelta(60)] * 2,
            "model": ["AutoETS", "AutoARIMA"],
            "mean": 0.1,
            "lo_80": 0.1,
            "hi_80": 0.1,
            "lo_95": 0.1,
            "hi_95": 0.1,
            "run_id": "r",
        },
        schema=FORECAST_SCHEMA,
    )
    with pytest.raises(ValueError, match="one model per series"):
        trailing_p90_alerts(series, rows, run_id="r")


def test_rule_refuses_impossible_parameters():
    with pytest.raises(ValueError, match="horizon_statistic"):
        TrailingP90Rule(horizon_statistic="hi_95")
    with pytest.raises(ValueError, match="min_observed ≤ window"):
        TrailingP90Rule(min_observed=8)


def test_no_alert_before_four_weeks_of_baseline():
    y = np.concatenate([np.full(20, 0.05), np.full(20, 0.2)])
    assert _alerts(y).height == 0
