"""`forecast_and_alert` end to end on a small synthetic set."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting import FITTED_SCHEMA, NOTES_SCHEMA, ForecastOutcome, forecast_and_alert
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA

N_DAYS = 365
LAST = START + dt.timedelta(N_DAYS - 1)
WAVE_START = 150


SECRETS = {  # suppressed days whose true value must never come out: index → true value
    "anxiety|north|en": {WAVE_START + 5: 0.9123, WAVE_START + 6: 0.8765, 40: 0.7654},
    "sadness|all|all": {N_DAYS - 3: 0.9, N_DAYS - 40: 0.6543},
}


def _sample() -> pl.DataFrame:
    """Four series: a planted wave, a flat one, a mostly suppressed one and a short one."""
    rng = np.random.default_rng(21)
    waved, _ = daily_prevalence(
        rng, n_days=N_DAYS, authors=1000, base=0.08, wave=(WAVE_START, 18, 2.2)
    )
    flat, _ = daily_prevalence(rng, n_days=N_DAYS, authors=2000, base=0.15)
    values = {
        "anxiety|north|en": waved,
        "sadness|all|all": flat,
        "fear|south|es": daily_prevalence(rng, n_days=N_DAYS, authors=120, base=0.07)[0],
        "stress|east|en": 0.12 + 0.01 * rng.standard_normal(9),
    }
    for uid, days in SECRETS.items():
        values[uid][list(days)] = np.nan
    return pl.concat(
        [series_frame({uid: y}, start=LAST - dt.timedelta(len(y) - 1)) for uid, y in values.items()]
    )


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return _sample()


@pytest.fixture(scope="module")
def outcome(sample) -> ForecastOutcome:
    return forecast_and_alert(sample, run_id="run-7", keep_fitted=True)


def test_fitted_values_are_computed_only_where_read(sample, outcome):
    plain = forecast_and_alert(sample, run_id="run-7")
    assert plain.fitted.height == 0 and plain.fitted.schema == pl.Schema(FITTED_SCHEMA)
    assert outcome.fitted.height > 0
    for name in ("forecasts", "alerts", "notes", "choice"):
        assert getattr(plain, name).equals(getattr(outcome, name)), name
    reading = forecast_and_alert(sample, run_id="run-7", methods=["forecast_exceedance"])
    assert reading.fitted.equals(outcome.fitted)
    assert reading.forecasts.equals(outcome.forecasts)


def test_outcome_frames_follow_their_contracts(outcome):
    assert outcome.forecasts.schema == pl.Schema(FORECAST_SCHEMA)
    assert outcome.alerts.schema == pl.Schema(ALERT_SCHEMA)
    assert outcome.fitted.schema == pl.Schema(FITTED_SCHEMA)
    assert outcome.notes.schema == pl.Schema(NOTES_SCHEMA)
    assert set(outcome.forecasts["run_id"]) == set(outcome.alerts["run_id"]) == {"run-7"}
    assert outcome.alerts.equals(outcome.alerts.sort("unique_id", "start", "method"))
    assert outcome.notes.equals(outcome.notes.sort("unique_id"))
    assert outcome.fitted.equals(outcome.fitted.sort("unique_id", "ds"))


def test_notes_say_what_happened_to_every_series(outcome):
    statuses = dict(outcome.notes.select("unique_id", "status").iter_rows())
    assert statuses == {
        "anxiety|north|en": "ok",
        "sadness|all|all": "ok",
        "fear|south|es": "skipped",
        "stress|east|en": "fallback",
    }
    assert "fear|south|es" not in set(outcome.forecasts["unique_id"])


def test_planted_wave_is_alerted_and_issued_on_the_latest_day(outcome):
    planted = START + dt.timedelta(WAVE_START)
    alerts = outcome.alerts.filter(pl.col("unique_id") == "anxiety|north|en")
    wave = alerts.filter(
        (pl.col("end") >= planted) & (pl.col("start") <= planted + dt.timedelta(18))
    )
    assert wave.height == 1 and alerts.height <= 2
    assert abs((wave["start"][0] - planted).days) <= 3
    assert set(outcome.alerts["issued_on"]) == {LAST}


def test_suppressed_values_appear_in_no_output(outcome):
    secrets = np.array([v for days in SECRETS.values() for v in days.values()])
    numbers = np.concatenate(
        [
            outcome.forecasts.select(pl.col("mean", "lo_80", "hi_80", "lo_95", "hi_95"))
            .to_numpy()
            .ravel(),
            outcome.fitted.select(pl.col("y", "mean", "hi_80")).to_numpy().ravel(),
            outcome.alerts["peak_value"].to_numpy(),
            outcome.alerts["threshold"].to_numpy(),
        ]
    )
    assert not np.isclose(numbers[:, None], secrets[None, :], rtol=0, atol=1e-9).any()
    for reason in outcome.alerts["reason"]:
        assert not any(f"{v * 100:.1f}%" in reason for v in secrets)
    for uid, days in SECRETS.items():
        suppressed = {LAST - dt.timedelta(N_DAYS - 1 - d) for d in days}
        peaks = set(outcome.alerts.filter(pl.col("unique_id") == uid)["peak"])
        assert not peaks & suppressed
        fitted_days = set(outcome.fitted.filter(pl.col("unique_id") == uid)["ds"])
        assert not fitted_days & suppressed


def test_seasonal_naive_repeats_the_interpolation_of_a_suppressed_day(sample):
    outcome = forecast_and_alert(
        sample.filter(pl.col("unique_id") == "sadness|all|all"),
        run_id="r",
        alert_model="SeasonalNaive",
    )
    suppressed = LAST - dt.timedelta(2)
    flat = sample.filter(pl.col("unique_id") == "sadness|all|all")
    around = flat.filter(pl.col("ds").is_in([suppressed - dt.timedelta(1), LAST - dt.timedelta(1)]))
    seasonal = outcome.forecasts.filter(
        (pl.col("unique_id") == "sadness|all|all")
        & (pl.col("model") == "SeasonalNaive")
        & (pl.col("ds") == suppressed + dt.timedelta(7))
    )
    assert seasonal["mean"].item() == pytest.approx(around["y"].mean())


def test_same_input_same_output_and_input_untouched(sample, outcome):
    before = sample.clone()
    again = forecast_and_alert(sample, run_id="run-7", n_jobs=2, keep_fitted=True)
    assert sample.equals(before)
    for name in ("forecasts", "alerts", "fitted", "notes"):
        assert getattr(again, name).equals(getattr(outcome, name)), name


def test_empty_input_gives_empty_frames():
    outcome = forecast_and_alert(series_frame({}), run_id="r")
    assert outcome.forecasts.height == outcome.alerts.height == outcome.notes.height == 0
    assert outcome.forecasts.schema == pl.Schema(FORECAST_SCHEMA)


def test_bad_arguments_are_refused_with_a_hint(sample):
    with pytest.raises(ValueError, match="run_id"):
        forecast_and_alert(sample, run_id="")
    with pytest.raises(ValueError, match="alert_model must be one of"):
        forecast_and_alert(sample, run_id="r", alert_model="Prophet")


def test_weekly_series_run_end_to_end_with_weekly_methods():
    from forecasting.frequency import WEEK, FrequencyError
    from tests.forecasting.weekly import weekly_frame, weekly_seasons

    y, days, _ = weekly_seasons(np.random.default_rng(3), seasons=4)
    frame = weekly_frame({"flu|all|en": y / 10}, days)
    outcome = forecast_and_alert(
        frame, run_id="w", freq=WEEK, horizon_days=28, methods=["early", "mem", "cdc_baseline"]
    )
    assert outcome.forecasts["ds"].to_list() == [
        days[-1] + dt.timedelta(weeks=h) for h in range(1, 5)
    ]
    assert {"early", "mem", "cdc_baseline"} <= set(outcome.alerts["method"])
    assert set(outcome.alerts["start"].dt.weekday()) == {1}
    with pytest.raises(FrequencyError, match="pass a weekly series"):
        forecast_and_alert(series_frame({"a|b|c": np.full(30, 0.1)}), run_id="d", methods=["mem"])
