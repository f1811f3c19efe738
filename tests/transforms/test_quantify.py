from datetime import date

import numpy as np
import polars as pl
import pytest

from transforms.prevalence import Z_95
from transforms.quantify import (
    BOUNDED,
    FEW_LABELS,
    HIDDEN_PART,
    LEXICON_CAP,
    LEXICON_SOURCE,
    MIXED,
    NO_RATES,
    OTHER_VERSION,
    UNINFORMATIVE,
    VALIDATED,
    WEAK,
    adjusted,
    blended,
    has_adjusted,
    interval,
    labelled_shares,
    lexicon_score,
    marker_validation,
    preferred_scores,
    rates_margin,
    with_adjusted_prevalence,
)
from transforms.rates import conform_rates


def _acc(share, n, tpr, fpr, n_pos, n_neg):
    theta, variance = adjusted(
        pl.lit(share), pl.lit(n), pl.lit(tpr), pl.lit(fpr), pl.lit(n_pos), pl.lit(n_neg)
    )
    lo, hi = interval(theta, variance)
    return pl.select(theta.alias("t"), variance.alias("v"), lo.alias("lo"), hi.alias("hi")).row(0)


def test_acc_matches_a_hand_computed_value():
    # p = 0.30, tpr = 0.8, fpr = 0.1: theta = (0.3 - 0.1) / 0.7 = 0.285714...
    theta, variance, lo, hi = _acc(0.30, 1000, 0.8, 0.1, 200, 800)
    assert theta == pytest.approx(0.2 / 0.7)
    z2 = Z_95**2
    p = (300 + z2 / 2) / (1000 + z2)
    t = (160 + z2 / 2) / (200 + z2)
    f = (80 + z2 / 2) / (800 + z2)
    expected = (
        p * (1 - p) / (1000 + z2)
        + theta**2 * t * (1 - t) / (200 + z2)
        + (1 - theta) ** 2 * f * (1 - f) / (800 + z2)
    ) / 0.7**2
    assert variance == pytest.approx(expected)
    assert lo == pytest.approx(theta - Z_95 * expected**0.5)
    assert hi == pytest.approx(theta + Z_95 * expected**0.5)


def _margin(theta, tpr, fpr, n_pos, n_neg):
    return pl.select(
        rates_margin(theta, pl.lit(tpr), pl.lit(fpr), pl.lit(n_pos), pl.lit(n_neg))
    ).item()


def test_rates_margin_is_the_interval_of_a_cell_so_large_that_only_the_rates_err():
    theta, tpr, fpr = 0.4, 0.8, 0.1
    share = theta * tpr + (1 - theta) * fpr
    _, _, lo, hi = _acc(share, 10**12, tpr, fpr, 40, 60)
    assert _margin(theta, tpr, fpr, 40, 60) == pytest.approx((hi - lo) / 2, rel=1e-6)


def test_rates_margin_narrows_with_more_labels_and_is_null_without_information():
    assert _margin(0.4, 0.8, 0.1, 400, 600) < _margin(0.4, 0.8, 0.1, 40, 600)
    assert _margin(0.1, 0.8, 0.1, 40, 600) < _margin(0.1, 0.8, 0.1, 40, 60)
    assert _margin(0.4, 0.3, 0.3, 400, 600) is None


def _blend(acc, pacc):
    theta, variance = blended(
        (pl.lit(acc[0], pl.Float64), pl.lit(acc[1], pl.Float64)),
        (pl.lit(pacc[0], pl.Float64), pl.lit(pacc[1], pl.Float64)),
    )
    return pl.select(theta.alias("t"), variance.alias("v")).row(0)


def test_blend_weights_acc_and_pacc_by_the_inverses_of_their_variances():
    # PACC's variance is a quarter of ACC's: weights 0.8 and 0.2.
    theta, variance = _blend((0.30, 0.0004), (0.20, 0.0001))
    assert theta == pytest.approx(0.8 * 0.20 + 0.2 * 0.30)
    assert variance == pytest.approx((0.8 * 0.01 + 0.2 * 0.02) ** 2)
    independent = 1 / (1 / 0.0004 + 1 / 0.0001)
    assert independent < variance < 0.0004


