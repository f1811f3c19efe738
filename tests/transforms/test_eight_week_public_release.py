"""Complementary suppression on lines of 8-week totals across two releases (transforms.grains,
step 4, through `release_record` and `choose_grains`): an 8-week cell an earlier release
published with its current counts, withheld as a complement on one axis, hides nothing on
the other."""

from datetime import date, timedelta

import polars as pl

from transforms.contracts import ALL, DAILY_SCHEMA, PERIOD_SCHEMA
from transforms.grains import choose_grains, release_record
from transforms.periods import periods_of
from transforms.releases import Release

START8 = periods_of(date(2025, 3, 3), "iso_8week")[0]
REGIONS = (ALL, "a", "b")
LANGS = (ALL, "en", "fr")
AUTHORS = {ALL: 900, "a": 300, "b": 600}
LATE = 5
"""Flagged authors a/en gains on its first day before the second release: each of them posted
in a/fr and b/en that day, flagged, so every roll-up holds them already."""


def _tables(*, late: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One 8-week period of nine series (regions all, a, b by languages all, en, fr): each day
    of a series `AUTHORS[region]` authors (half per language), 2 flagged on each week's first
    day, none on the others: every day and week below k (2 flagged), every 8-week total meets
    it (16). a/en has `late` more authors, all flagged, on its first day. Each author-day a
    distinct author; the roll-ups as given, not summed."""
    rows, periods = [], []
    for region in REGIONS:
        for lang in LANGS:
            size = AUTHORS[region] // (1 if lang == ALL else 2)
            extra = late if (region, lang) == ("a", "en") else 0
            key = {"marker": "m", "region": region, "lang": lang, "marker_version": "v"}
            for offset in range(56):
                day = START8 + timedelta(days=offset)
                added = extra if offset == 0 else 0
                marked = (2 if offset % 7 == 0 else 0) + added
                rows.append(key | {"day": day, "n_posts": size + added, "n_scored": size + added,
                                   "n_marked": marked, "n_authors": size + added,
                                   "n_marked_authors": marked, "sample_rate": 1.0, "run_id": "r"})  # fmt: skip
            for grain, days in (("iso_week", 7), ("iso_8week", 56)):
                for start in range(0, 56, days):
                    added = extra if start == 0 else 0
                    authors, marked = size * days + added, 2 * days // 7 + added
                    periods.append(key | {"grain": grain,
                                          "period_start": START8 + timedelta(days=start),
                                          "period_end": START8 + timedelta(days=start + days - 1),
                                          "n_posts": authors, "n_scored": authors,
                                          "n_marked": marked, "n_authors": authors,
                                          "n_marked_authors": marked, "n_author_days": authors,
                                          "n_marked_author_days": marked, "sample_rate": 1.0,
                                          "run_id": "r"})  # fmt: skip
    weeks = pl.concat(
        [pl.DataFrame(schema=PERIOD_SCHEMA), pl.DataFrame(periods)], how="diagonal_relaxed"
    )
    return pl.DataFrame(rows, schema=DAILY_SCHEMA), weeks


def test_an_eight_week_total_published_before_unchanged_is_no_lonely_cell_on_its_other_axis():
    """The first release publishes all nine 8-week totals (every series withheld whole by
    week). In the second a/en's total has moved by 5 (held); every other total is as the
    first release published it (known). a/en's line of language en has no cell left that a
    reader lacks, so it withholds b/en and then the roll-up all/en (both known: the smallest
    first, the roll-up among them); its line of region a withholds a/fr and a/all likewise.
    all/en is then the only withheld total on the line of region all, but a reader holds its
    value: that line hides nothing, and all/fr and all/all stay published (b's line too).
    Before (`public` not passed on lines of 8-week totals), that line counted as open with
    no withheld cell closing it and withheld all/fr and all/all too: two totals lost for
    nothing."""
    first = release_record(*_tables(late=0), Release(week_grain="iso_week"))
    assert (first.counts["grain"] == "iso_8week").sum() == 9
    choice = choose_grains(*_tables(late=LATE), first)
    assert (choice.filter(pl.col("grain") == "iso_week")).is_empty()
    withheld = {
        (row["region"], row["lang"])
        for row in choice.filter(pl.col("choice") == "withheld").iter_rows(named=True)
    }
    assert withheld == {("a", "en"), ("b", "en"), (ALL, "en"), ("a", "fr"), ("a", ALL)}
