"""benchmarks.release_fuzz's attacker finds what it must: a small cell a release withheld
that later releases give back, and one a release leaves alone on its line."""

from datetime import timedelta

import numpy as np
import polars as pl

from benchmarks.release_fuzz import START, cut_of, naive_releases, recoveries

LEAVES = [("a", "en"), ("b", "en"), ("c", "en")]
WEDNESDAY = START + timedelta(days=9)


def _cut(weeks: int, wednesday: int):
    """Regions a, b, c in English, 300 authors and 40 flagged each a day for `weeks` weeks,
    but c with `wednesday` flagged on the second week's Wednesday."""
    authors = np.full((3, weeks * 7), 300)
    marked = np.full((3, weeks * 7), 40)
    marked[2, (WEDNESDAY - START).days] = wednesday
    return cut_of(LEAVES, authors, marked)


def test_the_naive_peer_gives_back_a_small_cell_that_grew_past_k_beside_an_unchanged_complement():
    """Release 1 (two weeks) withholds c's 5 flagged of that Wednesday, and a complement
    beside it; late posts make it 17 by release 2 (three weeks), b unchanged, and the naive
    peer, choosing release 2 with no record of release 1, publishes every day: release 1's
    roll-up minus a's and release 2's b gives back c's 5 (the textbook cross-release leak),
    which release 1 alone does not."""
    cuts = [_cut(2, 5), _cut(3, 17)]
    found = recoveries(cuts, naive_releases(cuts))
    assert (0, "c", "en", "day", WEDNESDAY, 5, "across") in found.rows()
    assert recoveries(cuts[:1], naive_releases(cuts[:1])).is_empty()


def test_a_release_without_its_complement_gives_its_small_cell_back_within_itself():
    """Every cell published but c's small Wednesday (in English and over its languages):
    the roll-up minus a and b gives the 5 back within the one release."""
    cut = _cut(2, 5)
    shown = pl.concat(
        [
            cut.daily.select(
                "region", "lang", pl.lit("day").alias("grain"),
                pl.col("day").alias("period_start"), "n_marked_authors",
            ).rename({"n_marked_authors": "n_marked_author_days"}),
            cut.periods.select("region", "lang", "grain", "period_start", "n_marked_author_days"),
        ]
    ).with_columns(
        pl.when((pl.col("region") == "c") & (pl.col("period_start") >= START + timedelta(days=7)))
        .then(pl.lit("withheld"))
        .otherwise(pl.lit("published"))
        .alias("status")
    )  # fmt: skip
    found = recoveries([cut], [shown])
    assert (0, "c", "en", "day", WEDNESDAY, 5, "within") in found.rows()
