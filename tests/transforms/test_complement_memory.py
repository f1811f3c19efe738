"""A cell withheld as a line's complement in one release is not published later while the
cell it protected is still withheld (docs/privacy.md, "Complements remembered"): a reader
keeps every release, and an earlier release's roll-up minus the cells published since gives
back the one its complement hid."""

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import given_back, period_cells, region_days
from transforms.grains import choose_grains, release_record
from transforms.publish import published_timelines
from transforms.releases import Release

FIRST = date(2024, 1, 1)
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week a has 1 flagged author a day (7 in the week: below k)."""


def _stage(stage: int, *, late: str = "c") -> Callable[[str, date], tuple[int, int] | None]:
    """Authors and flagged authors a day of regions a–d (100/50/100/300 authors; 40, 20, 40
    and 40 flagged) and e (none): in SMALL's week a has 1 flagged author a day, and from the
    second release `late` does too (c corrected to 1; or e, new, with 30 authors: late
    posts)."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        small = SMALL <= day < SMALL + timedelta(days=7)
        if small and (region == "a" or (region == late and stage >= 2)):
            return (30 if region == "e" else 100), 1
        return {"a": (100, 40), "b": (50, 20), "c": (100, 40), "d": (300, 40)}.get(region)

    return cell


def _releases(late: str) -> tuple[list[tuple[pl.DataFrame, pl.DataFrame]], pl.DataFrame]:
    """Two releases of regions a–e (`_stage`, `late` small from the second): each one's daily
    cells and published_timelines, and the second's choice in SMALL's week."""
    releases, release = [], Release(week_grain="iso_week")
    for stage in (1, 2):
        daily = region_days(_stage(stage, late=late), "abcde", FIRST, 7 * WEEKS)
        weeks = period_cells(daily)
        release = release_record(daily, weeks, release)
        releases.append((daily, published_timelines(daily, weeks, release)))
    choice = choose_grains(daily, weeks, release).filter(pl.col("period_start") == SMALL)
    return releases, choice


def test_a_complement_stays_withheld_while_the_cell_it_protected_is():
    """The first release withholds a (small) and b (its complement, the smallest) in SMALL's
    week, publishing c, d and the roll-up (101 flagged a day). The second, with c corrected to
    1 (small too), withholds a and c; its line no longer needs b. Before, it published b with
    its unchanged 20: the first release's 101 minus its c and d (40 each) and the second's b
    gave a's 1 back. Now b stays withheld beside a, and no small day comes back from the
    counts the two releases published."""
    releases, choice = _releases("c")
    withheld = choice.filter(pl.col("choice") == "withheld")["region"].to_list()
    assert sorted(withheld) == ["a", "b", "c"]
    assert given_back(releases).is_empty()


def test_a_complement_stays_withheld_beside_a_new_small_cell():
    """As above, but late posts add e to the line in SMALL's week (1 flagged author a day of
    30: small, and held with the roll-up, whose counts moved by it). Before, the second
    release's line held a and e withheld and published b with its unchanged 20: the first
    release's roll-up minus its c and d and the second's b gave a's 1 back. Now b stays
    withheld while a is."""
    releases, choice = _releases("e")
    assert choice.filter(pl.col("region") == "b")["choice"].item() == "withheld"
    assert given_back(releases).is_empty()
