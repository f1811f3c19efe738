"""The synthetic surveillance truth's two rules for non-epidemic weeks."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks.epidemics import quiet_weeks, surveillance_variant, synthetic_surveillance


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


def test_each_variant_keeps_the_truth_and_changes_the_series_as_it_says():
    standard, truth, first = surveillance_variant(4, "standard", regions=2, seasons=6)
    assert truth.height >= 1 and (truth["start"] >= first).all()
    gaps, gap_truth, _ = surveillance_variant(4, "gaps", regions=2, seasons=6)
    assert gap_truth.equals(truth) and 0.15 < 1 - gaps.height / standard.height < 0.3
    offseason = surveillance_variant(4, "offseason", regions=2, seasons=6)[0]
    assert not offseason["ds"].dt.week().is_between(21, 39).any()
    counts = surveillance_variant(4, "counts", regions=2, seasons=6)[0]["y"]
    assert (counts == counts.round(0)).all() and (counts == 0).any()
    index = surveillance_variant(4, "index", regions=2, seasons=6)[0]
    assert index.group_by("unique_id").agg(pl.col("y").max())["y"].to_list() == [100.0, 100.0]
    short = surveillance_variant(4, "short", regions=2)[0]
    assert short["ds"].n_unique() == 4 * 52 and (first - short["ds"].min()).days == 2 * 364
    trend = surveillance_variant(4, "trend", regions=2, seasons=6)[0]
    assert not trend["y"].equals(standard["y"])
    with pytest.raises(ValueError, match="kind is one of"):
        surveillance_variant(4, "other")
