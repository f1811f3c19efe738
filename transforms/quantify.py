"""Prevalence corrected for marker error (quantification), as polars expressions.

A marker flags a share `p` of authors; with true-positive rate `tpr` and false-positive rate
`fpr` measured on labelled posts, the share that truly carries the state is

    theta = (p - fpr) / (tpr - fpr)        clipped to 0-1

(adjusted classify-and-count, ACC: Forman 2008; Rogan & Gladen 1978 in epidemiology). With a
score in 0-1 instead of a 0/1 decision, `p`, `tpr` and `fpr` are mean scores (overall, on the
labelled positives, on the labelled negatives) and the same formula is probabilistic ACC
(PACC, Bella et al. 2010); `blended` combines the two by their variances. The interval
carries the uncertainty of all three proportions by the delta method; see docs/prevalence.md.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.prevalence import AUTHOR_DAY_COUNTS, EFFECTIVE_TRIALS, Z_95
from transforms.rates import SCORE_COLUMNS
from transforms.rollups import MAX_BOUNDED_SHARE, rolled_up
from transforms.validation import (
    BOUNDED,
    FEW_LABELS,
    HIDDEN_PART,
    MIN_CLASS_LABELS,
    MIN_YOUDEN,
    MIXED,
    NO_RATES,
    OTHER_VERSION,
    STATUS,
    UNINFORMATIVE,
    VALIDATED,
    WEAK,
)

ADJUSTED_COLUMNS = ("adjusted_prevalence", "adjusted_prevalence_lo", "adjusted_prevalence_hi")
"""Added by `with_adjusted_prevalence`, beside `validation`: proportions 0-1."""


def shrunk(successes: pl.Expr, trials: pl.Expr, *, z: float = Z_95) -> pl.Expr:
    """`(successes + z²/2) / (trials + z²)`: the Agresti–Coull centre, used for variances so
    that a rate of exactly 0 or 1 measured on few labels does not get a zero variance."""
    return (successes.cast(pl.Float64) + z * z / 2) / (trials.cast(pl.Float64) + z * z)


def binomial_variance(rate: pl.Expr, trials: pl.Expr, *, z: float = Z_95) -> pl.Expr:
    """Variance of a proportion `rate` measured on `trials`, at its Agresti–Coull centre
    `q = shrunk(rate × trials, trials)`: `q (1 - q) / (trials + z²)`."""
    q = shrunk(rate * trials, trials, z=z)
    return q * (1 - q) / (trials.cast(pl.Float64) + z * z)


def status(tpr: pl.Expr, fpr: pl.Expr, n_pos: pl.Expr, n_neg: pl.Expr) -> pl.Expr:
    """The validation status (STATUS) of rates measured on the marker version in use: NO_RATES
    for null rates; VALIDATED only with at least MIN_CLASS_LABELS labelled positives and
    negatives and `tpr - fpr >= MIN_YOUDEN`. (OTHER_VERSION, and a roll-up's BOUNDED and MIXED,
    are decided by `with_adjusted_prevalence`.)"""
    return (
        pl.when(tpr.is_null() | fpr.is_null())
        .then(pl.lit(NO_RATES))
        .when((n_pos < MIN_CLASS_LABELS) | (n_neg < MIN_CLASS_LABELS))
        .then(pl.lit(FEW_LABELS))
        .when(tpr <= fpr)
        .then(pl.lit(UNINFORMATIVE))
        .when(tpr - fpr < MIN_YOUDEN)
        .then(pl.lit(WEAK))
        .otherwise(pl.lit(VALIDATED))
        .cast(STATUS)
    )


def adjusted(
    share: pl.Expr,
    n: pl.Expr,
    tpr: pl.Expr,
    fpr: pl.Expr,
    n_pos: pl.Expr,
    n_neg: pl.Expr,
    *,
    z: float = Z_95,
    spreads: tuple[pl.Expr, pl.Expr, pl.Expr] | None = None,
) -> tuple[pl.Expr, pl.Expr]:
    """ACC/PACC estimate and its delta-method variance: `(theta, variance)`.

    `share` is the flagged share (or mean score) among `n` units; `tpr` and `fpr` were
    measured on `n_pos` labelled positives and `n_neg` labelled negatives. `theta` is
    `(share - fpr) / (tpr - fpr)` clipped to 0-1; the variance is

        [V(share) + theta² V(tpr) + (1 - theta)² V(fpr)] / (tpr - fpr)²

    with each V a binomial variance at its Agresti–Coull centre (for mean scores in 0-1 that
    bounds the variance from above), or, given `spreads` (the variance of one unit's score
    among the `n` units, the positives and the negatives: PACC with measured spreads), that
    spread over its count. Both are null where `tpr <= fpr` or `n` is 0 or null.
    """
    youden = tpr - fpr
    valid = (youden > 0) & (n > 0)
    theta = ((share - fpr) / youden).clip(0.0, 1.0)
    if spreads is None:
        parts = (
            binomial_variance(share, n, z=z),
            binomial_variance(tpr, n_pos, z=z),
            binomial_variance(fpr, n_neg, z=z),
        )
    else:
        parts = (spreads[0] / n, spreads[1] / n_pos, spreads[2] / n_neg)
    variance = (parts[0] + theta.pow(2) * parts[1] + (1 - theta).pow(2) * parts[2]) / youden.pow(2)
    return pl.when(valid).then(theta), pl.when(valid).then(variance)


MARGIN_SHARES = (0.1, 0.4)
"""True shares at which `margins` states the margin that the rates alone leave."""


def rates_margin(
    theta: float, tpr: pl.Expr, fpr: pl.Expr, n_pos: pl.Expr, n_neg: pl.Expr, *, z: float = Z_95
) -> pl.Expr:
    """The half-width of the 95% interval that the rates alone put on an adjusted share whose
    true value is `theta`, however many authors its cell has: `adjusted`'s variance without the
    flagged share's term, `z sqrt(theta² V(tpr) + (1 - theta)² V(fpr)) / (tpr - fpr)`. It is the
    part of the error that more labelled posts shrink (benchmarks/RESULTS.md, `prevalence-error`:
    three quarters of it on 1,000 labels). Null where `tpr <= fpr`."""
    variance = theta**2 * binomial_variance(tpr, n_pos, z=z) + (1 - theta) ** 2 * binomial_variance(
        fpr, n_neg, z=z
    )
    return pl.when(tpr > fpr).then(z * variance.sqrt() / (tpr - fpr))


def blended(acc: tuple[pl.Expr, pl.Expr], pacc: tuple[pl.Expr, pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    """ACC and PACC of the same units, each `(theta, variance)` from `adjusted`, combined by
    the inverses of their variances: `(theta, variance)`. Both read the same units, so their
    errors are correlated; the standard deviation is the same weighted mean of theirs (the
    bound for fully correlated errors). Where PACC is null (no score, or its `tpr <= fpr`) the
    result is ACC; null where ACC is. On held-out draws it beats either alone
    (benchmarks/RESULTS.md, `prevalence-error`)."""
    (acc_theta, acc_var), (pacc_theta, pacc_var) = acc, pacc
    total = acc_var + pacc_var
    weight = (
        pl.when(pacc_theta.is_null() | pacc_var.is_null())
        .then(0.0)
        .when(total > 0)
        .then(acc_var / total)
        .otherwise(0.5)
    )
    theta = weight * pacc_theta.fill_null(0.0) + (1 - weight) * acc_theta
    spread = weight * pacc_var.fill_null(0.0).sqrt() + (1 - weight) * acc_var.sqrt()
    return theta, spread.pow(2)


def interval(theta: pl.Expr, variance: pl.Expr, *, z: float = Z_95) -> tuple[pl.Expr, pl.Expr]:
    """`theta ± z·sqrt(variance)`, clipped to 0-1."""
    half = z * variance.sqrt()
    return (theta - half).clip(0.0, 1.0), (theta + half).clip(0.0, 1.0)


def _rate_columns() -> tuple[pl.Expr, ...]:
    """`tpr`, `fpr`, `n_pos`, `n_neg` from a rates table's counts `tp, fn, fp, tn`."""
    n_pos = pl.col("tp") + pl.col("fn")
    n_neg = pl.col("fp") + pl.col("tn")
    return (
        pl.when(n_pos > 0).then(pl.col("tp") / n_pos).alias("tpr"),
        pl.when(n_neg > 0).then(pl.col("fp") / n_neg).alias("fpr"),
        n_pos.alias("n_pos"),
        n_neg.alias("n_neg"),
    )


