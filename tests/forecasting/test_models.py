"""statsforecast models: contract, intervals, fallbacks for short series, failing models."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from statsforecast.models import SeasonalNaive

import forecasting.models as models
from forecasting.models import FITTED_SCHEMA, MODEL_NAMES, forecast_models
from forecasting.series import NOTES_SCHEMA, prepare_series
from tests.forecasting.synthetic import START, daily_prevalence, series_frame
from transforms.contracts import FORECAST_SCHEMA

N_DAYS = 120
LAST = START + dt.timedelta(N_DAYS - 1)


def _forecast(frame: pl.DataFrame, **kwargs) -> models.ModelOutput:
    prepared = prepare_series(frame)
    return forecast_models(prepared.fit, prepared.history, run_id="run-1", **kwargs)


def _ending_on_last_day(uid: str, y: np.ndarray) -> pl.DataFrame:
    return series_frame({uid: y}, start=LAST - dt.timedelta(len(y) - 1))


@pytest.fixture(scope="module")
def edge_output() -> models.ModelOutput:
    rng = np.random.default_rng(5)
    near_zero = np.clip(0.002 + 0.004 * rng.standard_normal(N_DAYS), 0, 1)
    near_one = np.clip(0.995 + 0.01 * rng.standard_normal(N_DAYS), 0, 1)
    typical, _ = daily_prevalence(rng, n_days=N_DAYS, authors=1000, base=0.08)
    frame = series_frame(
        {"joy|north|en": near_one, "fear|north|en": near_zero, "anxiety|north|en": typical}
    )
    return _forecast(frame, horizon_days=14)


def test_forecasts_follow_the_contract_for_every_model(edge_output):
    forecasts = edge_output.forecasts
    assert forecasts.schema == pl.Schema(FORECAST_SCHEMA)
    assert forecasts.height == 3 * len(MODEL_NAMES) * 14
    assert set(forecasts["run_id"]) == {"run-1"}
    per_series = forecasts.group_by("unique_id", "model").agg(
        pl.col("ds").min().alias("first"), pl.col("ds").max().alias("last"), pl.len()
    )
    assert set(per_series["model"]) == set(MODEL_NAMES)
    assert set(per_series["first"]) == {LAST + dt.timedelta(1)}
    assert set(per_series["last"]) == {LAST + dt.timedelta(14)}
    assert forecasts.equals(forecasts.sort("unique_id", "model", "ds").pipe(_model_order))
    assert edge_output.notes.schema == pl.Schema(NOTES_SCHEMA)
    assert set(edge_output.notes["status"]) == {"ok"}


def _model_order(frame: pl.DataFrame) -> pl.DataFrame:
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    return frame.sort("unique_id", pl.col("model").replace_strict(order), "ds")


def test_intervals_are_nested_and_within_zero_and_one(edge_output):
    for frame in (edge_output.forecasts, edge_output.fitted):
        values = pl.col("mean", "lo_80", "hi_80", "lo_95", "hi_95")
        assert not frame.select(pl.any_horizontal(values.is_nan().any())).item()
        nested = frame.select(
            (
                (pl.col("lo_95") <= pl.col("lo_80"))
                & (pl.col("lo_80") <= pl.col("mean"))
                & (pl.col("mean") <= pl.col("hi_80"))
                & (pl.col("hi_80") <= pl.col("hi_95"))
                & (pl.col("lo_95") >= 0)
                & (pl.col("hi_95") <= 1)
            ).all()
        )
        assert nested.item()
    assert edge_output.forecasts.filter(pl.col("unique_id") == "fear|north|en")["lo_95"].min() == 0
    assert edge_output.forecasts.filter(pl.col("unique_id") == "joy|north|en")["hi_95"].max() == 1


def test_fitted_values_are_the_alert_models_on_observed_days(edge_output):
    fitted = edge_output.fitted
    assert fitted.schema == pl.Schema(FITTED_SCHEMA)
    assert set(fitted["model"]) == {"AutoETS"}
    assert fitted["y"].null_count() == 0
    assert fitted.filter(pl.col("unique_id") == "anxiety|north|en").height >= N_DAYS - 10


def test_short_series_go_down_the_fallback_chain_and_say_so():
    rng = np.random.default_rng(2)
    frame = pl.concat(
        [
            _ending_on_last_day("anxiety|new|en", 0.1 + 0.01 * rng.standard_normal(10)),
            _ending_on_last_day("stress|new|en", 0.1 + 0.01 * rng.standard_normal(5)),
            _ending_on_last_day("joy|old|en", 0.1 + 0.01 * rng.standard_normal(N_DAYS)),
        ]
    )
    output = _forecast(frame)
    notes = {row["unique_id"]: row for row in output.notes.iter_rows(named=True)}
    assert notes["anxiety|new|en"]["status"] == "fallback"
    assert notes["anxiety|new|en"]["model"] == "AutoETS"
    assert "fewer than two weekly seasons" in notes["anxiety|new|en"]["reason"]
    assert "without a weekly season" in notes["anxiety|new|en"]["reason"]
    assert notes["stress|new|en"]["model"] == "Naive"
    assert notes["joy|old|en"]["status"] == "ok"
    models_used = dict(
        output.forecasts.group_by("unique_id").agg(pl.col("model").unique().sort()).iter_rows()
    )
    assert models_used["anxiety|new|en"] == ["AutoETS"]
    assert models_used["stress|new|en"] == ["Naive"]
    assert output.forecasts.group_by("unique_id").len()["len"].min() >= 14


class _Broken(SeasonalNaive):
    def __init__(self, alias: str):
        super().__init__(season_length=7, alias=alias)

    def forecast(self, *args, **kwargs):
        raise ValueError("boom")


def test_a_failing_model_is_left_out_and_noted(monkeypatch):
    real = models.full_models
    monkeypatch.setattr(models, "full_models", lambda: [real()[0], _Broken("AutoARIMA"), real()[2]])
    rng = np.random.default_rng(4)
    frame = series_frame(
        {
            "a|b|c": daily_prevalence(rng, n_days=60)[0],
            "d|e|f": daily_prevalence(rng, n_days=60)[0],
        }
    )
    output = _forecast(frame)
    assert set(output.forecasts["model"]) == {"AutoETS", "SeasonalNaive"}
    assert set(output.notes["status"]) == {"fallback"}
    assert all("AutoARIMA failed (ValueError: boom)" in r for r in output.notes["reason"])
    assert set(output.fitted["unique_id"]) == {"a|b|c", "d|e|f"}


def test_a_failing_alert_model_hands_the_alerts_to_a_model_that_worked(monkeypatch):
    real = models.full_models
    monkeypatch.setattr(models, "full_models", lambda: [_Broken("AutoETS"), *real()[1:]])
    frame = series_frame({"a|b|c": daily_prevalence(np.random.default_rng(8), n_days=60)[0]})
    output = _forecast(frame)
    note = output.notes.row(0, named=True)
    assert (note["status"], note["model"]) == ("fallback", "AutoARIMA")
    assert note["reason"].endswith("the other models are kept; alerts use AutoARIMA.")
    assert set(output.fitted["model"]) == {"AutoARIMA"}
    assert set(output.forecasts["model"]) == {"AutoARIMA", "SeasonalNaive"}


def test_when_every_model_fails_the_fallback_chain_runs(monkeypatch):
    monkeypatch.setattr(models, "full_models", lambda: [_Broken(name) for name in MODEL_NAMES])
    frame = series_frame({"a|b|c": daily_prevalence(np.random.default_rng(9), n_days=60)[0]})
    output = _forecast(frame)
    note = output.notes.row(0, named=True)
    assert (note["status"], note["model"]) == ("fallback", "AutoETS")
    assert "SeasonalNaive failed" in note["reason"]
    assert set(output.forecasts["model"]) == {"AutoETS"}
