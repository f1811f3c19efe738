"""Which weeks a line of days (transforms.grains, step 2: weeks published coarser than days)
takes as known: a reader holds a value of each of their days that a subtraction in the line
would use. Each day's counts published before, or a day's marked authors read off a published
cell that holds it with none: yes. Only the week's own cell published before: no, its days
stay hidden."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import period_cells, region_days
from transforms.contracts import ALL
from transforms.grains import choose_grains, release_record
from transforms.periods import periods_of
from transforms.privacy import is_suppressed
from transforms.publish import published_timelines
from transforms.release_history import next_record, records_after
from transforms.releases import Release

WEEK_1 = periods_of(date(2025, 3, 3), "iso_8week")[0]
WEEK_9 = WEEK_1 + timedelta(weeks=8)

Cell = Callable[[str, date], tuple[int, int] | None]


def _tables(cell: Cell, regions: tuple[str, ...], days: int):
    """Daily cells of `regions` (`cell`: authors and flagged authors of a region on a day,
    None where it has none) and their roll-up, `days` days from WEEK_1; their ISO weeks' and 8-week periods' cells
    (each author-day a distinct author)."""
    daily = region_days(cell, regions, WEEK_1, days)
    return daily, period_cells(daily)


def _small_days_given_back(daily: pl.DataFrame, *releases: pl.DataFrame) -> pl.DataFrame:
    """The days below k (transforms.privacy.is_suppressed) whose flagged authors a reader of
    `releases` (published_timelines) gets as the roll-up's minus the rest of its line of
    regions: every other cell of the line on that day is known, published by day or in a
    period published with no flagged author (so 0 on each of its days)."""
    columns = ["marker", "region", "lang", "marker_version", "grain", "period_start",
               "period_end", "status", "n_marked_authors"]  # fmt: skip
    published = pl.concat(r.select(columns) for r in releases).filter(
        pl.col("status") == "published"
    )
    series = ["marker", "region", "lang", "marker_version"]
    by_day = published.filter(pl.col("grain") == "day").select(*series, pl.col("period_start"))
    zero = published.filter(pl.col("n_marked_authors") == 0).select(
        *series, pl.date_ranges("period_start", "period_end").alias("period_start")
    )
    known = pl.concat([by_day, zero.explode("period_start")]).rename({"period_start": "day"})
    cells = daily.join(
        known.unique().with_columns(pl.lit(True).alias("_known")), on=[*series, "day"], how="left"
    ).with_columns(pl.col("_known").fill_null(False))
    line = ["marker", "marker_version", "lang", "day"]
    lonely = cells.filter(
        (~pl.col("_known")).sum().over(line) == 1, pl.len().over(line) > 1, ~pl.col("_known")
    )
    return lonely.filter(is_suppressed()).select(*series, "day")


def _weekly(choice: pl.DataFrame) -> dict[str, list[str]]:
    """Per region, the choices of its weeks (the week grain only)."""
    weeks = choice.filter(pl.col("grain") == "iso_week")
    return {
        region: group["choice"].to_list()
        for (region,), group in weeks.group_by("region", maintain_order=True)
    }


def _zero_beside_small(region: str, day: date) -> tuple[int, int]:
    """a: 300 authors a day, 40 flagged but 5 on its first day; b: 5 authors a day, none
    flagged (its days below k, its week of 35 authors meets k with none flagged); c: 300, 40."""
    if region == "b":
        return 5, 0
    return 300, 5 if region == "a" and day == WEEK_1 else 40


def test_a_week_published_with_no_flagged_author_does_not_hide_its_days_flagged_authors():
    """a's week is published whole (its first day has 5 flagged authors), b's too (its days
    have 5 authors): two weeks coarser than days on the line of regions. But b's week has 0
    flagged authors, so each of its days has 0: the roll-up's first day (45 flagged) minus
    c's (40) gave a's 5 back. The line takes c's days to its week too."""
    daily, weeks = _tables(_zero_beside_small, ("a", "b", "c"), 7)
    assert _weekly(choose_grains(daily, weeks, _release())) == {
        "a": ["week"],
        ALL: ["day"],
        "b": ["week"],
        "c": ["week"],
    }
    release = published_timelines(daily, weeks, _release())
    assert _small_days_given_back(daily, release).is_empty()


def _release(**options) -> Release:
    return Release(week_grain="iso_week", **options)


