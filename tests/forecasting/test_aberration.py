"""EARS C1/C2/C3 and CUSUM against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecasting.aberration import cusum, ears_c1, ears_c2, ears_c3

Y = np.array([1, 2, 3, 4, 5, 6, 7, 20, 8, 9, 10, 30.0])
SD_1_TO_7 = math.sqrt(28 / 6)  # sample sd of 1..7: squared deviations 9+4+1+0+1+4+9 = 28


def test_c1_standardises_against_the_previous_seven_days():
    c1 = ears_c1(Y)
    assert np.isnan(c1[:7]).all()
    assert c1[7] == pytest.approx((20 - 4) / SD_1_TO_7)
    baseline = np.array([2, 3, 4, 5, 6, 7, 20.0])
    assert c1[8] == pytest.approx((8 - baseline.mean()) / baseline.std(ddof=1))


def test_c2_skips_a_two_day_guard_band():
    c2 = ears_c2(Y)
    assert np.isnan(c2[:9]).all()
    # day 9 (y = 9) is compared with days 0..6 (1..7): mean 4
    assert c2[9] == pytest.approx((9 - 4) / SD_1_TO_7)


def test_c3_sums_the_excess_of_c2_over_one_across_three_days():
    c2 = ears_c2(Y)
    c3 = ears_c3(Y)
    assert np.isnan(c3[:11]).all()
    expected = sum(max(0.0, c2[t] - 1) for t in (9, 10, 11))
    assert c3[11] == pytest.approx(expected)


def test_a_missing_baseline_day_leaves_the_statistic_undefined():
    y = Y.copy()
    y[3] = np.nan
    assert np.isnan(ears_c1(y)[7:11]).all()
    assert np.isfinite(ears_c1(y)[11])


def test_cusum_accumulates_excess_and_restarts_after_a_signal():
    c2 = ears_c2(Y)
    s = cusum(Y, k=0.5, h=4.0)
    assert s[9] == pytest.approx(c2[9] - 0.5)
    assert s[10] == pytest.approx(max(0.0, s[9] + c2[10] - 0.5))
    assert s[11] == pytest.approx(s[10] + c2[11] - 0.5)
    assert s[11] > 4.0
    flat = np.r_[np.full(10, 5.0), 9.0, 5.0]
    assert cusum(flat, h=4.0)[-1] <= cusum(flat, h=4.0)[-2]