_AUTHORS = ("n_authors", "n_marked_authors")


def _keyed(rates: pl.DataFrame) -> pl.DataFrame:
    """`marker, lang, rates_version, tpr, fpr, n_pos, n_neg`, SCORE_COLUMNS and `rates_status`
    of a rates table."""
    return rates.select(
        "marker",
        "lang",
        pl.col("marker_version").alias("rates_version"),
        *_rate_columns(),
        *SCORE_COLUMNS,
    ).with_columns(
        status(pl.col("tpr"), pl.col("fpr"), pl.col("n_pos"), pl.col("n_neg")).alias("rates_status")
    )


def _checked() -> pl.Expr:
    """The status of a row joined with `_keyed` rates: NO_RATES, OTHER_VERSION, or theirs."""
    return (
        pl.when(pl.col("rates_version").is_null())
        .then(pl.lit(NO_RATES, STATUS))
        .when(pl.col("rates_version") != pl.col("marker_version"))
        .then(pl.lit(OTHER_VERSION, STATUS))
        .otherwise(pl.col("rates_status"))
    )


def margins(validation: pl.Expr) -> list[pl.Expr]:
    """`rates_margin_<percent>` per share in MARGIN_SHARES (`rates_margin` of the columns `tpr`,
    `fpr`, `n_pos`, `n_neg`), null where `validation` is not VALIDATED."""
    return [
        pl.when(validation == VALIDATED)
        .then(rates_margin(share, pl.col("tpr"), pl.col("fpr"), pl.col("n_pos"), pl.col("n_neg")))
        .alias(f"rates_margin_{round(share * 100)}")
        for share in MARGIN_SHARES
    ]