def test_blend_is_acc_where_pacc_has_no_estimate():
    assert _blend((0.30, 0.0004), (None, None)) == pytest.approx((0.30, 0.0004))
    assert _blend((None, None), (0.20, 0.0001)) == (None, None)


def test_pacc_is_the_same_formula_on_mean_scores():
    # mean score 0.35 overall, 0.7 on positives, 0.2 on negatives: (0.35 - 0.2) / 0.5 = 0.3
    theta, *_ = _acc(0.35, 500, 0.7, 0.2, 100, 400)
    assert theta == pytest.approx(0.3)


def test_pacc_with_measured_spreads_divides_each_spread_by_its_count():
    # theta = (0.35 - 0.2) / 0.5 = 0.3; spreads 0.04 (units), 0.03 (positives), 0.02 (negatives)
    spreads = (pl.lit(0.04), pl.lit(0.03), pl.lit(0.02))
    theta, variance = adjusted(
        pl.lit(0.35), pl.lit(500), pl.lit(0.7), pl.lit(0.2), pl.lit(100), pl.lit(400),
        spreads=spreads,
    )  # fmt: skip
    found = pl.select(theta.alias("t"), variance.alias("v")).row(0)
    expected = (0.04 / 500 + 0.3**2 * 0.03 / 100 + 0.7**2 * 0.02 / 400) / 0.5**2
    assert found == pytest.approx((0.3, expected))
    assert found[1] < _acc(0.35, 500, 0.7, 0.2, 100, 400)[1]


def test_pacc_with_the_mean_scores_of_positives_and_negatives_recovers_the_share():
    target = pl.DataFrame({"score": [0.7, 0.2, 0.2, 0.7, 0.2]})  # 2 of 5 positive on average
    theta, _ = adjusted(
        pl.col("score").mean(), pl.lit(5), pl.lit(0.7), pl.lit(0.2), pl.lit(3), pl.lit(3)
    )
    assert target.select(theta).item() == pytest.approx(0.4)


def test_acc_is_clipped_to_the_unit_interval():
    assert _acc(0.05, 1000, 0.8, 0.1, 200, 800)[0] == 0.0
    assert _acc(0.95, 1000, 0.8, 0.1, 200, 800)[0] == 1.0


def test_an_uninformative_marker_has_no_adjusted_share():
    assert _acc(0.3, 1000, 0.2, 0.2, 200, 800) == (None, None, None, None)
    assert _acc(0.3, 1000, 0.1, 0.3, 200, 800) == (None, None, None, None)


def test_wider_interval_with_fewer_labels():
    few = _acc(0.3, 1000, 0.8, 0.1, 30, 60)
    many = _acc(0.3, 1000, 0.8, 0.1, 3000, 6000)
    assert few[3] - few[2] > many[3] - many[2]


@pytest.mark.parametrize(("truth", "n"), [(0.05, 2000), (0.2, 1000), (0.4, 500)])
def test_interval_covers_the_true_share_about_95_percent_of_the_time(truth, n):
    """Seeded simulation: rates measured on 150 positives and 600 negatives, then an
    author population of `n` at a true share `truth`; all three draws vary."""
    rng = np.random.default_rng(7)
    tpr, fpr, n_pos, n_neg, runs = 0.7, 0.1, 150, 600, 2000
    tp = rng.binomial(n_pos, tpr, runs)
    fp = rng.binomial(n_neg, fpr, runs)
    positives = rng.binomial(n, truth, runs)
    flagged = rng.binomial(positives, tpr) + rng.binomial(n - positives, fpr)
    frame = pl.DataFrame({"share": flagged / n, "tpr": tp / n_pos, "fpr": fp / n_neg})
    theta, variance = adjusted(
        pl.col("share"), pl.lit(n), pl.col("tpr"), pl.col("fpr"), pl.lit(n_pos), pl.lit(n_neg)
    )
    lo, hi = interval(theta, variance)
    covered = frame.select(((lo <= truth) & (hi >= truth)).mean()).item()
    assert 0.92 <= covered <= 0.99


