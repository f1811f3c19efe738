"""Rule 4 on a line where a child the earlier release published is held now: a reader of the
later release does not hold that child's change, so the roll-up's change net of the children
published in both is the rest's, the held child's included (docs/privacy.md, "Successive
releases", rule 4; transforms.line_changes)."""

from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import flagged_author_days, region_days
from tests.warehouse.releases import published_after
from transforms.contracts import ALL

FIRST = date(2024, 1, 1)  # a Monday
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week c has 1 flagged author (below k: withheld, b beside it)."""
K = 11
LATE = 3
"""Flagged authors a's Monday in SMALL's week gains by late posts: below k, a is held."""


def _regions(*, second: bool) -> pl.DataFrame:
    """Daily cells of regions a, b, c, e and their roll-up, WEEKS weeks from FIRST, each
    region's days below k (published by week). In SMALL's week c has 1 flagged author; in the
    `second` release a's Monday there gained LATE flagged authors and e's exactly k."""

    def cell(region: str, day: date) -> tuple[int, int]:
        if region == "c" and SMALL <= day < SMALL + timedelta(days=7):
            return 20, int(day == SMALL)
        if second and day == SMALL and region in "ae":
            late = LATE if region == "a" else K
            return 20 + late, 2 + late
        return (15, 2) if region == "b" else (20, 2)

    return region_days(cell, "abce", FIRST, 7 * WEEKS)


def test_a_rollup_beside_a_held_child_does_not_give_its_late_authors_back(tmp_path):
    """SMALL's week: b and c withheld in both releases, a published in the first and held in
    the second (LATE flagged author-days), e published in both (moved by exactly k), the
    roll-up moved by LATE + k. Net of a's and e's changes the roll-up moved by 0, but a reader
    of both releases holds only e's change: before, the roll-up's week was published and its
    change minus e's gave back the LATE late authors of a, b and c; now it is held."""
    first = published_after(tmp_path, _regions(second=False))
    second = published_after(tmp_path, _regions(second=True))
    week = [[flagged_author_days(r, region, SMALL, 7) for r in (first, second)]
            for region in (ALL, "a", "e")]  # fmt: skip
    (total_then, total_now), (a_then, a_now), (e_then, e_now) = week
    assert None not in (total_then, a_then, e_then, e_now)
    assert a_now is None
    assert total_now is None or total_now - total_then - (e_now - e_then) != LATE
