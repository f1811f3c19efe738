"""A remembered complement that changed while withheld (docs/privacy.md, "Complements
remembered"): the counts kept are compared as sets, so a complement withheld with two sets of
counts reads as changed, yet is unchanged since the later release whose total a reader
holds."""

from tests.transforms.cells import flagged_author_days, region_days, successive_releases
from tests.transforms.test_complement_counts import FIRST, SMALL, WEEKS
from tests.transforms.test_complement_counts import _grown as _late
from transforms.contracts import ALL


def test_a_complement_grown_while_withheld_does_not_give_back_the_small_cell():
    """Three releases. The first withholds a (7 flagged author-days in SMALL's week) and b
    beside it, the roll-up, c and d published by day. In the second, late posts grow b by k
    in every count (11 more authors and flagged a day): a is still small, both stay
    withheld, and the roll-up is published again. In the third, a grows by k in every count,
    b unchanged since the second. Both read as changed against the first's counts, but
    published, the second release's roll-up minus its c and d and the third's b gives a's 7
    back."""
    stages = [_late({}), _late({"b": (61, 31)}), _late({"a": (111, 12), "b": (61, 31)})]
    releases, _, _ = successive_releases(
        region_days(cell, "abcde", FIRST, 7 * WEEKS) for cell in stages
    )
    (_, _), (_, second), (_, third) = releases
    parts = [flagged_author_days(second, region, SMALL, 7) for region in (ALL, "c", "d")]
    b = flagged_author_days(third, "b", SMALL, 7)
    assert None not in parts
    assert b is None or parts[0] - parts[1] - parts[2] - b != 7


def test_a_small_cell_gone_does_not_leave_its_earlier_value_to_its_complement():
    """The first release withholds a (7 flagged author-days in SMALL's week) and b beside it,
    the roll-up, c and d published by day. Then a's posts of that week go (deleted, or
    corrected away: a has no cell there) and late posts add e. Before, a's week had no cell
    to read as changed, b alone was remembered and unchanged, and published: the first
    release's roll-up minus its c and d and the second's b gave a's 7 back. A week withheld
    whose cells went counts as changed, and b stays withheld."""
    stages = [_late({}), _late({"a": None, "e": (30, 20)})]
    releases, _, _ = successive_releases(
        region_days(cell, "abcde", FIRST, 7 * WEEKS) for cell in stages
    )
    (_, first), (_, second) = releases
    parts = [flagged_author_days(first, region, SMALL, 7) for region in (ALL, "c", "d")]
    b = flagged_author_days(second, "b", SMALL, 7)
    assert None not in parts
    assert b is None or parts[0] - parts[1] - parts[2] - b != 7
