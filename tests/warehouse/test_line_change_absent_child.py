"""Rule 4 on a line where a child had no cell in the earlier release (no posts that day) and
is published now: a reader of both releases holds its value then (0: the earlier release
shows no row for it, not a withheld one) and subtracts it, so the roll-up's change net of it
is the change of the children withheld in both (docs/privacy.md, "Successive releases", rule
4; transforms.line_changes)."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import START, late_regions, published_after, regions

MONDAY = START + timedelta(weeks=60)
"""The week of the releases, after 60 weeks of history (one withheld week stays under 2 %)."""
K = 11
LATE = 3
"""Flagged authors c's small Monday gains by late posts between the releases."""


def _cells(release: pl.DataFrame, region: str) -> dict:
    """`region`'s cells of MONDAY's week in `release`: (grain, day) -> (status, flagged)."""
    rows = release.filter(pl.col("region") == region, pl.col("period_start") >= MONDAY)
    return {
        (grain, start): (status, marked)
        for grain, start, status, marked in rows.select(
            "grain", "period_start", "status", "n_marked_authors"
        ).iter_rows()
    }


TUESDAY = MONDAY + timedelta(days=1)


def _releases(data_dir, absent: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What `queries.published` shows after Tuesday's release and after Wednesday's: regions
    a (300 authors, 40 flagged a day), b (280, 40), c (250, 40; 5 flagged on Monday, withheld,
    b beside it) and d (2,000, 40) and their roll-up, by day; Tuesday's without d's `absent`
    cells, Wednesday's with them and LATE more flagged authors on c's Monday."""
    authors = {"a": 300, "b": 280, "c": 250, "d": 2000}
    daily = regions(authors, dict.fromkeys(authors, 40), MONDAY + timedelta(days=2))
    small = (pl.col("region") == "c") & (pl.col("day") == MONDAY)
    leaves = daily.filter(pl.col("region") != "all").with_columns(
        pl.when(small).then(5).otherwise(c).alias(c) for c in ("n_marked", "n_marked_authors")
    )
    gone = (pl.col("region") == "d") & absent
    first = late_regions(leaves.filter(pl.col("day") <= TUESDAY, ~gone), MONDAY, {})
    then = published_after(data_dir, first)
    return then, published_after(data_dir, late_regions(leaves, MONDAY, {"c": LATE}))


def _assert_no_late_authors_back(then: pl.DataFrame, now: pl.DataFrame) -> None:
    """d's Monday published now with 40, the roll-up's then; where the roll-up's is published
    now too, roll-up − a − d now minus roll-up − a then is not c's LATE late authors."""
    day = ("day", MONDAY)
    assert _cells(now, "d")[day] == ("published", 40)
    assert {_cells(r, "a")[day][0] for r in (then, now)} == {"published"}
    rollup = [_cells(r, "all").get(day, ("withheld", None)) for r in (then, now)]
    assert rollup[0][0] == "published"
    if rollup[1][0] == "published":
        a_then, a_now = (_cells(r, "a")[day][1] for r in (then, now))
        rest = (rollup[1][1] - a_now - 40) - (rollup[0][1] - a_then)
        assert not 1 <= rest < K, f"c's late authors come back as {rest}"


def test_a_child_with_no_cell_before_does_not_hide_a_withheld_childs_late_authors(tmp_path):
    """`_releases` with d's Monday absent from Tuesday's (its Tuesday published by day); by
    Wednesday's, d's Monday has 40 flagged authors (its first value, published) and c's Monday
    LATE more (still withheld, b beside it). The roll-up's Monday moved by 40 + LATE, net of
    a's change (0) at least k: before, the roll-up was published, and roll-up − a − d now minus
    roll-up − a then gave c's LATE late authors back (d's Monday counted as unknown then)."""
    then, now = _releases(tmp_path, pl.col("day") == MONDAY)
    assert ("day", MONDAY) not in _cells(then, "d"), "no row of d's Monday: 0, not withheld"
    assert _cells(then, "d")[("day", TUESDAY)][0] == "published", "d published by day"
    _assert_no_late_authors_back(then, now)


def test_a_region_backfilled_after_a_release_does_not_hide_a_withheld_childs_late_authors(
    tmp_path,
):
    """As above, but d has no cell at all in Tuesday's release (backfilled after it): the
    release shows no row of d, so a reader reads 0 for it then as well."""
    then, now = _releases(tmp_path, pl.lit(True))
    assert then.filter(pl.col("region") == "d").is_empty(), "no row of d: 0, not withheld"
    _assert_no_late_authors_back(then, now)
