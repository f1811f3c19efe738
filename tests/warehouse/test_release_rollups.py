"""A roll-up that complementary suppression withholds beside a held cell, across releases of
one warehouse file: withheld, its earlier value must not stand for its current one, and lines
of 8-week totals withhold it where every child is known (docs/privacy.md, "Complements beside a
held cell")."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import (
    START,
    late_regions,
    read_back,
    regions,
    republished,
    with_rollup,
)
from transforms.periods import EIGHT_WEEKS, period_start

MONDAY = START + timedelta(weeks=60)
"""The week of the releases, after 60 weeks of history (one withheld week stays under 2 %)."""
K = 11


def test_a_known_rollup_beside_a_held_cell_does_not_give_it_back(tmp_path):
    """A late flagged author on each of a's Monday and Tuesday (held); on Monday b loses 12
    flagged authors (a correction) and c gains 11, on Tuesday d loses 12 and e gains 11 (each
    published again: its change meets k). The roll-up's days are unchanged (1 - 12 + 11), so
    an earlier release published its current counts, and every other child is known on one
    of the two days (b and c on Tuesday, d and e on Monday). Whatever single cell the line
    withholds beside a's week, on one day its earlier value stands for its current one, and
    the roll-up minus the others gives a's 41 back."""
    tuesday = MONDAY + timedelta(days=1)
    authors = {"a": 300, "b": 300, "c": 310, "d": 300, "e": 310}
    daily = regions(authors, dict.fromkeys(authors, 40), tuesday)
    late = late_regions(
        late_regions(daily, MONDAY, {"a": 1, "b": -12, "c": 11}),
        tuesday,
        {"a": 1, "d": -12, "e": 11},
    )
    releases = republished(tmp_path, [daily, late])
    for day in (MONDAY, tuesday):
        known = read_back(releases, "day", day, "n_marked_authors")
        shown = read_back(releases[1:], "day", day, "n_marked_authors")
        assert "a" not in shown, "a held"
        others = sum(known[r] for r in ("b", "c", "d", "e"))
        given_back = known["all"] - others
        assert not 1 <= abs(given_back - 40) < K, f"a's {day} comes back as {given_back}"


def test_a_line_of_eight_week_totals_withholds_its_rollup_where_every_child_is_known(tmp_path):
    """Regions a and b (30 authors a day) and c (25), 1 flagged a day each (b 12 on one day),
    published by 8-week periods; their roll-up by week. In an ended 8-week period a late
    flagged author lands in a's third week (held); 11 in b's third week and 11 corrected away
    from its fifth leave b's total unchanged (known, as c's), and move the roll-up's weeks by
    12 and 11 (published again). Before, the line withheld c (the smallest child, as known as
    b), and the roll-up's weeks - b - c's unchanged earlier total gave a's 57 back. Where every
    child of a line of 8-week totals is known, the roll-up's weeks are withheld instead."""
    last = MONDAY + timedelta(days=6)
    start = pl.select(
        period_start(pl.lit(START + timedelta(weeks=26)), EIGHT_WEEKS["iso_week"])
    ).item()
    third, fifth = start + timedelta(weeks=2, days=2), start + timedelta(weeks=4)
    leaves = regions({"a": 30, "b": 30, "c": 25}, {"a": 1, "b": 1, "c": 1}, last)
    daily = with_rollup(
        leaves.filter(pl.col("region") != "all").with_columns(
            pl.when((pl.col("region") == "b") & (pl.col("day") == fifth))
            .then(12)
            .otherwise(c)
            .alias(c)
            for c in ("n_marked", "n_marked_authors")
        )
    )
    late = late_regions(late_regions(daily, third, {"a": 1, "b": 11}), fifth, {"b": -11})
    releases = republished(tmp_path, [daily, late])
    eights = read_back(releases, "iso_8week", start, "n_marked_author_days")
    assert eights.keys() == {"a", "b", "c"}, "the regions are published by 8-week periods"
    shown = read_back(releases[1:], "iso_8week", start, "n_marked_author_days")
    assert "a" not in shown, "a's moved 8-week period is held"
    rollup = releases[1].filter(
        (pl.col("region") == "all")
        & (pl.col("grain") == "iso_week")
        & pl.col("period_start").is_between(start, start + timedelta(days=55))
    )
    if rollup.height == 8:
        given_back = rollup.get_column("n_marked_author_days").sum() - eights["b"] - eights["c"]
        assert not 1 <= abs(given_back - 56) < K, f"a's 8-week period comes back as {given_back}"
    assert shown.keys() == {"b", "c"}, "the roll-up withheld, not a known child"
