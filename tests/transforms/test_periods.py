from datetime import date, timedelta

import pytest

from transforms.periods import EIGHT_WEEKS, PERIOD_GRAINS, periods_of


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
