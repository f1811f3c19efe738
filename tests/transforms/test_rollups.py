"""Roll-ups (`lang = all`) of adjusted shares: transforms.rollups through
transforms.quantify.with_adjusted_prevalence."""

import numpy as np
import polars as pl
import pytest

from tests.transforms.adjusted_cells import cells as _cells
from transforms.quantify import with_adjusted_prevalence
from transforms.rates import conform_rates
from transforms.rollups import has_adjusted
from transforms.validation import BOUNDED, FEW_LABELS, HIDDEN_PART, MIXED, NO_RATES, VALIDATED


def test_a_language_rollup_is_the_author_weighted_mean_of_its_languages():
    rates = conform_rates(
        pl.DataFrame(
            {
                "marker": ["sad", "sad"],
                "lang": ["en", "es"],
                "marker_version": ["v1", "v1"],
                "tp": [80, 60],
                "fn": [20, 40],
                "fp": [50, 40],
                "tn": [450, 360],
            }
        )
    )
    cells = _cells(
        ("all", "sad", "v1", 1500, 350),
        ("en", "sad", "v1", 1000, 300),
        ("es", "sad", "v1", 500, 50),
    )
    out = with_adjusted_prevalence(cells, rates)
    en, es = (0.3 - 0.1) / 0.7, 0.0
    assert out.get_column("adjusted_prevalence")[0] == pytest.approx((1000 * en + 500 * es) / 1500)
    assert out.get_column("validation").to_list() == [VALIDATED] * 3
    alone = with_adjusted_prevalence(cells.head(1), rates)
    assert alone.get_column("validation").to_list() == [NO_RATES]
    only_en = with_adjusted_prevalence(cells, rates.filter(pl.col("lang") == "en"))
    assert only_en.get_column("validation").to_list() == [
        f"{MIXED} (es: no labelled data for this marker and language, 33.3% of authors)",
        VALIDATED,
        NO_RATES,
    ]
    assert only_en.get_column("adjusted_prevalence")[0] is None


_SAD_EN = {"marker": "sad", "lang": "en", "marker_version": "v1", "tp": 80, "fn": 20}


def test_a_rollup_with_2_percent_of_its_authors_unvalidated_is_published_with_that_part_bounded():
    rates = conform_rates(pl.DataFrame([_SAD_EN | {"fp": 50, "tn": 450}]))
    cells = _cells(
        ("all", "sad", "v1", 1000, 296),
        ("es", "sad", "v1", 980, 290),
        ("en", "sad", "v1", 20, 6),
    )
    es_rates = rates.with_columns(pl.lit("es").alias("lang"))
    out = with_adjusted_prevalence(cells, es_rates)
    es = out.row(1, named=True)
    rollup = out.row(0, named=True)
    assert rollup["validation"] == (
        f"{BOUNDED} (en: no labelled data for this marker and language, 2.0% of authors)"
    )
    assert pl.select(has_adjusted(pl.lit(rollup["validation"]))).item()
    w, flagged = 0.02, 6 / 20
    assert rollup["adjusted_prevalence"] == pytest.approx(
        (1 - w) * es["adjusted_prevalence"] + w * flagged
    )
    half = (1 - w) * (es["adjusted_prevalence_hi"] - es["adjusted_prevalence_lo"]) / 2
    assert rollup["adjusted_prevalence_lo"] == pytest.approx(
        rollup["adjusted_prevalence"] - half - w * flagged
    )
    assert rollup["adjusted_prevalence_hi"] == pytest.approx(
        rollup["adjusted_prevalence"] + half + w * (1 - flagged)
    )
    assert out.row(2, named=True)["adjusted_prevalence"] is None


def test_a_rollup_stays_withheld_above_the_cap_or_where_an_unvalidated_part_is_suppressed():
    rates = conform_rates(pl.DataFrame([_SAD_EN | {"lang": "es", "fp": 50, "tn": 450}]))
    cells = _cells(
        ("all", "sad", "v1", 1000, 296),
        ("es", "sad", "v1", 940, 290),
        ("en", "sad", "v1", 60, 6),
    )
    above = with_adjusted_prevalence(cells, rates).row(0, named=True)
    assert above["validation"] == (
        f"{MIXED} (en: no labelled data for this marker and language, 6.0% of authors)"
    )
    assert above["adjusted_prevalence"] is None
    wider = with_adjusted_prevalence(cells, rates, max_bounded_share=0.06).row(0, named=True)
    assert wider["validation"].startswith(BOUNDED)
    hidden = cells.with_columns(
        pl.when(pl.col("lang") == "en").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("n_authors", "n_marked_authors")
    )
    suppressed = with_adjusted_prevalence(hidden, rates).row(0, named=True)
    assert suppressed["validation"] == (
        f"{MIXED} (en: no labelled data for this marker and language, suppressed)"
    )


