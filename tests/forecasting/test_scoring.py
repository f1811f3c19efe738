"""Scoring forecasts against the actual timeline: peaks and onsets on one lead's forecasts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import polars as pl

from forecasting.backtest import BacktestConfig
from forecasting.scoring import PREDICTION_SCHEMA, score


def _waves(t: np.ndarray, starts: tuple[int, ...]) -> np.ndarray:
    return sum(
        np.clip((t - s) / 3, 0, 1) * np.clip((s + 10 - t) / 3, 0, 1) * h
        for s, h in zip(starts, (0.03, 0.02), strict=True)
    )


def _series_and_forecasts(config, y: np.ndarray, yhat_at_lead) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`y` as one observed daily series, and forecasts of every test-span day at every lead:
    `yhat_at_lead(lead, span_index)` gives the span's forecasts at one lead."""
    start = len(y) - (config.test_periods + config.horizon - 1)
    days = [dt.date(2025, 1, 1) + dt.timedelta(i) for i in range(len(y))]
    frame = pl.DataFrame({"unique_id": "a|all|en", "ds": days, "y": y, "observed": True})
    index = np.arange(config.test_periods)
    rows = [
        {
            "unique_id": "a|all|en",
            "window": "all",
            "model": "M",
            "cutoff": days[start + i - lead],
            "ds": days[start + i],
            "lead": lead,
            "yhat": float(value),
        }
        for lead in range(1, config.horizon + 1)
        for i, value in zip(index, yhat_at_lead(lead, index), strict=True)
    ]
    return frame, pl.DataFrame(rows, schema=PREDICTION_SCHEMA)


def _frame_and_forecasts(config, yhat_at_lead) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A series whose test span holds two waves after a noisy history, and `yhat_at_lead`'s
    forecasts of it (see `_series_and_forecasts`)."""
    n = config.history + config.test_size
    t = np.arange(n)
    start = n - (config.test_periods + config.horizon - 1)
    noisy = 0.05 + 0.03 * np.abs(np.sin(2 * np.pi * t / 9)) ** 8
    y = np.where(t < start, noisy, 0.05 + _waves(t, (start + 8, start + 30)))
    return _series_and_forecasts(config, y, yhat_at_lead)


def test_peaks_are_scored_on_the_forecasts_not_spliced_onto_history():
    """Regression: a forecast that rises with each real wave but less steeply than the noisy
    history scored hit rate 0, because its peaks fell under the history's prominence bar."""
    config = BacktestConfig(windows=("all",), history=70, test_periods=56)
    span_waves = _waves(np.arange(56), (8, 30))
    frame, predictions = _frame_and_forecasts(config, lambda lead, i: 0.06 + 0.1 * span_waves[i])
    row = score(frame, predictions, config=config).row(0, named=True)
    assert row["n_real_peaks"] >= 1 and row["n_predicted_peaks"] >= 1
    assert row["hit_rate_3"] == 1.0 and row["peak_precision_3"] == 1.0


def test_peaks_read_one_lead_not_blocks_stitched_from_different_origins():
    """Regression: forecasts tiled in 7-day blocks from origins a week apart jump where two
    blocks meet, and the gradient rule read those jumps as peaks."""
    config = BacktestConfig(windows=("all",), history=70, test_periods=56)
    span_waves = _waves(np.arange(56), (8, 30))

    def forecasts(lead, i):
        return np.where(lead == 7, 0.05 + span_waves[i], 0.05 + 0.02 * ((i // 7) % 2))

    frame, predictions = _frame_and_forecasts(config, forecasts)
    at_horizon = score(frame, predictions, config=config).row(0, named=True)
    assert at_horizon["hit_rate_3"] == 1.0 and at_horizon["peak_precision_3"] == 1.0
    jumpy = score(frame, predictions, config=replace(config, peak_lead=1)).row(0, named=True)
    assert jumpy["n_predicted_peaks"] >= 1 and jumpy["peak_precision_3"] < 1.0


def _onset_scores(config, actual: np.ndarray, yhat: np.ndarray) -> dict:
    """Scores of one forecast timeline `yhat` (the same at every lead) of a test span whose
    actual values are `actual`, after a flat history (baseline 0.05 + 2 sd, about 0.052)."""
    n = config.history + config.test_size
    start = n - (config.test_periods + config.horizon - 1)
    y = np.where(np.arange(n) % 2 == 0, 0.049, 0.051)
    y[start : start + config.test_periods] = actual
    frame, predictions = _series_and_forecasts(config, y, lambda lead, i: yhat[i])
    return score(frame, predictions, config=config).row(0, named=True)


def test_onsets_are_runs_of_three_above_a_baseline_from_before_the_test_span():
    """Two onsets (days 10 and 35 of the span); a 2-day blip (25, 26) is none. A forecast that
    rises 2 days late hits both; persistence at lead 7 (the actual 7 days late) hits none."""
    config = BacktestConfig(windows=("all",), history=70, test_periods=56)
    actual = np.full(56, 0.05)
    actual[10:20], actual[25:27], actual[35:41] = 0.08, 0.08, 0.09
    late = np.roll(actual, 2)
    persistence = np.concatenate([np.full(7, 0.05), actual[:-7]])
    for yhat, hit, precision in ((late, 1.0, 1.0), (persistence, 0.0, 0.0)):
        row = _onset_scores(config, actual, yhat)
        assert (row["n_real_onsets"], row["n_predicted_onsets"]) == (2, 2)
        assert (row["onset_hit_rate_3"], row["onset_precision_3"]) == (hit, precision)
    quiet = _onset_scores(config, actual, np.full(56, 0.05))
    assert quiet["n_predicted_onsets"] == 0 and quiet["onset_precision_3"] is None
    assert quiet["onset_hit_rate_3"] == 0.0
