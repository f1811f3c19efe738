"""A second release (a rerun of the same data, or the next release with more) publishes the
series the first published by day (transforms.grains, step 3: docs/publishing.md; the weeks
the 2 % leaves out: docs/privacy.md, "Weeks left out of the 2 %")."""

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import pytest

from tests.transforms.cells import (
    given_back,
    leaf_days,
    one_small_week,
    period_cells,
    region_days,
    small_days_given_back,
    successive_releases,
)
from transforms.contracts import ALL
from transforms.grains import choose_grains, release_record
from transforms.publish import published_timelines
from transforms.releases import Release

FIRST = date(2024, 1, 1)
WEEKS = 120
MONDAY = FIRST + timedelta(weeks=WEEKS - 3)
"""The Monday of the one week that p·en and p·fr are small (1 of 120 weeks: within the 2 %
share of withheld weeks a series may have)."""
REGIONS, LANGS = ("p", "q", "r"), ("en", "fr", "de")
SERIES = ["marker", "region", "lang", "marker_version"]


def _tables(weeks: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`weeks` ISO weeks from FIRST of the leaves (`one_small_week(MONDAY)`), their roll-ups by
    region, by language and both, and their weeks' and 8-week periods' cells."""
    daily = leaf_days(one_small_week(MONDAY), REGIONS, LANGS, FIRST, 7 * weeks)
    return daily, period_cells(daily)


def _by_day(choice: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Per region and language, the weeks `choice` publishes by day."""
    days = choice.filter(pl.col("choice") == "day")
    return {(r, lang): n for r, lang, n in days.group_by("region", "lang").len().iter_rows()}


@pytest.mark.parametrize("more", [0, 4], ids=["rerun", "four-weeks-more"])
def test_a_release_chosen_again_from_its_record_publishes_by_day_what_it_did(more):
    """A release of the leaves (no record yet) publishes every series by day but for MONDAY's
    week, withheld under each language (p·en and p·fr, and their complements). Before, chosen
    again from the record it leaves (as the writer checks it, every reader and every rerun
    choose it), and in the next release (four weeks more), it withheld all 12 series under a
    language whole (8-week cells, all withheld: each period holds days published by day),
    while its record still held their 119 weeks by day and its counts none of their cells:
    step 3's 2 % left out every week the record holds by day (its own cell forbidden),
    published or not, so the one withheld week was all it counted (1 of 5 with four more).
    No small day comes back by subtraction from the two releases."""
    daily, weeks = _tables(WEEKS)
    unbound = Release(week_grain="iso_week")
    published = _by_day(choose_grains(daily, weeks, unbound))
    assert published == {
        (region, lang): WEEKS if lang == ALL else WEEKS - 1
        for region in (*REGIONS, ALL)
        for lang in (*LANGS, ALL)
    }
    first = release_record(daily, weeks, unbound)
    assert _by_day(choose_grains(daily, weeks, first)) == published
    releases = [published_timelines(daily, weeks, first)]
    daily, weeks = _tables(WEEKS + more)
    second = release_record(daily, weeks, first)
    choice = choose_grains(daily, weeks, second)
    assert _by_day(choice) == {key: n + more for key, n in published.items()}
    assert choice["grain"].unique().to_list() == ["iso_week"]
    if not more:
        assert second.record.equals(first.record) and second.counts.equals(first.counts)
    releases.append(published_timelines(daily, weeks, second))
    assert small_days_given_back(daily, *releases).is_empty()


def test_the_record_holds_by_day_only_the_weeks_a_release_publishes_so():
    """After two releases of the same data, each week the record holds by day is one the
    release (chosen again from that record, as a reader does) publishes by day, with the
    counts the record holds: the record and the published cells agree."""
    daily, weeks = _tables(WEEKS)
    second = release_record(
        daily, weeks, release_record(daily, weeks, Release(week_grain="iso_week"))
    )
    choice = choose_grains(daily, weeks, second)
    recorded = second.record.filter(pl.col("published_as") == "day").select(*SERIES, "period_start")
    assert recorded.join(
        choice.filter(pl.col("choice") == "day"), on=[*SERIES, "period_start"], how="anti"
    ).is_empty()
    days = published_timelines(daily, weeks, second).filter(pl.col("grain") == "day")
    counted = second.counts.filter(pl.col("grain") == "day")
    assert days.join(
        counted, on=[*SERIES, "period_start", "n_authors", "n_marked_authors"], how="anti"
    ).is_empty()


SMALL_WEEKS = {FIRST + timedelta(weeks=w) for w in (20, 60, 121)}
"""The Mondays of a's weeks with 1 flagged author a day (7 in the week: below k)."""


def _small_weeks(region: str, day: date) -> tuple[int, int]:
    """300 authors a day, 40 flagged; a 1 in the weeks of SMALL_WEEKS."""
    small = region == "a" and day - timedelta(days=day.weekday()) in SMALL_WEEKS
    return 300, 1 if small else 40


def test_a_series_withheld_whole_for_its_share_comes_back_by_day_once_it_falls_under_it():
    """a has 2 small weeks of 120 (each with a complement in b): both published by day but
    for those. Its third small week (2 weeks later) passes 2 % of its weeks, and of b's: both
    are withheld whole (step 3; their 8-week cells are withheld, each holding days published
    by day), their weeks still recorded by day, not `withheld` (as a held week's: withheld
    unknown for a share, not in a line's place). Once the share is under 2 % again (160
    weeks), both come back by day. Before, each release chosen from its own record withheld
    them whole from the first (its recorded weeks left out of the share). No release, nor
    the three together, gives a small day back."""
    releases, release, choices = [], Release(week_grain="iso_week"), []
    for span in (120, 122, 160):
        daily = region_days(_small_weeks, ("a", "b", "c"), FIRST, 7 * span)
        weeks = period_cells(daily)
        release = release_record(daily, weeks, release)
        choice = choose_grains(daily, weeks, release)
        choices.append({key: n for key, n in _by_day(choice).items() if key[0] in ("a", "b")})
        releases.append(published_timelines(daily, weeks, release))
        assert small_days_given_back(daily, *releases).is_empty()
    recorded = release.record.filter(pl.col("region") == "a", pl.col("published_as") == "day")
    assert choices == [
        {("a", "en"): 118, ("b", "en"): 118},
        {},
        {("a", "en"): 157, ("b", "en"): 157},
    ]
    assert recorded.height == 157


CHANGED = FIRST + timedelta(weeks=100)
"""The Monday of the week whose counts late posts correct between the releases."""


def _corrected(stage: int) -> Callable[[str, date], tuple[int, int]]:
    """Authors and flagged authors a day of regions a–d: a small in the weeks of SMALL_WEEKS
    (d, the smallest, its complement); in CHANGED's week a's 40 flagged a day are 60 from the
    second release, b's are 1 (below k), and c's 60 from the third."""

    def cell(region: str, day: date) -> tuple[int, int]:
        monday = day - timedelta(days=day.weekday())
        if region == "a" and monday in SMALL_WEEKS:
            return 300, 1
        if monday == CHANGED and region in "abc":
            flagged = {"a": 60 if stage >= 2 else 40, "b": 1 if stage >= 2 else 40}
            return {"c": 100}.get(region, 300), flagged.get(region, 60 if stage >= 3 else 40)
        return {"a": (300, 40), "b": (300, 40), "c": (100, 40), "d": (50, 20)}[region]

    return cell


def test_a_series_back_by_day_gives_back_no_cell_withheld_beside_its_weeks_withheld_whole():
    """a, withheld whole for its share in the second release (122 weeks), comes back by day
    in the third (160). In CHANGED's week the second release withheld a (its counts changed
    since the first: no reader held them) and b (below k), publishing c and the roll-up.
    Before, a's recorded weeks kept their grain, so the third published a's days there with
    the counts the second withheld (and withheld c, changed again, with b): the second's
    roll-up minus the third's a, and the releases' c and d, gave b's flagged author back, 1
    a day. Now a's weeks whose counts no reader held turn `withheld` when it is withheld
    whole; those a reader held keep their grain and come back."""
    releases, weeks, release = successive_releases(
        region_days(_corrected(stage), "abcd", FIRST, 7 * span)
        for stage, span in enumerate((120, 122, 160), start=1)
    )
    choice = choose_grains(releases[-1][0], weeks, release).filter(pl.col("region") == "a")
    assert given_back(releases).is_empty()
    assert choice.filter(pl.col("period_start") == CHANGED)["choice"].item() == "withheld"
    assert choice.filter(pl.col("choice") == "day").height == 160 - 4