def marker_validation(series: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """The validation of each `marker, lang, marker_version` of `series` (languages, not the
    `all` roll-up) under `rates`: those columns, `validation`, `tpr`, `fpr`, `n_pos`,
    `n_neg` and the `margins` the rates leave, sorted by marker and language."""
    return (
        series.filter(pl.col("lang") != "all")
        .join(_keyed(rates), on=["marker", "lang"], how="left")
        .select(
            "marker",
            "lang",
            "marker_version",
            _checked().cast(pl.String).alias("validation"),
            "tpr",
            "fpr",
            "n_pos",
            "n_neg",
        )
        .with_columns(margins(pl.col("validation")))
        .sort("marker", "lang")
    )


SCORE_SUMS = ("score_sum", "score_sq_sum")
"""Optional columns of the cells `with_adjusted_prevalence` reads: the sum over the cell's
units (its authors, or its author-days where it carries AUTHOR_DAY_COUNTS) of their score
(0-1: the model probability, or `lexicon_score`, whichever the rates' `score_source` names),
and of its square."""

LEXICON_CAP = 2
"""The count of a marker's terms in a post at which `lexicon_score` reaches 1."""

LEXICON_SOURCE = f"lexicon count, capped at {LEXICON_CAP}"
"""The `score_source` (transforms.rates) of statistics measured on `lexicon_score`."""


def lexicon_score(count: pl.Expr, *, cap: int = LEXICON_CAP) -> pl.Expr:
    """A post's graded lexicon score in 0-1, PACC's score where the marker has no model
    probability that separates: the number of the marker's terms the post holds (the lexicon's
    `<marker>__count`, transforms.markers.score) capped at `cap`, over `cap`. PACC needs only a
    mean that differs between posts in the state and the others, not a calibrated
    probability. Null where the count is (no terms in the post's language). Statistics
    recorded as LEXICON_SOURCE are of the default cap (benchmarks/prevalence.py compares
    others)."""
    return count.cast(pl.Float64).clip(upper_bound=cap) / cap


def with_adjusted_prevalence(
    daily: pl.DataFrame,
    rates: pl.DataFrame,
    *,
    z: float = Z_95,
    max_bounded_share: float = MAX_BOUNDED_SHARE,
    units: str = "authors",
) -> pl.DataFrame:
    """Daily aggregates with `validation` and ADJUSTED_COLUMNS (author prevalence corrected
    for marker error, 95% interval). The input is not modified; rows keep their order.

    The share corrected is the one `prevalence` shows: over a row's units, `n_marked_authors
    / n_authors`, or, where `daily` has AUTHOR_DAY_COUNTS (published rows: a week's or 8-week
    period's author-days), `n_marked_author_days / n_author_days`; the units are the flagged
    share's trials in the interval (where `daily` has EFFECTIVE_TRIALS, as published rows do,
    those trials instead, as in the row's Wilson interval; a null one falls back to the units),
    the divisor of SCORE_SUMS and a roll-up's weights.

    `rates` has one row per `marker, lang` with `marker_version, tp, fn, fp, tn` and the
    optional SCORE_COLUMNS (transforms.rates). A language row is adjusted with its own rates
    when they are VALIDATED (`status`): by ACC (`adjusted` of the flagged share), or, where
    the row has SCORE_SUMS and the rates SCORE_COLUMNS, by `blended` ACC and PACC (`adjusted`
    of the mean score, with the measured spreads); ACC's status gates both. A `lang = all`
    roll-up combines its language rows of the same day, region, marker and version, weighted
    by their units (transforms.rollups.rolled_up): VALIDATED when all of them are (the weighted mean of
    their adjusted shares, variance the weighted sum: languages independent); BOUNDED when
    some are and those that are not hold at most `max_bounded_share` of the units; their
    common status when all share one; else MIXED. One with no language row is NO_RATES, or,
    where `daily` has a `grain` column, HIDDEN_PART (its languages are of other periods). Both
    need every language row published, and, where `daily` has a `grain` column, of the
    roll-up's grain: a suppressed one (null `n_authors`) would leave its authors out of the
    mean and of the bounded share, and one of a week among days would mix a week's authors
    into a day's, so either makes the roll-up MIXED, or HIDDEN_PART where all its languages
    are validated. A BOUNDED, MIXED or HIDDEN_PART roll-up's `validation` goes on to name
    each language that is not validated or is so hidden, its reason and its share of the
    units (`% of authors`, or what `units` names, or `% of author-days` in a row of a `grain`
    above a day; of the roll-up row's units where a language is hidden; `suppressed` or `published by <grain>`
    for that one). Where neither VALIDATED nor BOUNDED, and in a suppressed row (null units, a
    roll-up's included), the adjusted columns are null: never a silent zero.
    """
    counts = AUTHOR_DAY_COUNTS if set(AUTHOR_DAY_COUNTS) <= set(daily.columns) else _AUTHORS
    theta, variance = _estimate(daily, z=z)
    validated = pl.col("_status") == VALIDATED
    found = (
        daily.lazy()
        .with_columns(
            pl.col("lang").alias("_lang"),
            pl.col(counts[0]).alias("_units"),
            pl.col(counts[1]).alias("_marked_units"),
        )
        .with_columns(_trials(daily.columns).alias("_trials"))
        .join(
            _keyed(rates).lazy(),
            left_on=["marker", "_lang"],
            right_on=["marker", "lang"],
            how="left",
            maintain_order="left",
        )
        .with_columns(_checked().alias("_status"))
        .with_columns(
            pl.when(validated).then(theta).alias("_theta"),
            pl.when(validated).then(variance).alias("_var"),
        )
    )
    found = rolled_up(found, max_bounded_share, grains="grain" in daily.columns, units=units)
    published = pl.col("_status").is_in([VALIDATED, BOUNDED]) & pl.col("_units").is_not_null()
    half = z * pl.col("_var").sqrt()
    lo = (pl.col("_theta") - half - pl.col("_below")).clip(0.0, 1.0)
    hi = (pl.col("_theta") + half + pl.col("_above")).clip(0.0, 1.0)
    named = (
        pl.col("_status").is_in([BOUNDED, MIXED, HIDDEN_PART])
        & (pl.col("lang") == "all")
        & pl.col("_named").is_not_null()
    )
    text = pl.col("_status").fill_null(NO_RATES).cast(pl.String)
    return found.select(
        *daily.columns,
        pl.when(named)
        .then(pl.format("{} ({})", text, pl.col("_named")))
        .otherwise(text)
        .alias("validation"),
        *(
            pl.when(published).then(bound).fill_nan(None).alias(name)
            for bound, name in zip((pl.col("_theta"), lo, hi), ADJUSTED_COLUMNS, strict=True)
        ),
    ).collect(engine="in-memory")


def _trials(columns: list[str]) -> pl.Expr:
    """The trials of a row's flagged share in its variance: its EFFECTIVE_TRIALS where it has
    them (a published row: a period's author-days with authors as clusters), else its units."""
    units = pl.col("_units").cast(pl.Float64)
    return pl.coalesce(EFFECTIVE_TRIALS, units) if EFFECTIVE_TRIALS in columns else units


def _estimate(daily: pl.DataFrame, *, z: float) -> tuple[pl.Expr, pl.Expr]:
    """`(theta, variance)` of each row of `daily` joined with `_keyed` rates, over its `_units`
    (flagged: `_marked_units`; the flagged share's variance over its `_trials`): ACC, blended
    with PACC where `daily` has SCORE_SUMS (see with_adjusted_prevalence)."""
    n = pl.col("_units")
    rates = (pl.col("tpr"), pl.col("fpr"), pl.col("n_pos"), pl.col("n_neg"))
    acc = adjusted(pl.col("_marked_units") / n, pl.col("_trials"), *rates, z=z)
    if not set(SCORE_SUMS) <= set(daily.columns):
        return acc
    mean = pl.col("score_sum") / n
    spread = (pl.col("score_sq_sum") / n - mean.pow(2)).clip(lower_bound=0.0)
    pacc = adjusted(
        mean,
        n,
        pl.col("score_pos_mean"),
        pl.col("score_neg_mean"),
        *rates[2:],
        z=z,
        spreads=(spread, pl.col("score_pos_var"), pl.col("score_neg_var")),
    )
    return blended(acc, pacc)


def rates_status(rates: pl.DataFrame) -> pl.DataFrame:
    """`marker`, `lang`, `validation` of each row of a rates table (transforms.rates), judged
    for the marker version the rates were measured on."""
    return rates.select(
        "marker",
        "lang",
        status(
            pl.col("tpr"), pl.col("fpr"), pl.col("tp") + pl.col("fn"), pl.col("fp") + pl.col("tn")
        )
        .cast(pl.String)
        .alias("validation"),
    )


def labelled_shares(
    pairs: pl.DataFrame, *, marker: str, version: str, rates: pl.DataFrame, z: float = Z_95
) -> dict:
    """The shares of one marker on labelled posts: `pairs` has `lang`, `gold` and `hit`
    (booleans, no nulls) and optionally `prob` (the score the rates' statistics were measured
    on, 0-1: a model probability or `lexicon_score`; null where there is none). Returns `prevalence` (true share), `flagged_share` (raw share flagged) and
    `adjusted_prevalence` with `_lo`, `_hi` and `validation` (corrected by `rates` per
    language as `with_adjusted_prevalence` corrects a cell, a language's posts as its authors
    and their scores as its SCORE_SUMS where every post has one; weighted by rows as
    in a roll-up, languages without validated rates bounded where they hold at most
    MAX_BOUNDED_SHARE of the rows; its `validation` names their share `% of labelled
    posts`), and `estimator`: `blend` where some language's adjusted share blended in
    the scores (rates that `separates`), `acc` where none did, None without an
    adjusted share. Shares are None for
    empty `pairs`."""
    counts = [pl.len().alias("n_authors"), pl.col("hit").sum().alias("n_marked_authors")]
    if "prob" in pairs.columns:
        complete = pl.col("prob").null_count() == 0
        counts += [
            pl.when(complete).then(pl.col("prob").sum()).alias(SCORE_SUMS[0]),
            pl.when(complete).then(pl.col("prob").pow(2).sum()).alias(SCORE_SUMS[1]),
        ]
    cells = pl.concat(
        [pairs.group_by("lang").agg(*counts), pairs.select(pl.lit("all").alias("lang"), *counts)],
        how="vertical_relaxed",
    ).with_columns(
        pl.lit(date(1970, 1, 1)).alias("day"),
        pl.lit("all").alias("region"),
        pl.lit(marker).alias("marker"),
        pl.lit(version).alias("marker_version"),
    )
    found = with_adjusted_prevalence(cells, rates, z=z, units="labelled posts")
    row = found.filter(pl.col("lang") == "all").row(0, named=True)
    empty = pairs.is_empty()
    return {
        "prevalence": None if empty else float(pairs.get_column("gold").mean()),
        "flagged_share": None if empty else float(pairs.get_column("hit").mean()),
        **{column: row[column] for column in ADJUSTED_COLUMNS},
        "validation": row["validation"],
        "estimator": None
        if row[ADJUSTED_COLUMNS[0]] is None
        else "blend"
        if _scored(found, rates, marker)
        else "acc",
    }


def separates() -> pl.Expr:
    """Whether a rates row (transforms.rates) holds score statistics that give PACC an
    estimate: all of SCORE_COLUMNS, and a higher mean score on the labelled positives
    than on the negatives. Elsewhere `blended` is ACC."""
    return pl.all_horizontal(pl.col(list(SCORE_COLUMNS)).is_not_null()) & (
        pl.col("score_pos_mean") > pl.col("score_neg_mean")
    )


def preferred_scores(rates: pl.DataFrame, fallback: pl.DataFrame) -> pl.DataFrame:
    """`rates` (transforms.rates) with the score statistics (SCORE_COLUMNS and `score_source`)
    of `fallback` (the same markers and languages, measured on another score) in the rows
    where `fallback`'s `separate` and `rates`' own do not. Elsewhere `rates` is unchanged."""
    other = [*SCORE_COLUMNS, "score_source"]
    spare = fallback.select(
        "marker", "lang", *(pl.col(c).alias(f"_{c}") for c in other), separates().alias("_use")
    )
    use = pl.col("_use").fill_null(False) & ~separates().fill_null(False)
    return (
        rates.join(spare, on=["marker", "lang"], how="left", maintain_order="left")
        .with_columns(
            pl.when(use).then(pl.col(f"_{c}")).otherwise(pl.col(c)).alias(c) for c in other
        )
        .select(rates.columns)
    )


def _scored(cells: pl.DataFrame, rates: pl.DataFrame, marker: str) -> bool:
    """Whether some validated language row of `cells` has SCORE_SUMS and `rates` of `marker`
    that `separates` in that language: the rows `with_adjusted_prevalence` blends."""
    if SCORE_SUMS[0] not in cells.columns:
        return False
    scored = rates.filter((pl.col("marker") == marker) & separates())
    return (
        cells.filter(
            (pl.col("lang") != "all")
            & (pl.col("validation") == VALIDATED)
            & pl.col(SCORE_SUMS[0]).is_not_null()
        )
        .join(scored.select("lang"), on="lang")
        .height
        > 0
    )
