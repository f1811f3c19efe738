"""Complementary suppression beside a held cell, across releases of one warehouse file: no
line's roll-up minus its other cells, current where published and earlier values where not,
gives a held cell's new counts back (docs/privacy.md, "Complements beside a held cell")."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import START, late_regions, read_back, regions, republished
from transforms.periods import EIGHT_WEEKS, period_start

MONDAY = START + timedelta(weeks=60)
"""The week of the releases, after 60 weeks of history (one withheld week stays under 2 %)."""
K = 11


def test_a_complement_whose_held_day_is_unchanged_is_withheld_last(tmp_path):
    """Regions a, b (300 authors, 40 flagged a day) and c (250, 40) and their roll-up, by day;
    Tuesday's release publishes Monday and Tuesday. By Wednesday's, a late flagged author
    lands on a's Monday (held) and 12 on b's (published again: its change meets k), so the
    roll-up's Monday moves by 13 and is published. c's week holds a new day (Wednesday), so
    it did not count as published before with its current counts: before, complementary
    suppression withheld it (the smallest) beside a's, and roll-up - b - c's Monday, unchanged
    since Tuesday's release, gave a's 41 back. A week whose counts on a day a held cell moved
    were published before now ranks as such (withheld last). Since rule 4 on a line leaves a
    held child out of the children it subtracts, the roll-up's Monday (13 − 12 = a's 1) is held
    too (transforms.line_changes); where it is published, b and c must not give a back."""
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    daily = regions({"a": 300, "b": 300, "c": 250}, {"a": 40, "b": 40, "c": 40}, wednesday)
    late = late_regions(daily, MONDAY, {"a": 1, "b": 12})
    releases = republished(tmp_path, [daily.filter(pl.col("day") <= tuesday), late])
    shown = read_back(releases[1:], "day", MONDAY, "n_marked_authors")
    assert "a" not in shown, "a held"
    if "all" in shown:
        known = read_back(releases, "day", MONDAY, "n_marked_authors")
        given_back = shown["all"] - known["b"] - known["c"]
        assert not 1 <= abs(given_back - 40) < K, f"a's Monday comes back as {given_back}"


def test_a_small_change_with_every_other_cell_unchanged_holds_the_rollup_too(tmp_path):
    """The case where every cell a line could withhold beside a held one is unchanged: a late
    flagged author on a's Monday alone. The roll-up's counts are the sums of its cells', so
    its Monday moves by the same 1 and is held too; no cell of the line is left to give a back
    (roll-up - b - c needs the roll-up's new Monday)."""
    tuesday = MONDAY + timedelta(days=1)
    daily = regions({"a": 300, "b": 300, "c": 250}, {"a": 40, "b": 40, "c": 40}, tuesday)
    releases = republished(tmp_path, [daily, late_regions(daily, MONDAY, {"a": 1})])
    assert set(read_back(releases[1:], "day", MONDAY, "n_marked_authors")) == {"b", "c"}


def test_an_unchanged_rollup_beside_a_moved_child_gives_no_child_back(tmp_path):
    """A roll-up whose counts are unchanged while a child's moved: a late flagged author on a's
    Monday and one corrected away on b's (a correction downwards). Both are held (each moved
    by 1), so the line holds two withheld cells beside its roll-up, published again unchanged:
    roll-up - c gives a + b, 80 as before, and neither a's nor b's new Monday."""
    tuesday = MONDAY + timedelta(days=1)
    daily = regions({"a": 300, "b": 300, "c": 250}, {"a": 40, "b": 40, "c": 40}, tuesday)
    releases = republished(tmp_path, [daily, late_regions(daily, MONDAY, {"a": 1, "b": -1})])
    shown = read_back(releases[1:], "day", MONDAY, "n_marked_authors")
    assert set(shown) == {"all", "c"}
    assert shown["all"] - shown["c"] == 80


def test_an_eight_week_complement_published_before_unchanged_is_withheld_last(tmp_path):
    """Regions a and b (30 authors a day) and c (25), 1 flagged a day each: too few by day
    and by week, so each is published by 8-week periods (56 flagged author-days); their
    roll-up (3 a day, 21 a week) by week. A late flagged author lands in an ended 8-week period
    of a (held) and 12 in b's (published again), so the roll-up's week moves by 13 and is
    published again. Before, the line of 8-week totals withheld c's beside a's by size alone,
    and the roll-up's weeks - b - c's unchanged earlier total gave a's 57 back. Lines of 8-week
    totals now rank as weekly lines do: a period published before with its current counts
    last. Since rule 4 on a line leaves a held child out of the children it subtracts, the
    roll-up's 8-week sum (13 − 12 = a's 1) is held by its first week (transforms.line_changes);
    where every week is published, b and c must not give a back."""
    last = MONDAY + timedelta(days=6)
    daily = regions({"a": 30, "b": 30, "c": 25}, {"a": 1, "b": 1, "c": 1}, last)
    day = START + timedelta(weeks=26, days=2)
    eight = period_start(pl.lit(day), EIGHT_WEEKS["iso_week"])
    start = pl.select(eight).item()
    releases = republished(tmp_path, [daily, late_regions(daily, day, {"a": 1, "b": 12})])
    eights = read_back(releases, "iso_8week", start, "n_marked_author_days")
    assert eights.keys() == {"a", "b", "c"}, "the regions are published by 8-week periods"
    shown = read_back(releases[1:], "iso_8week", start, "n_marked_author_days")
    assert "a" not in shown, "a's moved 8-week period is held"
    rollup = (
        releases[1]
        .filter(
            (pl.col("region") == "all")
            & (pl.col("grain") == "iso_week")
            & pl.col("period_start").is_between(start, start + timedelta(days=55))
        )
        .get_column("n_marked_author_days")
    )
    if rollup.len() == 8:
        given_back = rollup.sum() - eights["b"] - eights["c"]
        assert not 1 <= abs(given_back - 56) < K, f"a's 8-week period comes back as {given_back}"


def test_a_held_cell_moved_on_two_days_is_not_given_back_by_a_complement_known_on_one(tmp_path):
    """A late flagged author on each of a's Monday and Tuesday (held), 12 on b's Monday and 12
    on c's Tuesday (each published again: its change meets k), d unchanged. Every week the line
    could withhold beside a's is known on one of those days (b's Tuesday, c's Monday, d's
    every day, unchanged since the earlier release). Before, the line withheld b (the smallest)
    and Tuesday's roll-up - c - d - b's earlier Tuesday gave a's 41 back. Where every child a
    line could withhold is known, it withholds the roll-up instead."""
    tuesday = MONDAY + timedelta(days=1)
    authors = {"a": 300, "b": 250, "c": 300, "d": 300}
    daily = regions(authors, dict.fromkeys(authors, 40), tuesday)
    late = late_regions(late_regions(daily, MONDAY, {"a": 1, "b": 12}), tuesday, {"a": 1, "c": 12})
    releases = republished(tmp_path, [daily, late])
    for day in (MONDAY, tuesday):
        shown = read_back(releases[1:], "day", day, "n_marked_authors")
        assert "a" not in shown, "a held"
        if "all" in shown:
            known = read_back(releases, "day", day, "n_marked_authors")
            given_back = shown["all"] - sum(known[r] for r in ("b", "c", "d"))
            assert not 1 <= abs(given_back - 40) < K, f"a's {day} comes back as {given_back}"
    assert shown.keys() == {"b", "c", "d"}, "the roll-up withheld, not a known child"
