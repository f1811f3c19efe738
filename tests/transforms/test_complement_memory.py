"""A cell withheld as a line's complement in one release is not published later while the
cell it protected is still withheld (docs/privacy.md, "Complements remembered"): a reader
keeps every release, and an earlier release's roll-up minus the cells published since gives
back the one its complement hid."""

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import (
    flagged_author_days,
    given_back,
    region_days,
    successive_releases,
)
from transforms.grains import choose_grains

FIRST = date(2024, 1, 1)
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week a has 1 flagged author a day (7 in the week: below k)."""


REGIONS = {"a": (100, 40), "b": (50, 20), "c": (100, 40), "d": (300, 40)}
"""Authors and flagged authors a day of regions a–d (e and f have none)."""


def _stage(later: dict[str, tuple[int, int]]) -> Callable[[str, date], tuple[int, int] | None]:
    """REGIONS' cells a day, but in SMALL's week a has 1 flagged author a day (of 100), and
    `later` gives other regions' cells there (corrected or late posts)."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        if SMALL <= day < SMALL + timedelta(days=7):
            return {"a": (100, 1), **later}.get(region, REGIONS.get(region))
        return REGIONS.get(region)

    return cell


def _releases(
    later: dict[str, tuple[int, int]],
) -> tuple[list[tuple[pl.DataFrame, pl.DataFrame]], pl.DataFrame]:
    """Two releases of regions a–f (`_stage`, `later` from the second): each one's daily
    cells and published_timelines, and the second's choice in SMALL's week."""
    releases, weeks, release = successive_releases(
        region_days(_stage(cells), "abcdef", FIRST, 7 * WEEKS) for cells in ({}, later)
    )
    choice = choose_grains(releases[-1][0], weeks, release).filter(pl.col("period_start") == SMALL)
    return releases, choice


def test_a_complement_stays_withheld_while_the_cell_it_protected_is():
    """The first release withholds a (small) and b (its complement, the smallest) in SMALL's
    week, publishing c, d and the roll-up (101 flagged a day). The second, with c corrected to
    1 (small too), withholds a and c; its line no longer needs b. Before, it published b with
    its unchanged 20: the first release's 101 minus its c and d (40 each) and the second's b
    gave a's 1 back. Now b stays withheld beside a, and no small day comes back from the
    counts the two releases published."""
    releases, choice = _releases({"c": (100, 1)})
    withheld = choice.filter(pl.col("choice") == "withheld")["region"].to_list()
    assert sorted(withheld) == ["a", "b", "c"]
    assert given_back(releases).is_empty()


def test_a_complement_stays_withheld_beside_a_new_small_cell():
    """As above, but late posts add e to the line in SMALL's week (1 flagged author a day of
    30: small, and held with the roll-up, whose counts moved by it). Before, the second
    release's line held a and e withheld and published b with its unchanged 20: the first
    release's roll-up minus its c and d and the second's b gave a's 1 back. Now b stays
    withheld while a is."""
    releases, choice = _releases({"e": (30, 1)})
    assert choice.filter(pl.col("region") == "b")["choice"].item() == "withheld"
    assert given_back(releases).is_empty()


SHARE_SMALL = {FIRST + timedelta(weeks=w) for w in (20, 60, 121)}
"""The Mondays of a's weeks with 1 flagged author a day (7 in the week: below k)."""

COARSE = FIRST + timedelta(weeks=120)
"""The Monday of a week a has 2 flagged authors a day (each day below k, its 14 meet it)."""


