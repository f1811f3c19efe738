from datetime import date, timedelta

import polars as pl
import pytest

from transforms.author_masks import with_masks
from transforms.periods import EIGHT_WEEKS, PERIOD_GRAINS, author_counts, in_periods, periods_of
from transforms.prevalence import with_prevalence


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


def _posts_week(posts: dict[str | None, tuple[int, int]]) -> pl.DataFrame:
    """The ISO week cell (count_cells) of authors `name: (posts, flagged posts)`, all posted on
    Monday 2025-01-06 (None: that many posts without an author)."""
    from transforms.aggregate import count_cells, wide_author_days
    from transforms.markers import parse_marker
    from transforms.model_markers import ModelConfig, sample_rates

    markers = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}
    rows = [
        {
            "day": date(2025, 1, 6),
            "region": "north",
            "lang": "en",
            "author": name,
            "sad": i < flagged,
        }
        for name, (n, flagged) in posts.items()
        for i in range(n)
    ]
    rates = sample_rates(markers, ModelConfig(), None)
    wide = wide_author_days(pl.DataFrame(rows), markers, rates=rates)
    cells = count_cells(wide, markers, rates=rates, run_id="r", grain="iso_week")
    return cells.filter(region="north", lang="en")


def test_authors_flagged_on_every_post_they_write_widen_a_weeks_post_share_interval():
    """Four authors write ten posts each, all flagged; twenty write one, unflagged; three posts
    have no author, one flagged. Taken as 63 independent posts the post share 41/63 had a
    Wilson interval over 63 trials; with authors as clusters (each post without an author its
    own) it is Wilson's over the ratio estimator's effective size, computed here by hand (test
    fails before: no post sums, the interval over n_scored)."""
    from transforms.contracts import POST_CLUSTER_SUMS
    from transforms.prevalence import Z_95, wilson
    from transforms.publish import week_prevalence

    authors = {f"a{i}": (10, 10) for i in range(4)} | {f"b{i}": (1, 0) for i in range(20)}
    cell = _posts_week({**authors, None: (3, 1)})
    s = [n for n, _ in authors.values()] + [1, 1, 1]
    m = [f for _, f in authors.values()] + [1, 0, 0]
    sums = (
        sum(x * x for x in s),
        sum(x * x for x in m),
        sum(x * y for x, y in zip(m, s, strict=True)),
    )
    assert cell.select(POST_CLUSTER_SUMS).row(0) == sums == (4 * 100 + 23, 4 * 100 + 1, 401)
    assert cell.select("n_scored", "n_marked", "n_authors").row(0) == (63, 41, 24)

    n, posts, p = 24 + 3, 63, 41 / 63  # each post without an author a cluster
    spread = sum((mi - p * si) ** 2 for mi, si in zip(m, s, strict=True))
    trials = p * (1 - p) / (n / (n - 1) * spread / posts**2)
    z2 = Z_95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 * (p * (1 - p) / trials + z2 / (4 * trials**2)) ** 0.5 / (1 + z2 / trials)
    row = week_prevalence(cell).row(0, named=True)
    assert row["post_prevalence"] == pytest.approx(p)
    assert (row["post_prevalence_lo"], row["post_prevalence_hi"]) == (
        pytest.approx(centre - half),
        pytest.approx(centre + half),
    )
    _, lo, hi = wilson(pl.lit(41), pl.lit(63))
    old = pl.select(lo.alias("lo"), hi.alias("hi")).row(0)
    assert row["post_prevalence_hi"] - row["post_prevalence_lo"] > 1.5 * (old[1] - old[0])


def test_a_weeks_post_interval_where_the_post_sums_do_not_decide():
    """No author (every post its own): over n_scored; rows counted before the post sums
    existed (null): over n_scored, as before; day rows (no sums): over n_scored."""
    from transforms.contracts import POST_CLUSTER_SUMS
    from transforms.prevalence import effective_posts, wilson, with_prevalence

    def interval(frame):
        row = with_prevalence(frame).row(0, named=True)
        return row["post_prevalence_lo"], row["post_prevalence_hi"]

    def over_posts(marked, scored):
        _, lo, hi = wilson(pl.lit(marked), pl.lit(scored))
        return pl.select(lo.alias("lo"), hi.alias("hi")).row(0)

    nobody = _posts_week({None: (20, 5)})
    assert nobody.select(POST_CLUSTER_SUMS).row(0) == (20, 5, 5)
    assert nobody.select(effective_posts())[0, 0] == 20
    assert interval(nobody) == pytest.approx(over_posts(5, 20))
    clustered = _posts_week({f"a{i}": (5, 5 * (i % 2)) for i in range(12)})
    assert interval(clustered) != pytest.approx(over_posts(30, 60))
    old = clustered.with_columns(pl.lit(None, pl.Int64).alias(c) for c in POST_CLUSTER_SUMS)
    assert interval(old) == pytest.approx(over_posts(30, 60))
    assert interval(clustered.drop(POST_CLUSTER_SUMS)) == pytest.approx(over_posts(30, 60))


def test_posts_without_an_author_are_clusters_of_a_weeks_post_interval_whatever_its_share():
    """Each post without an author is a cluster of its own, as the dictionary says, in the
    clusters' count too: twelve authors of one post each and thirty posts without an author,
    none flagged, are 42 trials (where no share varies, each cluster one), not the 12 authors;
    with one of them flagged the ratio estimator's n / (n - 1) takes n = 42 clusters (test
    fails before: the trials were `n_authors`, 12, whatever the posts without an author)."""
    from transforms.prevalence import Z_95, effective_posts

    def wilson_by_hand(p, trials):
        z2 = Z_95**2
        centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
        half = Z_95 * (p * (1 - p) / trials + z2 / (4 * trials**2)) ** 0.5 / (1 + z2 / trials)
        return pytest.approx(centre - half), pytest.approx(centre + half)

    authors = {f"a{i}": (1, 0) for i in range(12)}
    none = _posts_week({**authors, None: (30, 0)})
    assert none.select("n_authors", "n_scored", "n_post_clusters").row(0) == (12, 42, 42)
    assert none.select(effective_posts())[0, 0] == 42
    row = with_prevalence(none).row(0, named=True)
    assert (row["post_prevalence_lo"], row["post_prevalence_hi"]) == wilson_by_hand(0.0, 42)

    heavy = {"h": (30, 30)} | authors
    one = _posts_week({**heavy, None: (30, 0)})
    s, m = [30] + [1] * 12 + [1] * 30, [30] + [0] * 42
    p, n = 30 / 72, 43
    spread = sum((mi - p * si) ** 2 for mi, si in zip(m, s, strict=True))
    trials = p * (1 - p) / (n / (n - 1) * spread / 72**2)
    assert one.select(effective_posts())[0, 0] == pytest.approx(trials)
