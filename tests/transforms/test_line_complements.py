"""Complementary suppression in a release after another (transforms.grains): which cells a
line withholds beside a withheld one whose value an earlier release published."""

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import period_cells, region_days
from transforms.contracts import ALL
from transforms.grains import choose_grains, release_record
from transforms.periods import periods_of
from transforms.privacy import lonely_cells
from transforms.publish import published_timelines
from transforms.releases import Release

EIGHT = periods_of(date(2025, 3, 3), "iso_8week")[0]
WEEK_9 = EIGHT + timedelta(weeks=8)
AUTHORS = {"a": 300, "b": 400, "c": 300, "d": 200}


def _tables(cell: Callable[[str, date], tuple[int, int] | None], days: int):
    """Daily cells of regions a–d (`cell`: authors and flagged authors of a region on a day,
    None where it has none) and their roll-up, `days` days from EIGHT; their ISO weeks' and
    8-week periods' cells (each author-day a distinct author)."""
    daily = region_days(cell, AUTHORS, EIGHT, days)
    return daily, period_cells(daily)


def _cell(region: str, day: date) -> tuple[int, int] | None:
    """40 flagged authors a day; a and d 1 in week 9, which d starts."""
    if region == "d" and day < WEEK_9:
        return None
    small = region in ("a", "d") and WEEK_9 <= day < WEEK_9 + timedelta(weeks=1)
    return AUTHORS[region], 1 if small else 40


def _grown(region: str, day: date) -> tuple[int, int] | None:
    """`_cell`, but c with 20 more authors, all flagged, each day of weeks 1–8."""
    cell = _cell(region, day)
    grows = cell is not None and region == "c" and day < WEEK_9
    return (cell[0] + 20, cell[1] + 20) if grows else cell


def _second_release(cell=_cell) -> dict[tuple[str, str], list[str]]:
    """The choices, per region and grain, of a release of weeks 1–10 (`cell`) after one of
    weeks 1–8 (`_cell`, all by day): a's small week 9 withholds a whole, its first 8-week
    period (recorded by day) too, so its weeks 1–8 are withheld with the values the first
    release published."""
    first = release_record(*_tables(_cell, 56), Release(week_grain="iso_week"))
    choice = choose_grains(*_tables(cell, 70), first)
    return {
        (region, grain): group["choice"].to_list()
        for (region, grain), group in choice.group_by("region", "grain", maintain_order=True)
    }


def test_a_line_whose_withheld_week_was_published_before_unchanged_withholds_no_complement():
    """Weeks 1–8: a withheld, every day of it as the first release published it: the roll-up
    minus b and c gives what a reader holds already. Before, the line counted as open with
    no withheld cell that closes it, and withheld b, c and the roll-up (all known too): the
    whole line, published once and now withheld for good."""
    choices = _second_release()
    assert choices[(ALL, "iso_week")] == ["day"] * 10
    assert choices[("a", "iso_8week")] == ["withheld"] * 2


def test_a_line_of_eight_week_totals_takes_the_series_published_by_week_with_fewest_authors():
    """a's first 8-week total (never published) is lonely on its line of 8-week totals; of b
    and c, published by day, c has the fewer authors and gives its weeks 1–8. Before, both
    ranked 2**62 and b was taken by its name."""
    choices = _second_release()
    assert choices[("c", "iso_week")] == ["withheld"] * 8 + ["day"] * 2
    assert choices[("b", "iso_week")] == ["day"] * 10


def test_a_week_a_line_of_eight_week_totals_forces_takes_its_complement_and_gives_nothing_back():
    """As above, but c's weeks 1–8 grew by 20 (not known): forced by a's line of 8-week
    totals, they are lonely on their line of weeks (a's, beside them, hides nothing), which
    withholds the roll-up's too (b is known, the roll-up is not). Those complements are not
    forced, so they count towards the roll-up's 2 % unless held: here the record holds them
    (published by day), and the roll-up keeps its weeks 9–10. No line gives a cell back."""
    choices = _second_release(_grown)
    assert choices[("c", "iso_week")] == ["withheld"] * 8 + ["day"] * 2
    assert choices[(ALL, "iso_week")] == ["withheld"] * 8 + ["day"] * 2
    assert choices[("b", "iso_week")] == ["day"] * 10
    first = release_record(*_tables(_cell, 56), Release(week_grain="iso_week"))
    rows = published_timelines(*_tables(_grown, 70), first)
    unknown = rows.with_columns((pl.col("status") == "withheld").alias("unknown"))
    assert lonely_cells(
        unknown, flag="unknown", keys=("marker", "grain", "period_start")
    ).is_empty()
