from datetime import date

import numpy as np
import polars as pl
import pytest

from tests.transforms.adjusted_cells import cells as _cells
from transforms.prevalence import Z_95
from transforms.quantify import (
    LEXICON_CAP,
    LEXICON_SOURCE,
    adjusted,
    blended,
    interval,
    labelled_shares,
    lexicon_score,
    marker_validation,
    preferred_scores,
    rates_margin,
    with_adjusted_prevalence,
)
from transforms.rates import conform_rates
from transforms.validation import (
    FEW_LABELS,
    NO_RATES,
    OTHER_VERSION,
    UNINFORMATIVE,
    VALIDATED,
    WEAK,
)


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


def test_a_periods_adjusted_interval_takes_the_flagged_shares_variance_over_its_effective_trials():
    """A week's row carries its author-days and EFFECTIVE_TRIALS (authors as clusters): the
    flagged share's binomial variance is over those trials, as its Wilson interval is, not
    over the author-days (test fails before: the author-days were the trials). A null
    EFFECTIVE_TRIALS (a row of a language apart) falls back to the author-days."""
    week = _cells(("en", "sad", "v1", 40, 15)).with_columns(
        pl.lit(280).alias("n_author_days"), pl.lit(84).alias("n_marked_author_days")
    )
    rates = _scored_rates()
    rows = pl.concat(
        [
            week.with_columns(pl.lit(trials, pl.Float64).alias("effective_trials"))
            for trials in (55.5, None)
        ]
    )
    out = with_adjusted_prevalence(rows, rates)
    for row, trials in zip(out.iter_rows(named=True), (55.5, 280), strict=True):
        theta, variance = adjusted(
            pl.lit(0.3), pl.lit(trials), pl.lit(0.8), pl.lit(0.1), pl.lit(100), pl.lit(500)
        )
        lo, hi = interval(theta, variance)
        expected = pl.select(theta.alias("t"), lo.alias("lo"), hi.alias("hi")).row(0)
        assert (
            row["adjusted_prevalence"],
            row["adjusted_prevalence_lo"],
            row["adjusted_prevalence_hi"],
        ) == pytest.approx(expected)
    widths = out.select(pl.col("adjusted_prevalence_hi") - pl.col("adjusted_prevalence_lo"))
    assert widths.item(0, 0) > widths.item(1, 0)
