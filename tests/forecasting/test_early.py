"""The default `early` method: early on gradual rises, quiet on flat series, never silent on a
strong wave a month into the data."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from scipy import stats

from forecasting.early import DAILY, WEEKLY, Early, EarlyRule, baselines, exceed_probability
from forecasting.frequency import DAY, WEEK
from forecasting.methods import DEFAULT_METHODS, method_alerts
from forecasting.replay import replay
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from tests.forecasting.weekly import FIRST_MONDAY, weekly_frame, weekly_seasons

UID = "anxiety|north|en"


def test_it_is_the_default():
    assert DEFAULT_METHODS == ("early",)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_gradual_wave_is_issued_well_before_its_peak(seed):
    rng = np.random.default_rng(seed)
    y, _ = daily_prevalence(rng, n_days=240, authors=600, base=0.1)
    t = np.arange(240)
    rise = np.clip((t - 150) / 24, 0, 1)
    fall = np.clip((195 - t) / 21, 0, 1)
    y = y * (1 + 1.2 * (1 - np.cos(np.pi * np.where(t <= 174, rise, fall))) / 2)
    alerts = replay(series_frame({UID: y}), freq=DAY, methods=["early"], reporting_delay=1)
    peak = START + dt.timedelta(174)
    first = alerts.filter(pl.col("end") >= START + dt.timedelta(150))["issued_on"].min()
    assert first is not None and first <= peak - dt.timedelta(5), alerts


def test_flat_noisy_years_stay_quiet():
    rng = np.random.default_rng(4)
    total = 0
    for _ in range(10):
        y, _ = daily_prevalence(rng, n_days=365, authors=300, base=0.12)
        total += method_alerts(series_frame({UID: y}), methods=["early"], run_id="r").height
    assert total <= 3


def test_a_strong_wave_four_weeks_into_the_data_is_not_silent():
    rng = np.random.default_rng(5)
    y, _ = daily_prevalence(rng, n_days=60, authors=300, base=0.12, wave=(27, 10, 3.0))
    alerts = replay(series_frame({UID: y}), freq=DAY, methods=["early"], reporting_delay=1)
    assert alerts.height == 1
    assert START + dt.timedelta(27) <= alerts["issued_on"][0] <= START + dt.timedelta(33)
    trailing = replay(series_frame({UID: y}), freq=DAY, methods=["trailing_p90"])
    assert trailing.height == 0  # the year-long baseline has too little history


def test_weekly_epidemics_are_flagged_near_their_onset():
    y, days, onsets = weekly_seasons(np.random.default_rng(1))
    alerts = replay(weekly_frame({"flu": y}, days), freq=WEEK, methods=["early"], reporting_delay=1)
    for onset in onsets[1:]:
        hit = alerts.filter(
            (pl.col("start") <= days[onset + 8]) & (pl.col("end") >= days[onset - 4])
        )
        assert hit.height >= 1
        assert hit["issued_on"].min() <= WEEK.last_day(days[onset + 6])


def _sparse_weeks(rng, factor: np.ndarray) -> np.ndarray:
    """Weekly shares of 150 authors at a 20% rate times `factor`: sampling noise ≈ 16%."""
    return rng.binomial(150, np.minimum(0.2 * factor, 1)) / 150


def test_sparse_weekly_series_stay_quiet_and_still_see_a_wave_before_its_peak():
    rng = np.random.default_rng(7)
    days = [FIRST_MONDAY + dt.timedelta(weeks=i) for i in range(104)]
    quiet = sum(
        method_alerts(
            weekly_frame({UID: _sparse_weeks(rng, np.ones(104))}, days),
            methods=["early"],
            run_id="r",
            freq=WEEK,
        ).height
        for _ in range(10)
    )
    assert quiet <= 10  # 20 series-years; without the noise floor, 85
    t = np.arange(104)
    bell = np.where(t <= 74, np.clip((t - 70) / 4, 0, 1), np.clip((80 - t) / 4, 0, 1))
    for _ in range(5):
        y = _sparse_weeks(rng, 1 + 1.3 * (1 - np.cos(np.pi * bell)) / 2)
        alerts = replay(
            weekly_frame({UID: y}, days), freq=WEEK, methods=["early"], reporting_delay=1
        )
        assert alerts.filter(pl.col("end") >= days[66])["issued_on"].min() <= WEEK.last_day(
            days[74]
        ), alerts


def test_the_noise_floor_raises_the_weekly_bar_over_sampling_noise():
    rng = np.random.default_rng(8)
    level = _sparse_weeks(rng, np.ones(60))
    floored = baselines(level, WEEK, WEEKLY)[1]
    bare = baselines(level, WEEK, replace(WEEKLY, noise_floor=0.0))[1]
    late = slice(WEEKLY.min_baseline + WEEKLY.guard, None)
    assert np.all(floored[late] >= bare[late]) and np.mean(floored[late] > bare[late]) > 0.9


def _plain_baselines(level, freq, rule):
    """Steps 2 and 5 of forecasting.early's docstring, one period at a time: the reference
    the matrix form of `baselines` must equal."""
    centre, bar = np.full(len(level), np.nan), np.full(len(level), np.nan)
    for t in range(rule.guard, len(level)):
        end = t - rule.guard + 1
        recent = level[max(0, end - rule.baseline) : end]
        recent = recent[np.isfinite(recent)]
        if len(recent) >= rule.min_baseline:
            middle = float(np.median(recent))
            spread, k = 1.4826 * float(np.median(np.abs(recent - middle))), rule.k
            if rule.noise_floor:
                steps = np.diff(recent)
                mad = float(np.median(np.abs(steps - np.median(steps))))
                spread = max(spread, rule.noise_floor * (1.4826 * mad / np.sqrt(2)))
            if rule.seasonal_years and t - rule.seasonal_years * freq.year >= rule.seasonal_window:
                pooled = np.concatenate(
                    [
                        level[t - y * freq.year - rule.seasonal_window :][
                            : 2 * rule.seasonal_window + 1
                        ]
                        for y in range(1, rule.seasonal_years + 1)
                    ]
                )
                pooled = pooled[np.isfinite(pooled)]
                if len(pooled) >= rule.seasonal_window:
                    middle = float(np.median(pooled))
        elif len(recent) >= rule.cold_min:
            middle, spread, k = float(np.mean(recent)), float(np.std(recent, ddof=1)), rule.cold_k
        else:
            continue
        spread = max(spread, 0.02 * abs(middle), 1e-12)
        centre[t], bar[t] = middle, middle + k * spread
    return centre, bar


@pytest.mark.parametrize("seed", range(6))
def test_baselines_equal_the_plain_per_period_definition(seed):
    rng = np.random.default_rng(seed)
    for freq, rule, n in (
        (DAY, DAILY, 900),
        (WEEK, WEEKLY, 200),
        (WEEK, replace(WEEKLY, noise_floor=0.0), 90),
    ):
        level = rng.gamma(2.0, 0.01, n) * (1 + 0.3 * np.sin(np.arange(n) / 9))
        level[rng.random(n) < (0.05, 0.3, 0.7)[seed % 3]] = np.nan
        if seed % 2:
            level = np.round(level, 2)
        got, want = baselines(level, freq, rule), _plain_baselines(level, freq, rule)
        assert np.isfinite(got[1]).sum() > n // 4
        for mine, plain in zip(got, want, strict=True):
            np.testing.assert_array_equal(mine, plain)


def _plain_exceed_probability(level, bar, spread, rule):
    """Step 3 of forecasting.early's docstring, one period at a time: the reference the
    grouped form of `exceed_probability` must equal (to rounding: its dot products run in
    another order)."""
    out = np.full(len(level), np.nan)
    m = rule.trend
    design = np.column_stack([np.ones(m), np.arange(-m + 1, 1, dtype=float)])
    target = np.array([1.0, float(rule.horizon)])
    for t in range(m - 1, len(level)):
        window = level[t - m + 1 : t + 1]
        seen = np.isfinite(window)
        if not seen[-1] or seen.sum() < max(3, m - m // 4):
            continue
        if not np.isfinite(bar[t]) or spread[t] <= 0:
            continue
        inverse = np.linalg.inv(design[seen].T @ design[seen])
        ahead = target @ inverse @ design[seen].T @ window[seen]
        factor = np.sqrt(target @ inverse @ target * rule.window)
        out[t] = stats.norm.sf((bar[t] - ahead) / (spread[t] * factor))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_exceed_probability_equals_the_plain_per_period_definition(seed):
    rng = np.random.default_rng(seed)
    n = (0, 5, 9, 60, 365, 400, 730, 52)[seed]
    level = rng.gamma(2.0, 0.01, n)
    level[rng.random(n) < (0.0, 0.05, 0.3, 0.6)[seed % 4]] = np.nan
    bar = level + rng.gamma(2.0, 0.01, n)
    bar[rng.random(n) < 0.05] = np.nan
    spread = rng.gamma(2.0, 0.005, n)
    spread[rng.random(n) < 0.03] = 0.0
    spread[rng.random(n) < 0.03] = np.nan
    for rule in (DAILY, WEEKLY):
        got = exceed_probability(level, bar, spread, rule)
        want = _plain_exceed_probability(level, bar, spread, rule)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    if n >= 60 and seed % 4 < 3:  # not vacuous where at most 30% of the levels are missing
        assert np.isfinite(exceed_probability(level, bar, spread, DAILY)).any()


def test_the_forecast_probability_follows_the_trend():
    level = np.concatenate([np.full(10, 1.0), 1.0 + 0.1 * np.arange(1, 11)])
    bar, spread = np.full(20, 2.2), np.full(20, 0.05)
    rule = EarlyRule(**{**DAILY.__dict__, "trend": 5, "horizon": 5, "window": 1})
    chance = exceed_probability(level, bar, spread, rule)
    assert chance[9] < 0.01 and chance[-1] > 0.99
    assert np.all(np.diff(chance[12:]) >= 0)


def test_the_forecast_reads_through_missing_periods():
    level = np.concatenate([np.full(10, 1.0), 1.0 + 0.1 * np.arange(1, 11)])
    bar, spread = np.full(20, 2.2), np.full(20, 0.05)
    rule = EarlyRule(**{**WEEKLY.__dict__, "trend": 8, "horizon": 4})
    full = exceed_probability(level, bar, spread, rule)
    gapped = level.copy()
    gapped[[15, 17]] = np.nan
    chance = exceed_probability(gapped, bar, spread, rule)
    assert chance[-1] > 0.99 and abs(chance[-1] - full[-1]) < 0.01
    assert np.isnan(chance[[15, 17]]).all()  # no level, no forecast from it
    gapped[[12, 13, 14]] = np.nan
    assert np.isnan(exceed_probability(gapped, bar, spread, rule)[-1])  # 5 of 8 seen


def test_a_weekly_epidemic_with_missing_weeks_is_issued_as_early():
    y, days, onsets = weekly_seasons(np.random.default_rng(1))
    frame = weekly_frame({"flu": y}, days)
    gaps = np.random.default_rng(2).random(len(y)) < 0.1
    whole = replay(frame, freq=WEEK, methods=["early"], reporting_delay=1)
    holed = replay(frame.filter(~pl.Series(gaps)), freq=WEEK, methods=["early"], reporting_delay=1)
    for onset in onsets[1:]:
        window = (pl.col("start") <= days[onset + 8]) & (pl.col("end") >= days[onset - 4])
        late = holed.filter(window)["issued_on"].min() - whole.filter(window)["issued_on"].min()
        assert late <= dt.timedelta(weeks=1)


def test_the_reason_speaks_of_the_population():
    rng = np.random.default_rng(6)
    y, _ = daily_prevalence(rng, n_days=200, authors=800, base=0.1, wave=(150, 20, 2.5))
    alerts = method_alerts(series_frame({UID: y}), methods=["early"], run_id="r")
    assert alerts.height >= 1
    assert "share of authors whose posts matched 'anxiety' in north (en)" in alerts["reason"][0]
    assert Early().rule(WEEK).window == 1


@pytest.mark.parametrize("trend", [2, 63])
def test_a_trend_outside_what_the_missing_level_codes_hold_is_refused(trend):
    with pytest.raises(ValueError, match="trend"):
        replace(DAILY, trend=trend)
