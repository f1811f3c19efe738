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


def _weeks(daily: pl.DataFrame, authors: int = 1500, grain: str = "iso_week") -> pl.DataFrame:
    back = 1 if grain == "epi_week" else 0
    start = (pl.col("day") + pl.duration(days=back)).dt.truncate("1w") - pl.duration(days=back)
    weeks = daily.group_by(start.alias("period_start")).agg(
        pl.col("n_marked_authors").sum(), pl.len().alias("days")
    )
    return weeks.select(
        pl.lit(grain).alias("grain"),
        "period_start",
        (pl.col("period_start") + pl.duration(days=6)).alias("period_end"),
        pl.lit("all").alias("region"),
        pl.lit("all").alias("lang"),
        pl.lit("m").alias("marker"),
        pl.lit(authors).alias("n_authors"),
        "n_marked_authors",
        (pl.col("days") * 300).alias("n_author_days"),
        pl.col("n_marked_authors").alias("n_marked_author_days"),
    ).sort("period_start")


def test_derived_series_use_days_only_when_every_day_is_publishable():
    full = _daily([20] * 30)
    series, grains = derived_series(full, _weeks(full))
    assert grains.row(0) == ("m|all|all", "day") and series.height == 30


def test_a_series_with_days_below_k_is_taken_by_its_iso_weeks_from_monday():
    sparse = _daily([0, 4, 12, 3, 0, 5, 7] * 6)
    series, grains = derived_series(sparse, _weeks(sparse))
    assert grains.row(0) == ("m|all|all", "iso_week")
    assert series["ds"].to_list() == [date(2025, 1, 6) + timedelta(weeks=i) for i in range(6)]
    assert series["y"].null_count() == 0
    assert series["y"][0] == pytest.approx(31 / 2100)


def test_only_weeks_lying_wholly_inside_the_data_are_taken():
    sparse = _daily([0, 4, 12, 3, 0, 5, 7] * 6 + [1, 2])
    series, grains = derived_series(sparse, _weeks(sparse))
    assert grains.row(0) == ("m|all|all", "iso_week") and series.height == 6


def test_epi_weeks_are_taken_when_the_release_counts_epi_weeks():
    sparse = _daily([0, 4, 12, 3, 0, 5, 7] * 6)
    epi = _weeks(sparse, grain="epi_week")
    series, grains = derived_series(sparse, epi, week_grain="epi_week")
    assert grains.row(0) == ("m|all|all", "epi_week") and series.height == 5
    assert set(series["ds"].dt.weekday()) == {7}
    series, grains = derived_series(sparse, epi, week_grain="iso_week")
    assert series.is_empty() and grains.is_empty()


def test_a_series_with_a_week_below_k_is_not_forecast_at_all():
    rare = _daily([0] * 20 + [1] + [0] * 20)
    series, grains = derived_series(rare, _weeks(rare))
    assert series.is_empty() and grains.is_empty()


def test_a_series_with_a_rare_withheld_day_stays_daily_with_that_day_missing():
    almost = _daily([20] * 60 + [5] + [20] * 59)
    series, grains = derived_series(almost, _weeks(almost))
    assert grains.row(0) == ("m|all|all", "day")
    assert series.height == 120 and series["y"].null_count() == 1


def test_a_series_below_k_by_week_is_taken_by_its_whole_eight_week_periods():
    rare = _daily([0, 1, 0, 0, 1, 0, 0] * 24)  # 2 marked authors a week, 16 in 8 weeks
    weeks = _weeks(rare)
    start = date(2025, 1, 6)  # an ISO 8-week period starts here: 16 weeks hold two whole ones
    eights = (
        weeks.with_columns(
            (
                start
                + pl.duration(weeks=((pl.col("period_start") - start).dt.total_days() // 56) * 8)
            ).alias("period_start")
        )
        .group_by("period_start")
        .agg(pl.col("n_marked_authors", "n_author_days", "n_marked_author_days").sum())
        .with_columns(
            pl.lit("iso_8week").alias("grain"),
            (pl.col("period_start") + pl.duration(days=55)).alias("period_end"),
            pl.lit("all").alias("region"),
            pl.lit("all").alias("lang"),
            pl.lit("m").alias("marker"),
            pl.lit(4000).alias("n_authors"),
        )
        .select(weeks.columns)
    )
    series, grains = derived_series(rare, pl.concat([weeks, eights]))
    assert grains.row(0) == ("m|all|all", "iso_8week")
    assert series["ds"].to_list() == [
        start,
        start + timedelta(weeks=8),
        start + timedelta(weeks=16),
    ]
    assert series["y"].to_list() == [pytest.approx(16 / (56 * 300))] * 3
    assert derived_series(rare, weeks)[1].is_empty()
