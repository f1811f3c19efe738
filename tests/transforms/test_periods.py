from datetime import date, timedelta

import polars as pl
import pytest

from transforms.author_masks import with_masks
from transforms.periods import EIGHT_WEEKS, PERIOD_GRAINS, author_counts, in_periods, periods_of


def test_a_day_belongs_to_one_period_of_each_grain_and_weeks_nest_in_eight_weeks():
    assert periods_of(date(2025, 1, 5), "iso_week") == [date(2024, 12, 30)]
    assert periods_of(date(2025, 1, 5), "epi_week") == [date(2025, 1, 5)]
    assert periods_of(date(2025, 1, 5), "iso_8week") == [date(2024, 11, 11)]
    assert periods_of(date(2025, 1, 5), "epi_8week") == [date(2025, 1, 5)]
    assert PERIOD_GRAINS == ("iso_week", "epi_week", "iso_8week", "epi_8week")
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(800)]
    for week, eight in EIGHT_WEEKS.items():
        for day in days:
            (start,) = periods_of(day, eight)
            (first,) = periods_of(start, week)
            assert first == start and start <= day <= start + timedelta(days=55)
            assert periods_of(periods_of(day, week)[0], eight) == [start]
    with pytest.raises(ValueError, match="grain must be one of iso_week, epi_week"):
        periods_of(date(2025, 1, 5), "rolling_7")


def _author_days(names):
    """Two authors' compact author-days in one ISO week (`with_masks` added for `names`)."""
    wide = pl.DataFrame(
        {
            "day": [date(2025, 1, 6), date(2025, 1, 7)],
            "region": ["north", "south"],
            "lang": ["en", "en"],
            "author": pl.Series([5, 9], dtype=pl.UInt64),
            "n_posts": pl.Series([2, 1], dtype=pl.UInt32),
            "n_scored_sad": pl.Series([2, 1], dtype=pl.UInt32),
            "n_marked_sad": pl.Series([1, 0], dtype=pl.UInt32),
        }
    )
    return with_masks(wide, names)


def test_author_counts_of_no_markers_are_an_empty_frame_not_an_error():
    counted = author_counts(in_periods(_author_days(["sad"]), "iso_week"), ["sad"])
    assert counted.filter(region="all", lang="all")["n_authors"].to_list() == [2]
    none = author_counts(in_periods(_author_days([]), "iso_week"), [])
    assert none.is_empty() and none.schema == counted.schema


def _week_of(authors: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """The ISO week cell (count_cells) of authors `name: (days posted, days flagged)`, each
    posting on the first days of the week from Monday 2025-01-06, flagged on the first."""
    from transforms.aggregate import count_cells, wide_author_days
    from transforms.markers import parse_marker
    from transforms.model_markers import ModelConfig, sample_rates

    markers = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}
    rows = [
        {
            "day": date(2025, 1, 6) + timedelta(days=d),
            "region": "north",
            "lang": "en",
            "author": name,
            "sad": d < flagged,
        }
        for name, (days, flagged) in authors.items()
        for d in range(days)
    ]
    rates = sample_rates(markers, ModelConfig(), None)
    wide = wide_author_days(pl.DataFrame(rows), markers, rates=rates)
    cells = count_cells(wide, markers, rates=rates, run_id="r", grain="iso_week")
    return cells.filter(region="north", lang="en")


def test_authors_flagged_on_every_day_they_post_widen_a_weeks_interval_to_the_cluster_formula():
    """Five authors post every day of a week and are flagged on each; thirty post once, never
    flagged. Taken as 65 independent author-days the share 35/65 had a Wilson interval over 65
    trials; with authors as clusters it is Wilson's over the effective size of the ratio
    estimator's linearised variance, computed here by hand (test fails before: no sums)."""
    from transforms.contracts import CLUSTER_SUMS
    from transforms.prevalence import Z_95, wilson
    from transforms.publish import week_prevalence

    authors = {f"a{i}": (7, 7) for i in range(5)} | {f"b{i}": (1, 0) for i in range(30)}
    cell = _week_of(authors)
    d = [days for days, _ in authors.values()]
    f = [flagged for _, flagged in authors.values()]
    sums = (
        sum(x * x for x in d),
        sum(x * x for x in f),
        sum(x * y for x, y in zip(f, d, strict=True)),
    )
    assert cell.select(CLUSTER_SUMS).row(0) == sums == (5 * 49 + 30, 5 * 49, 5 * 49)

    n, days, p = 35, 65, 35 / 65
    spread = sum((fi - p * di) ** 2 for fi, di in zip(f, d, strict=True))
    trials = p * (1 - p) / (n / (n - 1) * spread / days**2)
    z2 = Z_95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 * (p * (1 - p) / trials + z2 / (4 * trials**2)) ** 0.5 / (1 + z2 / trials)
    row = week_prevalence(cell).row(0, named=True)
    assert row["effective_trials"] == pytest.approx(trials)
    assert (row["prevalence_lo"], row["prevalence_hi"]) == (
        pytest.approx(centre - half),
        pytest.approx(centre + half),
    )
    _, lo, hi = wilson(pl.lit(35), pl.lit(65))
    old = pl.select(lo.alias("lo"), hi.alias("hi")).row(0)
    assert row["prevalence_hi"] - row["prevalence_lo"] > 1.5 * (old[1] - old[0])


def test_a_weeks_effective_trials_in_the_cases_the_formula_does_not_decide():
    """p = 0 or 1: each author one trial; fewer than two authors: the authors; rows counted
    before the sums existed (null): the author-days, as before; never more than the author-days."""
    from transforms.contracts import CLUSTER_SUMS
    from transforms.publish import week_prevalence

    def trials(authors):
        return week_prevalence(_week_of(authors))["effective_trials"][0]

    assert trials({f"a{i}": (3, 0) for i in range(12)}) == 12
    assert trials({f"a{i}": (3, 3) for i in range(12)}) == 12
    assert trials({"a": (5, 2)}) == 1
    old = _week_of({f"a{i}": (3, i % 2) for i in range(12)}).with_columns(
        pl.lit(None, pl.Int64).alias(c) for c in CLUSTER_SUMS
    )
    assert week_prevalence(old)["effective_trials"][0] == 36
    # every author flagged on exactly a third of their days: no spread between authors
    assert trials({f"a{i}": (3, 1) for i in range(12)}) == 36
    assert 12 < trials({f"a{i}": (3, i % 3) for i in range(12)}) < 36
