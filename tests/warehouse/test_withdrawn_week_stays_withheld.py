"""A week published by day and later withheld stays withheld, and that is what keeps a
complement withheld beside a small cell once the week is no longer in progress
(docs/privacy.md, "A period once published and later withheld stays withheld").

transforms.remembered_complements.remembered leaves out weeks a release published before
(`_recorded`): it remembers only complements no release published. A complement withheld in a week it was
published in before is kept back by transforms.sticky_grains.week_limits alone (`_no_days` of a
week recorded `withheld`). This test links the two, end to end.

Regions a (300 authors, 40 flagged a day), b (280, 40) and c (250, 40; 5 flagged on
TUESDAY). Release 1 (data to MONDAY): MONDAY's week in progress, every day so far meets k,
so the roll-up, a, b and c publish MONDAY by day. Release 2 (data to TUESDAY): c's TUESDAY
is small, its week is withheld, and b (smaller than a) beside it; the roll-up and a publish
MONDAY and TUESDAY by day (roll-up's TUESDAY 85, a's 40). b's and c's weeks are recorded
`withheld`. Release 3 moves a's MONDAY (3 late flagged authors: a held, the roll-up with it; or a
region d backfilled, 5 flagged on MONDAY, beside a's k late ones: the roll-up held, its
change net of a's is d's 5), so the roll-up's week is withheld: with three cells of
the line withheld, b would be free to be published by day with its TUESDAY unchanged (40),
and a reader of releases 2 and 3 would compute roll-up's TUESDAY then − a's then − b's now
= 85 − 40 − 40 = 5, c's TUESDAY.

Checked to guard: with `pl.col("_gone")` dropped from week_limits' `_no_days` (a week
withdrawn after publication then publishable by day again), every case below fails, the
reader recovering c's 5 (checked by hand, not committed: 2026-12-07). With a's k late
flagged authors alone nothing holds the roll-up, so that case guards nothing and is left out."""

from datetime import timedelta

import polars as pl
import pytest

from tests.warehouse.releases import (
    START,
    assert_complement_stays_withheld,
    complement_regions,
    late_regions,
    published_after,
    published_day,
)

MONDAY = START + timedelta(weeks=60)
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
K = 11


@pytest.mark.parametrize(
    ("backfilled", "late"),
    [
        pytest.param(False, {"a": 3}, id="a-3-late"),
        pytest.param(True, {"a": K}, id="d-backfilled-a-k-late"),
    ],
)
def test_a_complement_withdrawn_after_publication_stays_withheld(tmp_path, backfilled, late):
    """Releases 1–3 of the module docstring: b's TUESDAY, withheld beside c's in release 2
    (its week published by day in release 1), is never published while c's stays withheld,
    so roll-up then − a then − b now never gives c's TUESDAY."""
    leaves = complement_regions(
        WEDNESDAY, {("c", TUESDAY): 5, ("d", MONDAY): 5}, backfilled=backfilled
    )
    first = leaves.filter(pl.col("day") <= MONDAY, pl.col("region") != "d")
    second = leaves.filter(pl.col("day") <= TUESDAY, pl.col("region") != "d")
    one = published_after(tmp_path, late_regions(first, MONDAY, {}))
    two = published_after(tmp_path, late_regions(second, MONDAY, {}))
    three = published_after(tmp_path, late_regions(leaves, MONDAY, late))

    assert all(published_day(one, r, MONDAY) is not None for r in ("all", "a", "b", "c")), (
        "release 1 publishes every region's MONDAY by day"
    )
    assert_complement_stays_withheld(two, three, TUESDAY, k=K)
