"""A complement withheld in a week in progress, under a roll-up's days published then, is
remembered: a later release does not publish it while the small cell it was withheld beside
stays withheld (docs/privacy.md, "Complements remembered").

Regions a (300 authors, 40 flagged a day), b (280, 40) and c (250, 40; 5 flagged on MONDAY),
Tuesday's release: MONDAY's week is in progress, the roll-up and a published by day (the
roll-up's MONDAY 85), c withheld, b beside it. Wednesday's release withholds the roll-up's
week (it moved), and with nothing left on the line for b to hide, b is free to be published
by day, with its MONDAY unchanged (40). A reader of both releases then computes
roll-up then − a then − b now = 85 − 40 − 40 = 5: c's MONDAY."""

from datetime import timedelta

import polars as pl
import pytest

from tests.warehouse.releases import (
    START,
    assert_complement_stays_withheld,
    complement_regions,
    late_regions,
    published_after,
)

MONDAY = START + timedelta(weeks=60)
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
K = 11
D_FLAGGED = 5
"""Flagged authors of d's MONDAY where d is backfilled into Wednesday's release."""


@pytest.mark.parametrize(
    ("backfilled", "late"),
    [
        pytest.param(True, {"a": K}, id="d-backfilled-a-k-late"),
        pytest.param(False, {"a": 3}, id="a-3-late-held"),
    ],
)
def test_a_complement_withheld_in_a_week_in_progress_stays_withheld(tmp_path, backfilled, late):
    """Tuesday's release (data to TUESDAY, no d): the roll-up's and a's MONDAY published,
    b and c withheld. Wednesday's: either d backfilled (D_FLAGGED on MONDAY, withheld) and
    a's MONDAY k late flagged authors more (the roll-up's MONDAY held: its change net of a's
    is d's 5; tests/warehouse/test_shown_cells.py), or a's MONDAY 3 late flagged authors
    more (a held, the roll-up held with it). Either way the roll-up's week is withheld and
    c's too; b's MONDAY is unchanged, so b published now is b then, and the reader's
    roll-up then − a then − b now is c's MONDAY."""
    leaves = complement_regions(
        WEDNESDAY, {("c", MONDAY): 5, ("d", MONDAY): D_FLAGGED}, backfilled=backfilled
    )
    before = leaves.filter(pl.col("day") <= TUESDAY, pl.col("region") != "d")
    then = published_after(tmp_path, late_regions(before, MONDAY, {}))
    now = published_after(tmp_path, late_regions(leaves, MONDAY, late))

    assert_complement_stays_withheld(then, now, MONDAY, k=K)
