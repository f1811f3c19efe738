"""A cell published with no flagged author gives 0 for the flagged authors of every cell it
rolls up, not only of its own days (transforms.grains, steps 2: docs/privacy.md, "Known on
lines of days"): a child withheld under such a roll-up is known on its lines."""

from datetime import date, timedelta

import polars as pl

from tests.transforms.cells import period_cells, small_days_given_back
from transforms.contracts import ALL, DAILY_SCHEMA
from transforms.grains import choose_grains
from transforms.publish import published_timelines
from transforms.releases import Release

FIRST = date(2025, 3, 3)
WEEKS = 60
MONDAY = FIRST + timedelta(weeks=30)
"""The Monday of the one week that a·en and a·fr are small (1 of 60 weeks:
within the 2 % share of withheld weeks a series may have)."""
LEAVES = {("a", "en"), ("b", "en"), ("a", "fr"), ("b", "fr"), ("a", "de"), ("b", "de")}


def _cell(region: str, lang: str, day: date, busy: tuple[str, str] | None) -> tuple[int, int]:
    """Authors and flagged authors of a leaf on a day: en 300, none flagged, but a·en 1 in
    MONDAY's week (7 authors: below k); the others 300, 40 flagged, but a·fr 1 on MONDAY and
    none the rest of its week (1 flagged author: below k). The `busy` leaf has 40 flagged on
    each day of MONDAY's week after Monday."""
    if (region, lang) == busy and MONDAY < day < MONDAY + timedelta(days=7):
        return 300, 40
    if lang == "en":
        small = region == "a" and MONDAY <= day < MONDAY + timedelta(days=7)
        return (1 if small else 300), 0
    if (region, lang) == ("a", "fr") and MONDAY <= day < MONDAY + timedelta(days=7):
        return 300, int(day == MONDAY)
    return 300, 40


def _tables(busy: tuple[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """WEEKS ISO weeks from FIRST of the leaves (`busy`: see `_cell`), their roll-ups by
    region, by language and both, and their weeks' cells (each author-day a distinct
    author)."""
    rows = []
    for day in (FIRST + timedelta(days=i) for i in range(7 * WEEKS)):
        leaves = {key: _cell(*key, day, busy) for key in sorted(LEAVES)}
        for region in ("a", "b", ALL):
            for lang in ("en", "fr", "de", ALL):
                held = [
                    v for (r, g), v in leaves.items() if region in (r, ALL) and lang in (g, ALL)
                ]
                authors, marked = sum(a for a, _ in held), sum(m for _, m in held)
                rows.append({"day": day, "region": region, "lang": lang, "marker": "m",
                             "marker_version": "v", "n_posts": authors, "n_scored": authors,
                             "n_marked": marked, "n_authors": authors,
                             "n_marked_authors": marked, "sample_rate": 1.0, "run_id": "r"})  # fmt: skip
    daily = pl.DataFrame(rows, schema=DAILY_SCHEMA)
    return daily, period_cells(daily)


def test_a_child_under_a_roll_up_published_with_no_flagged_author_is_known():
    """en's roll-up of regions has no flagged author, so neither has a·en on any day, though
    a·en itself (7 authors in the week) is withheld. Before, a·en counted as hiding its days
    on the line of a's languages, beside a·fr's week (Monday: 5 flagged): two withheld cells,
    no complement, and a's Monday (45 flagged) minus de's (40) minus en's (0) gave a·fr's 5
    back. Now a·en is known there and the line takes another language of a coarser."""
    daily, weeks = _tables()
    release = Release(week_grain="iso_week")
    choice = choose_grains(daily, weeks, release).filter(pl.col("period_start") == MONDAY)
    a_en = choice.filter(pl.col("region") == "a", pl.col("lang") == "en")
    assert a_en.select("grain", "choice").row(0) == ("iso_week", "withheld")
    assert small_days_given_back(daily, published_timelines(daily, weeks, release)).is_empty()


def test_a_child_under_a_roll_up_day_published_with_no_flagged_author_is_known():
    """As above, but b·en has 40 flagged authors on each day of MONDAY's week after Monday:
    en's roll-up holds flagged authors that week and is published by day, its Monday with
    none. Before, a·en (withheld) counted as hiding its Monday, and a's Monday minus de's
    minus 0 gave a·fr's 1 flagged author back. Now a week under a roll-up published by day
    with a day of none is known on lines of days."""
    daily, weeks = _tables(busy=("b", "en"))
    release = Release(week_grain="iso_week")
    en = weeks.filter(pl.col("region") == ALL, pl.col("lang") == "en")
    assert en.filter(pl.col("period_start") == MONDAY)["n_marked_authors"].item() == 240
    assert small_days_given_back(daily, published_timelines(daily, weeks, release)).is_empty()
