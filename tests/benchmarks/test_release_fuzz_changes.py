"""benchmarks.release_fuzz's attacker recovers changes, not only values: a withheld cell's few
late authors between two releases, through a line whose other members' changes it knows (a
region backfilled after the first release counting 0 there)."""

from datetime import timedelta

import numpy as np

from benchmarks.release_fuzz import START, attack, cut_of, naive_releases, product_releases

MONDAY = START + timedelta(weeks=60)
"""A Monday after 60 weeks of history (one week withheld or held stays under 2 % of a
series')."""


def _cut(regions: str, weeks: int, monday: int):
    """English regions `regions`, each with 40 flagged authors a day for `weeks` weeks, of 300
    authors (b 280, d 2,000), but c with 1 flagged a day in MONDAY's week and `monday` on
    MONDAY (the week below k: withheld, b beside it)."""
    size = {"b": 280, "d": 2000}
    authors = np.array([np.full(weeks * 7, size.get(region, 300)) for region in regions])
    marked = np.full((len(regions), weeks * 7), 40)
    first = (MONDAY - START).days
    marked[regions.index("c"), first : first + 7] = 1
    marked[regions.index("c"), first] = monday
    return cut_of([(region, "en") for region in regions], authors, marked)


CUTS = [_cut("abc", 61, 1), _cut("abcd", 62, 4)]
"""Release 1 (61 weeks: a, b, c) and release 2 (62 weeks: d backfilled, and c's MONDAY
grown by 3 late flagged authors)."""


def test_the_naive_peer_gives_back_a_withheld_cells_late_authors_as_a_change():
    """The naive peer publishes the roll-up's days in both releases, a's, and d's (release 2),
    and withholds c's week and b's beside it: the roll-up's MONDAY moved by d's 40 and c's 3,
    d's is 40 against 0 before, a's 0, and b taken unchanged leaves c's 3 (no value of c's
    MONDAY is recovered)."""
    values, changes = attack(CUTS, naive_releases(CUTS))
    assert (1, 0, "c", "en", "day", MONDAY, 3) in changes.rows()
    assert values.filter(values["region"] == "c").is_empty()


def test_the_product_gives_back_no_change(tmp_path):
    """The same releases written to a warehouse file: the roll-up's MONDAY moved by 43, net of
    d's 40 (no cell in release 1: 0 there) and a's 0, by 3, so it is held, and no change of
    c comes back (before schema 18, d counted as unknown in release 1 and c's 3 came back, by
    day and by week)."""
    _, changes = attack(CUTS, product_releases(CUTS, tmp_path))
    assert changes.is_empty()