def _withheld_later(region: str, day: date) -> tuple[int, int]:
    """a: 300 authors a day, 40 flagged; c: 200, 40; b: 5 authors a day, 2 of them flagged in
    weeks 1–8 (its days below k, its weeks of 35 authors and 14 flagged meet it), 1 flagged in
    all of week 9."""
    if region == "b":
        return 5, int(day == WEEK_9) if day >= WEEK_9 else 2
    return (300 if region == "a" else 200), 40


def _second_release() -> dict[str, list[str]]:
    """The weekly choices of a release of weeks 1–9 after one of weeks 1–8 (`_withheld_later`):
    the first publishes b's weeks whole and, beside them on lines of days, c's (the fewer
    authors); in the second b's small week 9 withholds b whole by week, and c's week 9,
    withheld beside it, c too."""
    cell = _withheld_later
    first = release_record(*_tables(cell, ("a", "b", "c"), 56), _release())
    assert _weekly(choose_grains(*_tables(cell, ("a", "b", "c"), 56), first)) == {
        "a": ["day"] * 8,
        ALL: ["day"] * 8,
        "b": ["week"] * 8,
        "c": ["week"] * 8,
    }
    return _weekly(choose_grains(*_tables(cell, ("a", "b", "c"), 63), first))


def test_weeks_whose_own_cells_alone_were_published_before_still_hide_their_days():
    """Weeks 1–8 of the second release: b and c withheld, each as the first release published
    its week (14 and 280 flagged author-days), none of their days ever published. The roll-up
    minus a gives b + c on each day, neither alone: the line of days holds two cells a reader
    cannot split. Before, each counted as known on lines of days (its own cell published
    before), the line as open with nothing closing it, and it took a's weeks and then the
    roll-up's, recorded by day, so withheld: weeks published by day before, withheld for good
    for nothing."""
    choices = _second_release()
    assert choices["a"] == ["day"] * 9
    assert choices[ALL] == ["day"] * 9
    assert "b" not in choices and "c" not in choices, "withheld whole by week"


def _small_beside_zero(region: str, day: date) -> tuple[int, int] | None:
    """a: 300 authors a day, 40 flagged but 5 on its first day; b: 5 authors a day, none
    flagged in week 1, 1 in all of week 2; c: 300, 40; e: 5 authors a day from week 2, 1
    flagged in all of it."""
    week_2 = WEEK_1 + timedelta(weeks=1)
    if region in ("b", "e"):
        return None if region == "e" and day < week_2 else (5, int(day == week_2))
    return 300, 5 if region == "a" and day == WEEK_1 else 40


def test_a_week_published_before_with_no_flagged_author_stays_known_on_lines_of_days():
    """An earlier release (as the rule before this one chose it) published week 1 of a and b
    whole and of c and the roll-up by day. Now b's small week 2 withholds b whole by week:
    its week 1 is withheld, as published, with no flagged author, so a reader holds 0 for
    each of its days, and the roll-up's first day minus c's would give a's 5 back. b is known
    on that line of days (its own cell published with none flagged, now or before): it takes
    c's week 1 too (withheld: recorded by day). Passes before too (its own cell counted as
    known there, whatever it held) and after (b's week counts as known from the first pass,
    published whole with none flagged, and stays so withheld); pins that no day comes back."""
    daily, weeks = _tables(_small_beside_zero, ("a", "b", "c", "e"), 7)
    earlier = pl.DataFrame(
        {"marker": "m", "region": ["a", "b", "c", ALL], "lang": "en", "marker_version": "v",
         "grain": "iso_week", "period_start": WEEK_1, "choice": ["week", "week", "day", "day"]}
    )  # fmt: skip
    none_held = pl.DataFrame(schema={**earlier.drop("choice").schema, "_held": pl.Boolean})
    none_public = none_held.rename({"_held": "_public"})
    first = _release(record=next_record(_release().record, earlier, none_held, none_public))
    first = replace(first, counts=records_after(first, daily, weeks, earlier)[0])
    b_week_1 = weeks.filter(pl.col("region") == "b", pl.col("grain") == "iso_week")
    daily, weeks = _tables(_small_beside_zero, ("a", "b", "c", "e"), 14)
    assert _weekly(choose_grains(daily, weeks, first))["c"][0] == "withheld"
    now = published_timelines(daily, weeks, first)
    assert _small_days_given_back(daily, now, b_week_1.with_columns(status=pl.lit("published")))[
        "day"
    ].is_empty()


