"""Late posts on days earlier releases published: a change below k is held, not published as
a difference of two releases."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import SERIES, START, WEEKS, republished, series_days, with_late_posts


def _small_changes(releases: list[pl.DataFrame], k: int = 11) -> list[tuple]:
    """Cells that two releases publish with author counts differing by 1 to k - 1: the
    difference, a cell of its own (late posts' authors), is below k."""
    counts = ("n_authors", "n_marked_authors", "n_author_days", "n_marked_author_days")
    cell = [*SERIES, "grain", "period_start"]
    found = []
    for i, first in enumerate(releases):
        for second in releases[i + 1 :]:
            both = first.join(second, on=cell, suffix="_later")
            for c in counts:
                change = (both[f"{c}_later"] - both[c]).abs()
                found += both.filter(change.is_between(1, k - 1)).select(*cell, pl.lit(c)).rows()
    return found


def test_late_posts_on_a_published_day_are_not_given_back_by_two_releases(tmp_path):
    """Monday published by day (40 of 300 flagged) on Tuesday's release; a late post of one
    flagged author lands on Monday before Wednesday's: before, Wednesday's release published
    Monday again with 41, and 41 - 40 gave the late author back. Monday's week is held until
    its change meets k (12 more flagged by Thursday), then published again."""
    monday = START + timedelta(weeks=WEEKS)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    daily = series_days({}, authors=300, marked=40, last=monday + timedelta(days=3))
    late = with_late_posts(daily, monday, authors=1, marked=1)
    later = with_late_posts(daily, monday, authors=12, marked=12)
    releases = republished(
        tmp_path,
        [
            daily.filter(pl.col("day") <= tuesday),
            late.filter(pl.col("day") <= wednesday),
            later,
        ],
    )
    assert _small_changes(releases) == []
    mondays = [
        r.filter(pl.col("period_start") == monday)["n_marked_authors"].to_list() for r in releases
    ]
    assert mondays == [[40], [], [52]], "held while its change is below k, then published"


def test_a_late_post_in_a_week_published_whole_is_not_given_back(tmp_path):
    """A series too small by day, its week published whole once ended (42 flagged
    author-days); a late post of one flagged author on its Wednesday: before, the next
    release published the week with 43, and 43 - 42 gave the late author back."""
    monday = START + timedelta(weeks=WEEKS)
    daily = series_days({}, authors=30, marked=6, last=monday + timedelta(days=7))
    late = with_late_posts(daily, monday + timedelta(days=2), authors=1, marked=1)
    releases = republished(
        tmp_path, [daily, late.filter(pl.col("day") <= monday + timedelta(days=7))]
    )
    assert _small_changes(releases) == []
    weeks = [
        r.filter(pl.col("period_start") == monday)["n_marked_author_days"].to_list()
        for r in releases
    ]
    assert weeks == [[42], []]
