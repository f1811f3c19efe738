from datetime import date, timedelta

import polars as pl
import pytest

from transforms.series import derived_series, same_series


def _cells(*cells: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(date(2025, 1, 6), *cell) for cell in cells],
        schema=["day", "marker", "region", "lang"],
        orient="row",
    )


def _same(frame: pl.DataFrame) -> dict[str, str | None]:
    return dict(same_series(frame).iter_rows())


def test_one_region_and_one_language_make_one_series_named_all_all():
    same = _same(
        _cells(
            ("fear", "unknown", "en"),
            ("fear", "all", "en"),
            ("fear", "unknown", "all"),
            ("fear", "all", "all"),
        )
    )
    assert same == {
        "fear|all|all": None,
        "fear|all|en": "fear|all|all",
        "fear|unknown|all": "fear|all|all",
        "fear|unknown|en": "fear|all|all",
    }


def test_two_regions_keep_their_roll_up_distinct_but_one_language_folds():
    same = _same(
        _cells(
            ("joy", "a", "en"),
            ("joy", "b", "en"),
            ("joy", "all", "en"),
            ("joy", "a", "all"),
            ("joy", "b", "all"),
            ("joy", "all", "all"),
        )
    )
    assert same == {
        "joy|a|all": None,
        "joy|a|en": "joy|a|all",
        "joy|all|all": None,
        "joy|all|en": "joy|all|all",
        "joy|b|all": None,
        "joy|b|en": "joy|b|all",
    }


def test_a_region_seen_on_one_day_only_still_makes_the_roll_up_distinct():
    frame = pl.concat(
        [
            _cells(("joy", "a", "en"), ("joy", "all", "en")),
            _cells(("joy", "b", "en")).with_columns(pl.lit(date(2025, 2, 1)).alias("day")),
        ]
    )
    assert _same(frame)["joy|all|en"] is None


def test_each_marker_is_judged_on_its_own_cells():
    same = _same(_cells(("a", "x", "en"), ("a", "all", "en"), ("b", "y", "en"), ("b", "x", "en"),
                        ("b", "all", "en")))  # fmt: skip
    assert same["a|x|en"] == "a|all|en" and same["b|x|en"] is None


def _daily(marked: list[int], authors: int = 300) -> pl.DataFrame:
    start = date(2025, 1, 6)
    return pl.DataFrame(
        {
            "day": [start + timedelta(days=i) for i in range(len(marked))],
            "region": "all",
            "lang": "all",
            "marker": "m",
            "n_posts": authors,
            "n_scored": authors,
            "n_marked": marked,
            "n_authors": authors,
            "n_marked_authors": marked,
        }
    )


def _windows(daily: pl.DataFrame, authors: int = 1500) -> pl.DataFrame:
    marked = daily.get_column("n_marked_authors").to_list()
    days = daily.get_column("day").to_list()
    return pl.DataFrame(
        {
            "grain": "rolling_7",
            "period_start": [d - timedelta(days=6) for d in days],
            "period_end": days,
            "region": "all",
            "lang": "all",
            "marker": "m",
            "n_authors": authors,
            "n_marked_authors": [sum(marked[max(0, i - 6) : i + 1]) for i in range(len(days))],
            "n_author_days": 7 * 300,
            "n_marked_author_days": [sum(marked[max(0, i - 6) : i + 1]) for i in range(len(days))],
        }
    )


def test_derived_series_use_days_only_when_every_day_is_publishable():
    full = _daily([20] * 30)
    series, grains = derived_series(full, _windows(full))
    assert grains.row(0) == ("m|all|all", "day") and series.height == 30
    sparse = _daily([0, 4, 12, 3, 0, 5, 7] * 6)
    series, grains = derived_series(sparse, _windows(sparse))
    assert grains.row(0) == ("m|all|all", "rolling_7")
    assert series["ds"].min() == date(2025, 1, 12) and series["y"].null_count() == 0
    assert series["y"][0] == pytest.approx(31 / 2100)


def test_a_series_with_a_window_below_k_is_not_forecast_at_all():
    rare = _daily([0] * 20 + [1] + [0] * 20)
    series, grains = derived_series(rare, _windows(rare))
    assert series.is_empty() and grains.is_empty()


def test_a_series_with_a_rare_withheld_day_stays_daily_with_that_day_missing():
    almost = _daily([20] * 60 + [5] + [20] * 59)
    series, grains = derived_series(almost, _windows(almost))
    assert grains.row(0) == ("m|all|all", "day")
    assert series.height == 120 and series["y"].null_count() == 1