def _cells(*rows):
    keys = ("lang", "marker", "marker_version", "n_authors", "n_marked_authors")
    return pl.DataFrame(
        [
            {"day": date(2025, 1, 1), "region": "all", **dict(zip(keys, row, strict=True))}
            for row in rows
        ]
    )


def test_statuses_say_why_a_marker_is_not_validated():
    rates = conform_rates(
        pl.DataFrame(
            {
                "marker": ["ok", "few", "flat", "weak", "old"],
                "lang": ["en"] * 5,
                "marker_version": ["v1"] * 5,
                "tp": [80, 10, 20, 30, 80],
                "fn": [20, 5, 80, 70, 20],
                "fp": [50, 50, 100, 50, 50],
                "tn": [450, 450, 400, 450, 450],
            }
        )
    )
    cells = _cells(
        ("en", "ok", "v1", 1000, 300),
        ("en", "few", "v1", 1000, 300),
        ("en", "flat", "v1", 1000, 300),
        ("en", "weak", "v1", 1000, 300),
        ("en", "old", "v2", 1000, 300),
        ("en", "none", "v1", 1000, 300),
    )
    out = with_adjusted_prevalence(cells, rates)
    assert out.get_column("validation").to_list() == [
        VALIDATED,
        FEW_LABELS,
        UNINFORMATIVE,
        WEAK,
        OTHER_VERSION,
        NO_RATES,
    ]
    adjusted_share = out.get_column("adjusted_prevalence").to_list()
    assert adjusted_share[0] == pytest.approx((0.3 - 0.1) / 0.7)
    assert adjusted_share[1:] == [None] * 5
    assert out.select(pl.exclude("validation", "^adjusted.*$")).equals(cells)


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


def test_marker_validation_lists_each_language_of_each_marker():
    rates = conform_rates(
        pl.DataFrame(
            {
                "marker": ["sad", "sad"],
                "lang": ["en", "es"],
                "marker_version": ["v1", "v0"],
                "tp": [80, 80],
                "fn": [20, 20],
                "fp": [50, 50],
                "tn": [450, 450],
            }
        )
    )
    series = pl.DataFrame(
        {
            "marker": ["sad", "sad", "sad", "joy"],
            "lang": ["es", "en", "all", "en"],
            "marker_version": ["v1", "v1", "v1", "v1"],
        }
    )
    table = marker_validation(series, rates)
    assert table.select("marker", "lang", "validation").rows() == [
        ("joy", "en", NO_RATES),
        ("sad", "en", VALIDATED),
        ("sad", "es", OTHER_VERSION),
    ]
    assert table.get_column("tpr").to_list()[1:] == [0.8, 0.8]
    assert table.get_column("rates_margin_40").to_list()[1:] == [
        pytest.approx(_margin(0.4, 0.8, 0.1, 100, 500)),
        None,
    ]


def _scored_rates(**stats):
    """Validated rates of `sad` in en (tpr 0.8, fpr 0.1 on 100 / 500 labels), with `stats`
    as their probability statistics."""
    return conform_rates(
        pl.DataFrame(
            {
                "marker": ["sad"],
                "lang": ["en"],
                "marker_version": ["v1"],
                "tp": [80],
                "fn": [20],
                "fp": [50],
                "tn": [450],
                **{k: [v] for k, v in stats.items()},
            }
        )
    )