def test_a_rollup_with_a_suppressed_language_publishes_no_adjusted_share():
    """A validated language whose cell is suppressed (5 of its 5,000 authors flagged) would be
    left out of the roll-up: the rest (1,030 of 6,030 authors) would read as the whole, and its
    unvalidated 30 authors as 2.9% of it instead of 0.5%."""
    rates = conform_rates(
        pl.DataFrame(
            [_SAD_EN | {"fp": 50, "tn": 450}, _SAD_EN | {"lang": "es", "fp": 50, "tn": 450}]
        )
    )
    cells = _cells(
        ("all", "sad", "v1", 6030, 205),
        ("en", "sad", "v1", None, None),
        ("es", "sad", "v1", 1000, 200),
        ("fr", "sad", "v1", 30, 0),
    )
    out = with_adjusted_prevalence(cells, rates)
    assert out.row(0, named=True)["validation"] == (
        f"{MIXED} (en: suppressed; fr: no labelled data for this marker and language, "
        "0.5% of authors)"
    )
    assert out.row(0, named=True)["adjusted_prevalence"] is None
    validated = with_adjusted_prevalence(cells.filter(pl.col("lang") != "fr"), rates)
    assert validated.row(0, named=True)["validation"] == f"{HIDDEN_PART} (en: suppressed)"
    assert validated.row(0, named=True)["adjusted_prevalence_hi"] is None
    assert not pl.select(has_adjusted(pl.lit(HIDDEN_PART))).item()


def test_a_suppressed_rollup_publishes_no_adjusted_share_whatever_its_languages_hold():
    """A roll-up cell suppressed itself (null counts: `queries.daily(all_versions=True)`
    suppresses cell by cell) withholds its adjusted share like any suppressed cell, even where
    its languages are published and validated: it was combined from them and published."""
    rates = conform_rates(
        pl.DataFrame(
            [_SAD_EN | {"fp": 50, "tn": 450}, _SAD_EN | {"lang": "es", "fp": 50, "tn": 450}]
        )
    )
    cells = _cells(
        ("all", "sad", "v1", None, None),
        ("en", "sad", "v1", 1000, 300),
        ("es", "sad", "v1", 500, 100),
    )
    out = with_adjusted_prevalence(cells, rates)
    assert out.get_column("adjusted_prevalence").is_null().to_list() == [True, False, False]
    assert out.row(0, named=True)["adjusted_prevalence_lo"] is None
    assert out.row(0, named=True)["adjusted_prevalence_hi"] is None


def test_a_withheld_rollup_names_each_language_that_is_not_validated_and_why():
    rates = conform_rates(
        pl.DataFrame(
            [
                _SAD_EN | {"fp": 50, "tn": 450},
                _SAD_EN | {"lang": "fr", "tp": 10, "fn": 5, "fp": 50, "tn": 450},
            ]
        )
    )
    cells = _cells(
        ("all", "sad", "v1", 1000, 300),
        ("es", "sad", "v1", 250, 50),
        ("en", "sad", "v1", 500, 200),
        ("fr", "sad", "v1", 250, 50),
    )
    assert with_adjusted_prevalence(cells, rates).row(0, named=True)["validation"] == (
        f"{MIXED} (es: no labelled data for this marker and language, 25.0% of authors; "
        f"fr: {FEW_LABELS.removeprefix('not validated: ')}, 25.0% of authors)"
    )


@pytest.mark.parametrize("other_truth", [0.0, 0.3, 1.0])
def test_a_bounded_rollup_covers_its_true_share_whatever_the_unvalidated_part_holds(other_truth):
    """Seeded simulation: a validated language of 1,900 authors at a true share of 0.2 (rates
    drawn on 150 positives and 600 negatives) beside 100 authors (5%) of a language without
    rates whose true share is `other_truth`, flagged at tpr 0.3 and fpr 0.2. Each run is one
    marker, so each has its own rates. The roll-up's truth is the mean over its authors; its
    bounded interval covers it at least as often as the validated language's interval covers
    that language's truth (about 95% of the time)."""
    rng = np.random.default_rng(11)
    runs, n, n_other, truth = 1000, 1900, 100, 0.2
    tp, fp = rng.binomial(150, 0.7, runs), rng.binomial(600, 0.1, runs)
    positives = rng.binomial(n, truth, runs)
    flagged = rng.binomial(positives, 0.7) + rng.binomial(n - positives, 0.1)
    others = rng.binomial(n_other, other_truth, runs)
    flagged_other = rng.binomial(others, 0.3) + rng.binomial(n_other - others, 0.2)
    markers = [f"m{run}" for run in range(runs)]
    rates = conform_rates(
        pl.DataFrame(
            {"marker": markers, "lang": "en", "marker_version": "v1", "tp": tp}
            | {"fn": 150 - tp, "fp": fp, "tn": 600 - fp}
        )
    )
    cells = pl.concat(
        _cells(
            ("all", marker, "v1", n + n_other, 0),
            ("en", marker, "v1", n, int(flagged[run])),
            ("es", marker, "v1", n_other, int(flagged_other[run])),
        )
        for run, marker in enumerate(markers)
    )
    out = with_adjusted_prevalence(cells, rates)
    rollups, en = out.filter(pl.col("lang") == "all"), out.filter(pl.col("lang") == "en")
    assert rollups.get_column("validation").str.starts_with(BOUNDED).all()

    def coverage(rows, truths):
        return rows.select(
            (
                (pl.col("adjusted_prevalence_lo") <= pl.Series(truths))
                & (pl.col("adjusted_prevalence_hi") >= pl.Series(truths))
            ).mean()
        ).item()

    covered = coverage(rollups, (positives + others) / (n + n_other))
    assert covered >= coverage(en, positives / n)
    assert covered >= 0.93