def _share(stage: int) -> Callable[[str, date], tuple[int, int] | None]:
    """REGIONS' cells a day, a small in the weeks of SHARE_SMALL and by day in COARSE's week,
    where from the third release c and d are corrected to 1 flagged author a day."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        monday = day - timedelta(days=day.weekday())
        authors, flagged = REGIONS[region]
        if region == "a" and monday in SHARE_SMALL | {COARSE}:
            return authors, 2 if monday == COARSE else 1
        if region in "cd" and monday == COARSE and stage >= 3:
            return authors, 1
        return authors, flagged

    return cell


def test_a_series_back_by_day_keeps_coarse_a_complement_of_a_week_withheld_beside_it():
    """a and b (a's complement) pass 2 % of withheld weeks in the second release (122 weeks)
    and are withheld whole: in COARSE's week, new in it, both are withheld beside the roll-up,
    c and d published by day. In the third (160 weeks) both come back: a's
    COARSE week whole, and c and d, corrected, withheld (coarse too, so the line of days needs
    nothing more). Before, b came back by day with its unchanged 20 a day: the second
    release's roll-up minus its c and d and the third's b gave a's 2 a day back. Now b is taken
    whole beside a."""
    releases, weeks, release = successive_releases(
        region_days(_share(stage), "abcd", FIRST, 7 * span)
        for stage, span in enumerate((120, 122, 160), start=1)
    )
    choice = choose_grains(releases[-1][0], weeks, release).filter(pl.col("period_start") == COARSE)
    assert dict(choice.select("region", "choice").rows()) == {
        "a": "week",
        "b": "week",
        "c": "withheld",
        "d": "withheld",
        "all": "day",
    }
    assert given_back(releases).is_empty()


PERIOD = next(
    FIRST + timedelta(weeks=w)
    for w in range(16, 24)
    if (FIRST + timedelta(weeks=w)).toordinal() % 56 == 1
)
"""The first day of an 8-week period (ISO) well inside the data, in which a is small."""

B_SMALL = {FIRST + timedelta(weeks=w) for w in (2, 50)}
"""Mondays of b's small weeks (2 of 64: past 2 %)."""


def _eights(stage: int) -> Callable[[str, date], tuple[int, int] | None]:
    """REGIONS' cells a day, but a has 1 flagged author on each Monday of PERIOD's weeks and
    none on their other days (each week below k, and the 8-week period's 8), b 1 on the
    Mondays of B_SMALL's weeks and none on their other days, and from the second release late
    posts add e in PERIOD (30 authors, 1 flagged on its first day)."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        monday = day - timedelta(days=day.weekday())
        in_period = PERIOD <= day < PERIOD + timedelta(weeks=8)
        if region == "e":
            return (30, int(day == PERIOD)) if in_period and stage >= 2 else None
        authors, flagged = REGIONS[region]
        if (region == "a" and in_period) or (region == "b" and monday in B_SMALL):
            return authors, int(day == monday)
        return authors, flagged

    return cell


def test_an_eight_week_complement_stays_withheld_while_the_period_it_protected_is():
    """a (its weeks in PERIOD small) and b (2 small weeks) are withheld whole by week and
    given by 8-week periods; a's PERIOD (8 flagged) is withheld, and b's (the smallest such
    cell of the line) beside it, the roll-up, c and d published by day. In the second release
    late posts add e, small and withheld, to PERIOD's line of 8-week totals, which then
    needs b no more. Before, b's PERIOD was published with its unchanged counts: the first
    release's roll-up's days minus c's and d's and the second's b gave a's 8 back. Now a
    reader of both releases cannot take it so."""
    releases, _, _ = successive_releases(
        region_days(_eights(stage), "abcde", FIRST, 7 * 64) for stage in (1, 2)
    )
    (_, first), (_, second) = releases
    in_period = first.filter(pl.col("grain") == "iso_8week", pl.col("period_start") == PERIOD)
    assert dict(in_period.select("region", "status").rows()) == {"a": "withheld", "b": "withheld"}
    parts = [
        flagged_author_days(first, "all", PERIOD, 56),
        flagged_author_days(first, "c", PERIOD, 56),
        flagged_author_days(first, "d", PERIOD, 56),
        flagged_author_days(second, "b", PERIOD, 56),
    ]
    assert None in parts or parts[0] - parts[1] - parts[2] - parts[3] != 8