def test_cells_with_score_sums_publish_the_blend_of_acc_and_pacc():
    rates = _scored_rates(
        score_pos_mean=0.7, score_pos_var=0.04, score_neg_mean=0.2, score_neg_var=0.03
    )
    n, flagged, total, squares = 1000, 300, 350.0, 160.0
    cells = _cells(("en", "sad", "v1", n, flagged)).with_columns(
        pl.lit(total).alias("score_sum"), pl.lit(squares).alias("score_sq_sum")
    )
    out = with_adjusted_prevalence(cells, rates).row(0, named=True)
    acc = adjusted(pl.lit(0.3), pl.lit(n), pl.lit(0.8), pl.lit(0.1), pl.lit(100), pl.lit(500))
    mean = total / n
    pacc = adjusted(
        pl.lit(mean), pl.lit(n), pl.lit(0.7), pl.lit(0.2), pl.lit(100), pl.lit(500),
        spreads=(pl.lit(squares / n - mean**2), pl.lit(0.04), pl.lit(0.03)),
    )  # fmt: skip
    theta, variance = blended(acc, pacc)
    lo, hi = interval(theta, variance)
    expected = pl.select(theta, lo.alias("lo"), hi.alias("hi"), acc[0].alias("acc")).row(0)
    assert (out["adjusted_prevalence"], out["adjusted_prevalence_lo"]) == pytest.approx(
        expected[:2]
    )
    assert out["adjusted_prevalence_hi"] == pytest.approx(expected[2])
    assert out["adjusted_prevalence"] != pytest.approx(expected[3])  # not ACC alone
    assert out["validation"] == VALIDATED


def test_without_score_sums_or_statistics_the_adjusted_share_is_acc():
    cells = _cells(("en", "sad", "v1", 1000, 300))
    acc = (0.3 - 0.1) / 0.7
    stats = dict(score_pos_mean=0.7, score_pos_var=0.04, score_neg_mean=0.2, score_neg_var=0.03)
    without_sums = with_adjusted_prevalence(cells, _scored_rates(**stats))
    assert without_sums.get_column("adjusted_prevalence").item() == pytest.approx(acc)
    summed = cells.with_columns(
        pl.lit(350.0).alias("score_sum"), pl.lit(160.0).alias("score_sq_sum")
    )
    without_stats = with_adjusted_prevalence(summed, _scored_rates())
    assert without_stats.get_column("adjusted_prevalence").item() == pytest.approx(acc)
    null_sums = summed.with_columns(pl.lit(None, pl.Float64).alias("score_sum"))
    assert with_adjusted_prevalence(null_sums, _scored_rates(**stats)).get_column(
        "adjusted_prevalence"
    ).item() == pytest.approx(acc)


def test_acc_status_gates_the_blend():
    rates = _scored_rates(
        score_pos_mean=0.9, score_pos_var=0.01, score_neg_mean=0.1, score_neg_var=0.01
    ).with_columns(pl.lit(10).alias("tp"), pl.lit(90).alias("fn"))  # tpr 0.1 <= fpr 0.1
    cells = _cells(("en", "sad", "v1", 1000, 300)).with_columns(
        pl.lit(350.0).alias("score_sum"), pl.lit(160.0).alias("score_sq_sum")
    )
    out = with_adjusted_prevalence(cells, conform_rates(rates)).row(0, named=True)
    assert out["validation"] == UNINFORMATIVE and out["adjusted_prevalence"] is None


