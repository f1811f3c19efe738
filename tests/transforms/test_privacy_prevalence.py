from datetime import date

import polars as pl
import pytest

from transforms.prevalence import wilson, with_prevalence
from transforms.privacy import pseudonyms, suppress
from transforms.series import to_series


def _daily(**counts):
    base = {
        "day": [date(2025, 1, 1)],
        "region": ["north"],
        "lang": ["en"],
        "marker": ["sad"],
        "n_posts": [100],
        "n_scored": [100],
        "n_marked": [20],
        "n_authors": [80],
        "n_marked_authors": [15],
    }
    base.update({k: [v] for k, v in counts.items()})
    return pl.DataFrame(base)


def _wilson(k, n):
    p, lo, hi = wilson(pl.lit(k), pl.lit(n))
    return pl.select(p.alias("p"), lo.alias("lo"), hi.alias("hi")).row(0)


def test_wilson_matches_a_reference_value():
    # 15 of 80, 95%: Wilson interval (0.11705, 0.28658), checked against statsmodels' proportion_confint.
    p, lo, hi = _wilson(15, 80)
    assert p == pytest.approx(0.1875)
    assert lo == pytest.approx(0.1170531, abs=1e-6) and hi == pytest.approx(0.2865832, abs=1e-6)


def test_wilson_is_null_without_trials_and_stays_in_unit_interval():
    assert _wilson(0, 0) == (None, None, None)
    p, lo, hi = _wilson(5, 5)
    assert p == 1.0 and 0 < lo < 1 and hi == 1.0


@pytest.mark.parametrize(
    ("marked", "authors", "suppressed"),
    [(15, 80, False), (0, 80, False), (5, 80, True), (11, 11, False), (0, 10, True)],
)
def test_small_cells_are_suppressed_and_their_values_nulled(marked, authors, suppressed):
    out = suppress(with_prevalence(_daily(n_marked_authors=marked, n_authors=authors)))
    row = out.row(0, named=True)
    assert row["suppressed"] is suppressed
    if suppressed:
        assert all(
            row[c] is None
            for c in (
                "n_marked",
                "n_marked_authors",
                "n_authors",
                "prevalence",
                "prevalence_hi",
                "post_prevalence",
            )
        )
    else:
        assert row["prevalence"] == pytest.approx(marked / authors)


def test_series_keep_suppressed_days_as_nulls():
    daily = pl.concat(
        [_daily(), _daily(n_marked_authors=3).with_columns(pl.lit(date(2025, 1, 2)).alias("day"))]
    )
    series = to_series(daily)
    assert series.columns == ["unique_id", "ds", "y"]
    assert series["unique_id"].to_list() == ["sad|north|en"] * 2
    assert series["y"].to_list() == [pytest.approx(15 / 80), None]
    assert to_series(daily, basis="posts")["y"][0] == pytest.approx(0.2)


def test_pseudonyms_are_keyed():
    alice = pl.Series(["alice"])
    assert (
        pseudonyms(alice, key=b"k1").item()
        == pseudonyms(alice, key=b"k1").item()
        != pseudonyms(alice, key=b"k2").item()
    )