def _days_known(region: str, day: date) -> tuple[int, int] | None:
    """a, c: 300 authors a day, 5 flagged (their days below k, their weeks not); b: 300, none
    flagged in week 1, 1 in all of week 2; e: 300 from week 2, 1 flagged in all of it."""
    week_2 = WEEK_1 + timedelta(weeks=1)
    if region in ("b", "e"):
        return None if region == "e" and day < week_2 else (300, int(day == week_2))
    return 300, 5


def _distinct(weeks: pl.DataFrame) -> pl.DataFrame:
    """`weeks` with each week's authors distinct, not summed over its days: 320 a region (most
    post on several days), the roll-up the sum of its regions'."""
    week = pl.col("grain") == "iso_week"
    regions = pl.when(pl.col("region") == ALL).then(None).otherwise(320)
    weeks = weeks.with_columns(
        pl.when(week).then(regions).otherwise("n_authors").alias("n_authors")
    )
    rollup = pl.col("n_authors").filter(pl.col("region") != ALL).sum()
    by_period = ["grain", "period_start"]
    return weeks.with_columns(pl.col("n_authors").fill_null(rollup.over(by_period)))


def test_a_week_whose_days_were_all_published_is_known_whole_though_its_total_is_no_sum():
    """A first release publishes week 1 of a, c and the roll-up whole (their days below k) and
    b's by day. In the second, b's small week 2 withholds b whole by week: its week 1 is
    withheld with every day as published, so it counts as known whole and its line takes no
    complement. The roll-up's week minus a's and c's then gives b's week's distinct authors,
    which no release published (320, not its days' 2,100 author-days): no leak, since every
    day of b met k, so its week does too (0 flagged, 320 authors). Passes before and after;
    fails with `_known_days` left out of `_known_whole` (a's week withheld beside b's, and a
    whole by 8-week period)."""
    regions = ("a", "b", "c", "e")
    first = release_record(*_tables(_days_known, regions, 7), _release())
    daily, weeks = _tables(_days_known, regions, 14)
    weeks = _distinct(weeks)
    rows = published_timelines(daily, weeks, first)
    week_1 = rows.filter(pl.col("period_start") == WEEK_1)
    by_region = {row["region"]: row for row in week_1.iter_rows(named=True)}
    assert [by_region[r]["grain"] for r in (ALL, "a", "c")] == ["iso_week"] * 3
    assert (by_region["b"]["grain"], by_region["b"]["status"]) == ("iso_8week", "withheld")
    derived = {
        count: by_region[ALL][count] - by_region["a"][count] - by_region["c"][count]
        for count in ("n_authors", "n_marked_authors")
    }
    assert derived == {"n_authors": 320, "n_marked_authors": 0}
    assert not pl.DataFrame([derived]).select(is_suppressed()).item()


def _zero_eight_weeks(region: str, day: date) -> tuple[int, int]:
    """b: 1 author a day, never flagged (every week below k, every 8-week period of 56
    authors meets it with none flagged); a and c: 300 authors, 40 flagged a day, but a's week
    9: 0 flagged, 5 on its first day (the week below k)."""
    if region == "b":
        return 1, 0
    small = region == "a" and WEEK_9 <= day < WEEK_9 + timedelta(weeks=1)
    return 300, (5 if day == WEEK_9 else 0) if small else 40


def test_a_week_inside_an_eight_week_period_published_with_no_flagged_author_is_known():
    """b is withheld whole by week (its weeks have 7 authors) and published by 8-week period,
    each with no flagged author: 0 for each of its weeks and days. Its lines of weeks take a
    complement beside it every week, which withholds a whole by week too (published by 8-week
    period). Before, b's week and a's closed each line, c stayed by day, and in week 9 the
    roll-up's first day (45 flagged) minus c's (40) minus b's 0 gave a's 5 back. b's weeks are
    known now: its lines take c's weeks too."""
    daily, weeks = _tables(_zero_eight_weeks, ("a", "b", "c"), 60 * 7)
    rows = published_timelines(daily, weeks, _release())
    b = rows.filter(pl.col("region") == "b", pl.col("period_start") == WEEK_9)
    assert b.select("grain", "status", "n_marked_authors").rows() == [("iso_8week", "published", 0)]
    assert _small_days_given_back(daily, rows).is_empty()
