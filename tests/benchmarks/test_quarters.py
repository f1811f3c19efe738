"""The quarter-mean interval both publishing benchmarks check published quarters against."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from benchmarks.quarters import outside, quarter_intervals
from transforms.contracts import ALL, CLUSTER_SUMS, DAILY_SCHEMA, PERIOD_SCHEMA

MONDAY = date(2025, 1, 6)
WEEKS = 12


def _tables(authors: list[int], marked: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One top-level series over WEEKS ISO weeks (all in 2025's first quarter): the days
    repeat `authors` / `marked` (one value per weekday); each week has those days' author-days
    and four times a day's mean authors as distinct authors (they come back)."""
    base = {"region": ALL, "lang": ALL, "marker": "m", "marker_version": "v",
            "sample_rate": 1.0, "run_id": "r"}  # fmt: skip
    days, weeks = [], []
    for w in range(WEEKS):
        start = MONDAY + timedelta(weeks=w)
        for i in range(7):
            days.append({**base, "day": start + timedelta(days=i), "n_posts": authors[i],
                         "n_scored": authors[i], "n_marked": marked[i], "n_authors": authors[i],
                         "n_marked_authors": marked[i]})  # fmt: skip
        weeks.append({**base, "grain": "iso_week", "period_start": start,
                      "period_end": start + timedelta(days=6), "n_posts": sum(authors),
                      "n_scored": sum(authors), "n_marked": sum(marked),
                      "n_authors": 4 * sum(authors) // 7, "n_marked_authors": 4 * sum(marked) // 7,
                      "n_author_days": sum(authors), "n_marked_author_days": sum(marked)})  # fmt: skip
    return pl.DataFrame(days, schema=DAILY_SCHEMA), pl.DataFrame(weeks, schema=PERIOD_SCHEMA)


def test_a_series_published_by_day_is_its_own_truth_with_a_binomial_interval():
    daily, weeks = _tables([100] * 7, [20] * 7)
    row = quarter_intervals(daily, weeks, k=11).row(0, named=True)
    days = 7 * WEEKS
    assert (row["n"], row["ours"], row["truth"], row["rel"], row["z"]) == (days, 0.2, 0.2, 0, 0)
    assert row["se"] == pytest.approx(math.sqrt(days * 0.2 * 0.8 / 100) / days)


def test_a_series_published_by_week_is_checked_against_the_weeks_author_day_share():
    authors, marked = [40, 20, 20, 20, 20, 20, 40], [8, 2, 2, 2, 2, 2, 8]
    daily, weeks = _tables(authors, marked)
    row = quarter_intervals(daily, weeks, k=11).row(0, named=True)
    share = sum(marked) / sum(authors)
    truth = sum(m / a for m, a in zip(marked, authors, strict=True)) / 7
    se = math.sqrt(WEEKS * 49 * share * (1 - share) / sum(authors)) / (7 * WEEKS)
    assert row["ours"] == pytest.approx(share) and row["truth"] == pytest.approx(truth)
    assert row["se"] == pytest.approx(se)
    assert row["z"] == pytest.approx((share - truth) / se)
    assert row["rel"] == pytest.approx(abs(share - truth) / truth)


def test_a_weeks_variance_is_taken_over_its_effective_trials_where_it_has_cluster_sums():
    """A week's author-days cluster by author: the quarter's standard error takes each week's
    binomial variance over its effective trials (transforms.prevalence.effective_trials, by
    hand here), as its published interval does, not over its author-days (test fails before:
    the se over the 180 author-days)."""
    authors, marked = [40, 20, 20, 20, 20, 20, 40], [8, 2, 2, 2, 2, 2, 8]
    daily, weeks = _tables(authors, marked)
    d2, f2, fd = 600, 120, 200
    weeks = weeks.with_columns(
        pl.lit(v, pl.Int64).alias(c) for c, v in zip(CLUSTER_SUMS, (d2, f2, fd), strict=True)
    )
    row = quarter_intervals(daily, weeks, k=11).row(0, named=True)
    n, days, share = 4 * sum(authors) // 7, sum(authors), sum(marked) / sum(authors)
    variance = n / (n - 1) * (f2 - 2 * share * fd + share**2 * d2) / days**2
    trials = share * (1 - share) / variance
    assert trials < days / 3
    se = math.sqrt(WEEKS * 49 * share * (1 - share) / trials) / (7 * WEEKS)
    assert row["se"] == pytest.approx(se)


def test_a_quarter_is_outside_only_when_off_by_more_than_the_tolerance_and_the_interval():
    quarters = pl.DataFrame({"rel": [0.01, 0.20, 0.20, 0.20], "z": [3.0, 1.5, -2.5, 2.5]})
    assert quarters.select(outside()).to_series().to_list() == [False, False, True, True]
    assert quarters.select(outside(tolerance=0.005)).to_series().to_list()[0] is True


def test_a_quarter_with_too_few_published_days_is_left_out():
    daily, weeks = _tables([100] * 7, [20] * 7)
    short = daily.filter(pl.col("day") < MONDAY + timedelta(days=50))
    assert quarter_intervals(short, weeks, k=11).is_empty()
