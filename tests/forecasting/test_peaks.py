"""The reference paper's peak rule on a hand-built series, and hit rate / precision."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.peaks import (
    high_runs,
    hits,
    onset_baseline,
    onset_counts,
    onsets,
    paper_peaks,
    peak_counts,
    prominent_peaks,
    smoothed_gradient,
)


def test_smoothed_gradient_is_the_gradient_of_the_trailing_weekly_mean():
    y = np.arange(20, dtype=float) ** 2
    smooth = np.array([np.mean(y[t - 6 : t + 1]) for t in range(6, 20)])
    gradient = smoothed_gradient(y, window=7)
    assert np.isnan(gradient[:6]).all()
    assert np.allclose(gradient[7:19], np.gradient(smooth)[1:13])


def test_only_peaks_more_prominent_than_the_80th_percentile_are_kept():
    signal = np.zeros(60)
    for day, height in [(5, 1.0), (15, 1.2), (25, 0.9), (35, 5.0), (45, 1.1), (55, 1.05)]:
        signal[day] = height
    assert prominent_peaks(signal, percentile=80).tolist() == [35]
    assert prominent_peaks(signal, percentile=50).tolist() == [15, 35, 45]


def test_paper_rule_finds_the_steepest_rise_of_each_wave_averaged_over_markers():
    days = np.arange(120)
    base = 0.05 + 0.0005 * np.sin(2 * np.pi * days / 15)
    wave = np.clip((days - 40) / 5, 0, 1) * np.clip((70 - days) / 5, 0, 1) * 0.05
    second = np.clip((days - 90) / 3, 0, 1) * 0.08
    marker_a = base + wave + second
    marker_b = base + 0.5 * wave + second
    peaks = paper_peaks(np.vstack([marker_a, marker_b]), window=7)
    # a ramp of 5 days from day 40 and of 3 days from day 90: the weekly mean rises fastest
    # while the ramp enters the window, a few days after it starts
    assert len(peaks) == 2
    assert 40 <= peaks[0] <= 47 and 90 <= peaks[1] <= 96


def test_hits_counts_found_indices_within_tolerance_of_the_reference():
    real = np.array([10, 50])
    predicted = np.array([12, 30, 57])
    assert hits(real, predicted, tolerance=2) == 1
    assert hits(real, predicted, tolerance=7) == 2
    assert hits(predicted, real, tolerance=3) == 1
    assert hits(np.array([], dtype=int), predicted, tolerance=7) == 0


DAYS = np.arange(56)
NOISE = 0.0008 * np.random.default_rng(5).standard_normal(56)


def _waves(shift: int = 0) -> np.ndarray:
    """Two 10-day waves (3-day ramps) starting on days 14 and 36, `shift` days later."""
    d = DAYS - shift
    up_down = [np.clip((d - s) / 3, 0, 1) * np.clip((s + 10 - d) / 3, 0, 1) for s in (14, 36)]
    return 0.03 * up_down[0] + 0.02 * up_down[1]


def test_peak_hit_rate_runs_the_rule_on_the_forecast_timeline_alone():
    """Regression: forecast peaks were found on the actual history followed by the forecasts,
    so the history's 80th-percentile bar drowned every peak of a damped forecast."""
    actual = 0.05 + NOISE + _waves()
    damped = 0.06 + 0.1 * (NOISE + _waves())
    history = 0.05 + 0.03 * np.abs(np.sin(2 * np.pi * np.arange(70) / 9)) ** 8
    spliced = paper_peaks(np.concatenate([history, damped]))
    assert spliced[spliced >= 70].size == 0  # what the old scoring saw: no predicted peak
    assert paper_peaks(actual).tolist() == paper_peaks(damped).tolist() == [18]
    counts = peak_counts(actual, damped)
    assert counts["n_real_peaks"] == counts["n_predicted_peaks"] == 1
    assert counts["n_hits_3"] == counts["n_true_peaks_3"] == 1


def test_hit_rate_counts_real_peaks_and_precision_counts_predicted_peaks():
    actual = 0.05 + NOISE + _waves()
    late = 0.06 + 0.1 * (NOISE + _waves(shift=5))
    assert paper_peaks(actual).tolist() == [18]
    assert paper_peaks(late).tolist() == [24, 45]
    counts = peak_counts(actual, late)
    assert (counts["n_real_peaks"], counts["n_predicted_peaks"]) == (1, 2)
    # 24 is 6 days after the real peak 18: a hit at ±7 only; 45 is near no real peak
    assert (counts["n_hits_2"], counts["n_hits_3"], counts["n_hits_7"]) == (0, 0, 1)
    assert (counts["n_true_peaks_3"], counts["n_true_peaks_7"]) == (0, 1)


def test_a_forecast_with_a_gap_predicts_no_peak_and_lengths_must_match():
    actual = 0.05 + NOISE + _waves()
    broken = actual.copy()
    broken[3] = np.nan
    assert peak_counts(actual, broken)["n_predicted_peaks"] == 0
    with pytest.raises(ValueError, match="same periods"):
        peak_counts(actual, actual[:-1])


def test_an_onset_starts_a_run_of_three_high_periods_after_one_that_is_not():
    high = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1], dtype=bool)
    assert high_runs(high) == [(0, 2), (8, 11), (13, 15)]
    assert high_runs(high, min_length=2) == [(0, 2), (4, 5), (8, 11), (13, 15)]
    timeline = np.where(high, 1.0, 0.0)
    timeline[14] = np.nan  # a gap breaks a run
    assert onsets(timeline, 0.5).tolist() == [8]  # index 0's previous period is unknown
    assert onsets(timeline, np.nan).size == 0


def test_the_onset_baseline_is_mean_plus_two_sd_of_the_earlier_finite_values():
    earlier = np.array([1.0, 2.0, 3.0, np.nan])
    assert onset_baseline(earlier) == pytest.approx(2.0 + 2 * 1.0)
    assert np.isnan(onset_baseline(np.array([1.0, np.nan])))


def test_onset_hits_count_real_onsets_and_precision_counts_predicted_ones():
    actual = np.zeros(40)
    actual[5:10], actual[25:30] = 1.0, 1.0
    forecast = np.zeros(40)
    forecast[8:12], forecast[33:36] = 1.0, 1.0  # 3 late: a hit; 8 late: none
    counts = onset_counts(actual, forecast, baseline=0.5)
    assert counts == {
        "n_real_onsets": 2,
        "n_predicted_onsets": 2,
        "n_onset_hits": 1,
        "n_true_onsets": 1,
    }
    forecast[0] = np.nan
    assert onset_counts(actual, forecast, baseline=0.5)["n_predicted_onsets"] == 0
    with pytest.raises(ValueError, match="same periods"):
        onset_counts(actual, forecast[:-1], baseline=0.5)
