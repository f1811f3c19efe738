"""The weeks a release withheld under a line's published total are remembered with their counts
(docs/privacy.md, "Complements remembered"): published again only together, and only where no
reader can take an earlier value back from the earlier total; a region no earlier release held
(backfilled) is not one of them."""

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import flagged_author_days, region_days, successive_releases
from tests.transforms.test_complement_memory import B_SMALL, PERIOD
from transforms.contracts import ALL

FIRST = date(2024, 1, 1)
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week a has 1 flagged author a day (7 in the week: below k)."""

REGIONS = {"a": (100, 40), "b": (50, 20), "c": (100, 40), "d": (300, 40)}
"""Authors and flagged authors a day of regions a–d."""


def _grown(
    later: dict[str, tuple[int, int]] | None,
) -> Callable[[str, date], tuple[int, int] | None]:
    """REGIONS' cells a day, a small (100 authors, 1 flagged) in SMALL's week; `later` (the
    second release's late posts) gives other cells there, e (absent before) included."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        if SMALL <= day < SMALL + timedelta(days=7):
            return {"a": (100, 1), **(later or {})}.get(region, REGIONS.get(region))
        return REGIONS.get(region)

    return cell


def _reader_recovers(
    cells: list[Callable[[str, date], tuple[int, int] | None]], first: date, days: int
) -> int | None:
    """What a reader of two releases (regions a–e, each release's cells a day from `cells`)
    takes for a's flagged author-days over the `days` days from `first`: the first release's
    roll-up minus its c and d and the second's b; None where a release withholds one of
    them."""
    releases, _, _ = successive_releases(
        region_days(cell, "abcde", FIRST, 7 * WEEKS) for cell in cells
    )
    (_, earlier), (_, later) = releases
    parts = [
        *(flagged_author_days(earlier, region, first, days) for region in (ALL, "c", "d")),
        flagged_author_days(later, "b", first, days),
    ]
    if None in parts:
        return None
    total, c, d, b = parts
    return total - c - d - b


def test_a_small_cell_grown_past_k_is_not_given_back_by_its_unchanged_complement():
    """The first release withholds a (7 flagged author-days in SMALL's week) and b beside it,
    publishing the roll-up, c and d by day. In the second, late posts give a a second flagged
    author a day (14: its week meets k) and add e (30 authors, 20 flagged a day, so the
    roll-up's change meets k and it is published again); b is unchanged. Before, a and b were
    published together (by week): the first release's roll-up minus its c and d and the
    second's b gave a's earlier 7 back. Now a moved by 7 (1 to k − 1) from the counts it was
    withheld with, so a and b stay withheld."""
    recovered = _reader_recovers([_grown(None), _grown({"a": (100, 2), "e": (30, 20)})], SMALL, 7)
    assert recovered != 7


def test_a_small_cell_grown_by_k_is_not_given_back_by_its_unchanged_complement():
    """As above, but a grows by k in every count (11 more authors, 11 more flagged a day:
    each of its days meets k). Each cell's change meets k, as rule 4 asks of a published one,
    but b alone is unchanged: published, the first roll-up minus c, d and b would still be a's
    earlier 7. So the two stay withheld while exactly one of them changed."""
    recovered = _reader_recovers([_grown(None), _grown({"a": (111, 12), "e": (30, 20)})], SMALL, 7)
    assert recovered != 7
    assert recovered is None


def test_a_backfilled_region_is_not_withheld_as_a_remembered_complement():
    """s is small every week and every 8-week period (20 authors a day, 1 flagged on Mondays)
    and b its complement: both are withheld in every week and 8-week period of the first
    release, the roll-up, a, c and d published by day. The second release holds g too, a region with no row in the
    first (its past weeks arrive late: 300 authors, 40 flagged a day). Before, every week of g
    read as a complement withheld beside the first release's roll-up (no release published
    it), went with s and b, and g was withheld whole. Now only the weeks the first release
    recorded withheld are remembered: g is published by day, and so is the roll-up."""

    def cell(stage: int) -> Callable[[str, date], tuple[int, int] | None]:
        regions = {**REGIONS, **({"g": (300, 40)} if stage == 2 else {})}
        return lambda region, day: (
            (20, int(day.weekday() == 0)) if region == "s" else regions.get(region)
        )

    releases, _, _ = successive_releases(
        region_days(cell(stage), "abcdsg", FIRST, 7 * WEEKS) for stage in (1, 2)
    )
    (_, first), (_, second) = releases
    for release in (first, second):
        for region in "sb":
            assert (release.filter(pl.col("region") == region)["status"] == "withheld").all()
    days = second.filter(pl.col("grain") == "day")
    g = days.filter(pl.col("region") == "g")
    assert g.height == 7 * WEEKS
    assert (g["status"] == "published").all()
    roll_up = days.filter(pl.col("region") == ALL)
    assert (roll_up["status"] == "published").all()


def _eights(stage: int) -> Callable[[str, date], tuple[int, int] | None]:
    """REGIONS' cells a day, but a has 1 flagged author on each Monday of PERIOD's weeks (2
    from the second release: late posts) and none on their other days, b 1 on the Mondays of
    B_SMALL's weeks and none on their other days, and from the second release e (30 authors,
    20 flagged a day) in PERIOD."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        monday = day - timedelta(days=day.weekday())
        in_period = PERIOD <= day < PERIOD + timedelta(weeks=8)
        if region == "e":
            return (30, 20) if in_period and stage >= 2 else None
        authors, flagged = REGIONS[region]
        if region == "a" and in_period:
            return authors, stage * int(day == monday)
        if region == "b" and monday in B_SMALL:
            return authors, int(day == monday)
        return authors, flagged

    return cell


def test_a_small_eight_week_cell_grown_past_k_is_not_given_back_by_its_unchanged_complement():
    """a and b are withheld whole by week and given by 8-week periods; a's PERIOD (8 flagged)
    is withheld and b's beside it, the roll-up, c and d published by day. Late posts then give
    a 16 in PERIOD (its 8-week cell meets k) and add e (so the roll-up's days change by k or
    more). Before, a's and b's PERIOD were published together: the first release's roll-up's
    days minus c's and d's and the second's b (unchanged) gave a's 8 back. Now a's weeks
    moved by 1 to k − 1 from the counts they were withheld with, and the two 8-week cells
    stay withheld."""
    assert _reader_recovers([_eights(1), _eights(2)], PERIOD, 56) != 8
