from datetime import date, timedelta

import polars as pl
import pytest

from transforms.author_masks import with_masks
from transforms.periods import EIGHT_WEEKS, PERIOD_GRAINS, author_counts, in_periods, periods_of


def test_a_day_belongs_to_one_period_of_each_grain_and_weeks_nest_in_eight_weeks():
    assert periods_of(date(2025, 1, 5), "iso_week") == [date(2024, 12, 30)]
    assert periods_of(date(2025, 1, 5), "epi_week") == [date(2025, 1, 5)]
    assert periods_of(date(2025, 1, 5), "iso_8week") == [date(2024, 11, 11)]
    assert periods_of(date(2025, 1, 5), "epi_8week") == [date(2025, 1, 5)]
    assert PERIOD_GRAINS == ("iso_week", "epi_week", "iso_8week", "epi_8week")
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(800)]
    for week, eight in EIGHT_WEEKS.items():
        for day in days:
            (start,) = periods_of(day, eight)
            (first,) = periods_of(start, week)
            assert first == start and start <= day <= start + timedelta(days=55)
            assert periods_of(periods_of(day, week)[0], eight) == [start]
    with pytest.raises(ValueError, match="grain must be one of iso_week, epi_week"):
        periods_of(date(2025, 1, 5), "rolling_7")


def _author_days(names):
    """Two authors' compact author-days in one ISO week (`with_masks` added for `names`)."""
    wide = pl.DataFrame(
        {
            "day": [date(2025, 1, 6), date(2025, 1, 7)],
            "region": ["north", "south"],
            "lang": ["en", "en"],
            "author": pl.Series([5, 9], dtype=pl.UInt64),
            "n_posts": pl.Series([2, 1], dtype=pl.UInt32),
            "n_scored_sad": pl.Series([2, 1], dtype=pl.UInt32),
            "n_marked_sad": pl.Series([1, 0], dtype=pl.UInt32),
        }
    )
    return with_masks(wide, names)


def test_author_counts_of_no_markers_are_an_empty_frame_not_an_error():
    counted = author_counts(in_periods(_author_days(["sad"]), "iso_week"), ["sad"])
    assert counted.filter(region="all", lang="all")["n_authors"].to_list() == [2]
    none = author_counts(in_periods(_author_days([]), "iso_week"), [])
    assert none.is_empty() and none.schema == counted.schema
