"""Successive suppress-mode releases and the grains they publish: a week published by day
stays by day, a period is published whole only once it has ended, and a series moving to
8-week periods gives no week back (transforms.grains.choose_grains' record and last day)."""

from datetime import date, timedelta

import polars as pl

from tests.warehouse.releases import (
    START,
    WEEKS,
    differences,
    releases_by_day,
    republished,
    series_days,
    with_late_posts,
)
from transforms.periods import period_start


def _whole_minus_days(releases: list[pl.DataFrame], day: date) -> set[int]:
    """The marked author-days of `day` that a week published whole in one release, minus its
    other days published by day in another, gives back."""
    found = set()
    for whole in releases:
        for week in whole.filter(
            (pl.col("grain") == "iso_week") & (pl.col("period_start") == day - timedelta(days=2))
        ).iter_rows(named=True):
            for by_day in releases:
                others = by_day.filter(
                    (pl.col("grain") == "day")
                    & pl.col("period_start").is_between(week["period_start"], week["period_end"])
                    & (pl.col("period_start") != day)
                )
                if others.height == 6 or others.height == (day - week["period_start"]).days:
                    found.add(week["n_marked_author_days"] - others["n_marked_authors"].sum())
    return found


def test_a_week_published_by_day_is_never_published_whole_when_a_day_turns_small(tmp_path):
    """Monday and Tuesday by day (40 and 35 flagged) on Tuesday's release; Wednesday 5: before,
    Wednesday's release published the week whole, 80, and 80 - 40 - 35 gave Wednesday back."""
    monday = START + timedelta(weeks=WEEKS)
    wednesday = monday + timedelta(days=2)
    daily = series_days(
        {monday + timedelta(days=1): 35, wednesday: 5},
        authors=300,
        marked=40,
        last=monday + timedelta(days=9),
    )
    release_days = [monday - timedelta(days=1) + timedelta(days=i) for i in range(11)]
    releases = releases_by_day(tmp_path, daily, release_days)
    assert 5 not in _whole_minus_days(releases, wednesday)
    assert differences(releases) == []
    tuesday = releases[2]
    assert tuesday.filter(pl.col("period_start") >= monday)["n_marked_authors"].to_list() == [
        40,
        35,
    ]
    assert (
        releases[-1]
        .filter(pl.col("period_start").is_between(monday, monday + timedelta(days=6)))
        .is_empty()
    ), "the week stays withheld once published by day"
    assert releases[-1].filter(pl.col("period_start") > monday + timedelta(days=6)).height == 3


def test_a_week_in_progress_is_published_whole_once_it_has_ended(tmp_path):
    """A series too small by day, published whole on Tuesday (Mon-Tue) and again on Wednesday
    (Mon-Wed) before: the two weeks' difference gave Wednesday's 6 back."""
    monday = START + timedelta(weeks=WEEKS)
    daily = series_days({}, authors=30, marked=6, last=monday + timedelta(days=8))
    releases = releases_by_day(tmp_path, daily, [monday + timedelta(days=i) for i in range(9)])
    assert differences(releases) == []
    this_week = [
        r.filter(pl.col("period_start") == monday)["n_marked_author_days"].to_list()
        for r in releases
    ]
    assert this_week == [[]] * 7 + [[42], [42]], "withheld in progress, then whole, once"


def test_a_series_moving_from_weeks_to_eight_week_periods_gives_no_week_back(tmp_path):
    """Published by week for 60 weeks; two small weeks (1 flagged a day) take it past 2% of its
    weeks withheld, to 8-week periods: before, the 8-week period minus its weeks published
    the day before gave the small weeks back."""
    monday = START + timedelta(weeks=WEEKS)
    small = {monday + timedelta(days=i): 1 for i in range(14)}
    daily = series_days(small, authors=30, marked=6, last=monday + timedelta(days=15))
    release_days = [monday + timedelta(days=i) for i in range(16)]
    releases = releases_by_day(tmp_path, daily, release_days)
    assert differences(releases) == []
    last = releases[-1]
    assert (
        not last.filter(pl.col("grain") == "iso_8week")
        .filter(pl.col("period_start") <= monday)
        .height
    ), "no 8-week period holding a week published whole"


def test_a_held_eight_week_period_does_not_withhold_its_series_whole(tmp_path):
    """A series too small by day and week, published by 8-week periods (1 flagged author a
    day), one of its seven ended 8-week periods withheld (1 flagged in all); a late post of one
    flagged author holds a second. Before, the held period counted towards the quarter of
    withheld 8-week periods (2 of 7 passes it), so the series was withheld whole and every
    8-week period it had published was recorded `withheld` for good."""
    last = START + timedelta(weeks=WEEKS) - timedelta(days=1)
    eights = (
        pl.DataFrame({"day": pl.date_range(START, last, eager=True)})
        .with_columns(period_start(pl.col("day"), "iso_8week").alias("start"))
        .group_by("start", maintain_order=True)
        .agg(pl.col("day").first().alias("first"), pl.col("day"))
    )
    quiet = eights[1:2].explode("day")["day"].to_list()
    marked = {d: 0 for d in quiet} | {eights[1, "first"]: 1}
    daily = series_days(marked, authors=30, marked=1, last=last)
    held = eights[4, "first"]
    releases = republished(tmp_path, [daily, with_late_posts(daily, held, authors=1, marked=1)])
    shown = [r.filter(pl.col("grain") == "iso_8week")["period_start"].to_list() for r in releases]
    assert len(shown[0]) == eights.height - 2, "the one withheld, and the one in progress"
    assert shown[1] == [s for s in shown[0] if s != eights[4, "start"]]
