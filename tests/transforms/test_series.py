from datetime import date

import polars as pl

from transforms.series import same_series


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
