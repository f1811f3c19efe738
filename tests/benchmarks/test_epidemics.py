"""The synthetic surveillance truth's two rules for non-epidemic weeks."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.epidemics import quiet_weeks, synthetic_surveillance


def test_the_lab_rule_keeps_runs_of_weeks_under_two_percent_of_the_season():
    planted = np.zeros(104)
    planted[10:20] = [0.1, 0.5, 2.0, 8.0, 20.0, 20.0, 8.0, 2.0, 0.5, 0.1]  # total 61.2
    planted[60] = 0.5  # alone in its season: all of that season's epidemic
    quiet = quiet_weeks(planted, "lab")
    assert quiet[:12].all() and quiet[18:52].all()  # 0.5 and 0.1 are under 2% of 61.2
    assert not quiet[12:18].any()
    assert not quiet[60] and quiet[59] and quiet[61]
    strict = quiet_weeks(planted, "base")
    assert not strict[10:20].any() and strict[:10].all()


def test_a_lone_low_week_between_epidemic_weeks_is_not_a_lab_quiet_week():
    planted = np.zeros(52)
    planted[10:30] = 10.0  # 2% of the season is 4
    planted[20] = 0.0
    quiet = quiet_weeks(planted, "lab")
    assert not quiet[20] and not quiet[10:30].any()
    assert quiet[:10].all() and quiet[30:].all()


def test_the_truth_rule_does_not_change_the_series():
    base_series, base = synthetic_surveillance(3, regions=2, seasons=8, quiet="base")
    lab_series, lab = synthetic_surveillance(3, regions=2, seasons=8, quiet="lab")
    assert base_series.equals(lab_series)
    assert base.height >= 1 and lab.height >= 1
    with pytest.raises(ValueError, match="'base' or 'lab'"):
        quiet_weeks(np.zeros(52), "other")
