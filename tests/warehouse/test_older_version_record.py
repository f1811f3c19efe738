"""`queries.daily(all_versions=True)`: an older marker version's days are shown within what
the releases made while it was current allow (transforms.older_version_days.bound_days;
docs/privacy.md, "Marker versions")."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import START, WEEKS, version_regions, write_release
from warehouse import queries
from warehouse.store import open_published

SMALL = START + timedelta(weeks=WEEKS - 2, days=2)
"""A Wednesday on which v0's c has 5 flagged authors."""
LAST_V0 = SMALL + timedelta(days=11)
V1 = version_regions(
    "v1", small=SMALL, first=START + timedelta(weeks=WEEKS - 1), last=LAST_V0 + timedelta(days=7)
)
"""v1's cells, from the week after SMALL's to a week after LAST_V0: loaded, the current version."""


def test_an_older_versions_week_published_whole_shows_none_of_its_days(tmp_path):
    """While v0 was current, a release published c's week whole (its Wednesday, 5 flagged,
    kept its days back): 245 flagged author-days. Once v1 is current, v0 shows day by day.
    Before, its other six days of that week showed (40 flagged each), and the week's 245
    minus their 240 gave the Wednesday's 5 back. Every day of a week the record holds whole
    is withheld now, and with it, day by day, a complement on its lines."""
    v0 = version_regions("v0", small=SMALL, last=LAST_V0)
    write_release(tmp_path, v0)
    with open_published(tmp_path) as con:
        published = queries.published(con)
    week = SMALL - timedelta(days=2)
    c_week = published.filter(pl.col("region") == "c", pl.col("period_start") == week)
    assert c_week.select("grain", "n_marked_author_days").row(0) == ("iso_week", 245)
    write_release(tmp_path, V1)
    with open_published(tmp_path) as con:
        rows = queries.daily(con, all_versions=True, start=week, end=week + timedelta(days=6))
    old = rows.filter(pl.col("marker_version") == "v0")
    assert old.height == 4 * 7
    shown = old.filter(pl.col("region") == "c", ~pl.col("suppressed"))
    assert shown.is_empty(), f"245 - {shown['n_marked_authors'].sum()} gives c's Wednesday back"
    for day, group in old.group_by("day"):
        withheld = group.filter("suppressed").height
        assert withheld != 1, f"{day}: the roll-up minus the rest gives the one withheld back"


def test_an_older_versions_day_whose_counts_moved_by_less_than_k_is_withheld(tmp_path):
    """While v0 was current a release published c's Monday by day (40 flagged); 3 late flagged
    authors then landed in it (v0 still current: that release held its week). Once v1 is
    current, v0 showed the Monday with 43, and 43 - 40 gave the late authors back. It is
    withheld now, and a complement beside it; the roll-up and the other days as before."""
    monday = SMALL - timedelta(days=9)
    v0 = version_regions("v0", small=SMALL, last=LAST_V0)
    write_release(tmp_path, v0)
    late = (pl.col("region").is_in(["c", "all"])) & (pl.col("day") == monday)
    grown = v0.with_columns(
        *(pl.when(late).then(pl.col(c) + 3).otherwise(pl.col(c)).alias(c)
          for c in ("n_posts", "n_scored", "n_marked", "n_authors", "n_marked_authors"))
    )  # fmt: skip
    write_release(tmp_path, grown)
    write_release(tmp_path, V1)
    with open_published(tmp_path) as con:
        rows = queries.daily(con, all_versions=True, start=monday, end=monday)
    old = rows.filter(pl.col("marker_version") == "v0")
    withheld = set(old.filter("suppressed")["region"])
    assert "c" in withheld and "all" in withheld, "each moved by 3 since published"
    assert len(withheld) >= 2