def test_labelled_shares_blend_only_where_every_post_has_a_probability():
    rates = _scored_rates(
        score_pos_mean=0.7, score_pos_var=0.04, score_neg_mean=0.2, score_neg_var=0.03
    )
    rng = np.random.default_rng(3)
    gold = rng.random(400) < 0.3
    pairs = pl.DataFrame(
        {
            "lang": ["en"] * 400,
            "gold": gold,
            "hit": np.where(gold, rng.random(400) < 0.8, rng.random(400) < 0.1),
            "prob": np.where(gold, rng.uniform(0.4, 1.0, 400), rng.uniform(0.0, 0.4, 400)),
        }
    )
    shares = labelled_shares(pairs, marker="sad", version="v1", rates=rates)
    cell = pairs.select(
        pl.lit(date(2025, 1, 1)).alias("day"),
        pl.lit("all").alias("region"),
        pl.lit("en").alias("lang"),
        pl.lit("sad").alias("marker"),
        pl.lit("v1").alias("marker_version"),
        pl.len().alias("n_authors"),
        pl.col("hit").sum().alias("n_marked_authors"),
        pl.col("prob").sum().alias("score_sum"),
        pl.col("prob").pow(2).sum().alias("score_sq_sum"),
    )
    direct = with_adjusted_prevalence(cell, rates).row(0, named=True)
    assert shares["adjusted_prevalence"] == pytest.approx(direct["adjusted_prevalence"])
    assert shares["estimator"] == "blend"
    partial = pairs.with_columns(pairs.get_column("prob").scatter(0, None))
    acc_only = labelled_shares(partial, marker="sad", version="v1", rates=rates)
    plain = labelled_shares(pairs.drop("prob"), marker="sad", version="v1", rates=rates)
    assert acc_only["estimator"] == plain["estimator"] == "acc"
    assert acc_only["adjusted_prevalence"] == pytest.approx(plain["adjusted_prevalence"])
    assert acc_only["adjusted_prevalence"] != pytest.approx(shares["adjusted_prevalence"])


def test_probabilities_that_do_not_separate_leave_acc_and_say_so():
    rates = _scored_rates(
        score_pos_mean=0.3, score_pos_var=0.04, score_neg_mean=0.4, score_neg_var=0.03
    )
    pairs = pl.DataFrame(
        {
            "lang": ["en"] * 100,
            "gold": [True] * 30 + [False] * 70,
            "hit": [True] * 24 + [False] * 6 + [True] * 7 + [False] * 63,
            "prob": [0.3] * 30 + [0.4] * 70,
        }
    )
    shares = labelled_shares(pairs, marker="sad", version="v1", rates=rates)
    assert shares["estimator"] == "acc"
    assert shares["adjusted_prevalence"] == pytest.approx((0.31 - 0.1) / 0.7)


def test_the_lexicon_score_is_the_term_count_capped_and_scaled_to_the_unit_interval():
    counts = pl.Series("n", [0, 1, LEXICON_CAP, LEXICON_CAP + 3, None], dtype=pl.UInt32)
    found = pl.select(lexicon_score(pl.lit(counts))).to_series().to_list()
    assert found == [0.0, 1 / LEXICON_CAP, 1.0, 1.0, None]


def test_preferred_scores_fall_back_where_the_first_score_does_not_separate():
    """Three languages: the model separates (kept), does not (the lexicon's taken), or
    neither separates (kept as measured, so evaluate falls back to ACC)."""

    def rates(source, pos):
        return conform_rates(
            pl.DataFrame(
                {
                    "marker": ["sad"] * 3,
                    "lang": ["de", "en", "fr"],
                    "marker_version": ["v1"] * 3,
                    **{c: [1] * 3 for c in ("tp", "fn", "fp", "tn")},
                    "score_source": [source] * 3,
                    "score_pos_mean": pos,
                    "score_pos_var": [0.01] * 3,
                    "score_neg_mean": [0.3] * 3,
                    "score_neg_var": [0.02] * 3,
                }
            )
        )

    model = rates("ngram head", [0.6, 0.2, 0.1])
    lexicon = rates(LEXICON_SOURCE, [0.5, 0.5, 0.3])
    found = preferred_scores(model, lexicon)
    assert found.columns == model.columns
    assert found.get_column("score_source").to_list() == [
        "ngram head",
        LEXICON_SOURCE,
        "ngram head",
    ]
    assert found.get_column("score_pos_mean").to_list() == [0.6, 0.5, 0.1]
    assert preferred_scores(model, lexicon.clear()).equals(model)
