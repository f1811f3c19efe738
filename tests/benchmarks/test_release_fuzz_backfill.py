"""benchmarks.release_fuzz's attacker subtracts a line across releases: a region backfilled
in a later release moves its roll-ups' published days by its own unpublished small days."""

from datetime import timedelta

import numpy as np

from benchmarks.release_fuzz import START, cut_of, naive_releases, recoveries


def _cut(regions: str, weeks: int):
    """English regions `regions`, each 100 authors and 6 flagged a day for `weeks` weeks (no
    day of a region reaches k = 11, their roll-up's does), but c: 60 authors, 1 to 10 flagged
    (day i from START: 1 + i mod 10)."""
    authors = np.full((len(regions), weeks * 7), 100)
    marked = np.full((len(regions), weeks * 7), 6)
    if regions.endswith("c"):
        authors[-1] = 60
        marked[-1] = 1 + np.arange(weeks * 7) % 10
    return cut_of([(region, "en") for region in regions], authors, marked)


def test_the_naive_peer_gives_back_a_backfilled_regions_small_days_as_its_roll_ups_difference():
    """Release 1 (two weeks, a and b) publishes the roll-up's days and a's and b's weeks;
    release 2 (three weeks) adds c with its past weeks: the naive peer publishes the roll-up's
    days again, now moved by c's 1-10 flagged, and c by week only. No equation of one release
    has a single unknown, and neither a's nor b's day is published in any release, but release
    2's roll-up day minus release 1's (a and b taken unchanged) is c's day: 14 days given back,
    in English and over its languages."""
    cuts = [_cut("ab", 2), _cut("abc", 3)]
    found = recoveries(cuts, naive_releases(cuts))
    days = [START + timedelta(days=i) for i in range(14)]
    for lang in ("en", "all"):
        got = found.filter((found["region"] == "c") & (found["lang"] == lang))
        assert got.select("release", "grain", "period_start", "value", "how").rows() == [
            (1, "day", day, 1 + i % 10, "difference") for i, day in enumerate(days)
        ]
    assert recoveries(cuts[1:], naive_releases(cuts[1:])).is_empty()
