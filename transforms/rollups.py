"""Roll-ups (`lang = all`) of prevalence adjusted for marker error: a roll-up's adjusted
share and status combined from its language rows (`rolled_up`, for
transforms.quantify.with_adjusted_prevalence), a small part without validated rates bounded
(MAX_BOUNDED_SHARE), and which statuses carry an adjusted share (`has_adjusted`).
See docs/prevalence.md, "Roll-ups".
"""

from __future__ import annotations

import polars as pl

from transforms.validation import BOUNDED, HIDDEN_PART, MIXED, STATUS, VALIDATED

MAX_BOUNDED_SHARE = 0.05
"""The largest share of a `lang = all` roll-up's units (authors; author-days in a row of a
week or 8-week period) that its languages without validated rates may hold while its adjusted
share is published, their part bounded between 0 and 1 (BOUNDED; docs/prevalence.md,
"Roll-ups")."""

_CELL = ("day", "region", "marker", "marker_version")


def rolled_up(
    found: pl.LazyFrame, max_bounded_share: float, *, grains: bool, units: str
) -> pl.LazyFrame:
    """`found` (rows with their `_status`, `_theta`, `_var`) with the roll-ups' now combined
    from their language rows (see with_adjusted_prevalence), and `_below` and `_above`, what
    the interval widens by below and above: for a BOUNDED roll-up whose languages not
    validated hold a share `w` of its authors and flag a share `f` of theirs, `w f` and
    `w (1 - f)` (their true share at its worst cases, 0 and 1, instead of `f`), else 0; and
    `_named`, a roll-up's languages that are not validated, suppressed, or (with `grains`) of
    a `grain` other than the roll-up's. Weights and shares are of the rows' `_units` (flagged:
    `_marked_units`), named `units` (`author-days` in a row of a `grain` above a day)."""
    cell = list(_CELL)
    part = pl.col("lang") != "all"
    validated = pl.col("_status") == VALIDATED
    authors = pl.col("_units").cast(pl.Float64)
    unit = (
        pl.when(pl.col("grain") == "day").then(pl.lit(units)).otherwise(pl.lit("author-days"))
        if grains
        else pl.lit(units)
    )
    apart = (
        (pl.col("grain") != pl.col("grain").filter(~part).first().over(cell)).fill_null(False)
        if grains
        else pl.lit(False)
    )
    hidden = authors.is_null() | pl.col("_apart")
    total = pl.when(hidden.any()).then(pl.col("_rollup_authors").first()).otherwise(authors.sum())
    why = (
        pl.when(authors.is_null())
        .then(pl.lit("suppressed"))
        .when(pl.col("_apart"))
        .then(pl.format("published by {}", pl.col("grain") if grains else pl.lit("")))
    )
    share = why.otherwise(pl.format("{}% of {}", (100 * authors / total).round(1), unit))
    reason = pl.col("_status").cast(pl.String).str.strip_prefix("not validated: ")
    named = (
        pl.when(validated)
        .then(pl.format("{}: {}", pl.col("lang"), why))
        .otherwise(pl.format("{}: {}, {}", pl.col("lang"), reason, share))
    )
    cells = (
        found.with_columns(
            authors.filter(~part).first().over(cell).alias("_rollup_authors"), apart.alias("_apart")
        )
        .filter(part)
        .group_by(cell)
        .agg(
            authors.sum().alias("_weight"),
            authors.filter(~validated).sum().alias("_outside"),
            pl.col("_marked_units").filter(~validated).sum().cast(pl.Float64).alias("_marked"),
            hidden.any().alias("_hidden"),
            validated.any().alias("_some"),
            validated.all().alias("_all"),
            pl.col("_status").n_unique().alias("_kinds"),
            pl.col("_status").first().alias("_first"),
            (authors * pl.col("_theta")).filter(validated).sum().alias("_sum"),
            (authors.pow(2) * pl.col("_var")).filter(validated).sum().alias("_squares"),
            named.filter(~validated | hidden).sort().str.join("; ").alias("_named"),
        )
    )
    complete = ~pl.col("_hidden")
    bounded = (
        pl.col("_some") & complete & (pl.col("_outside") <= max_bounded_share * pl.col("_weight"))
    )
    status = (
        pl.when((pl.col("_kinds") == 1) & (complete | ~pl.col("_all")))
        .then(pl.col("_first"))
        .when(bounded)
        .then(pl.lit(BOUNDED, STATUS))
        .when(pl.col("_all"))
        .then(pl.lit(HIDDEN_PART, STATUS))
        .when(pl.col("_kinds").is_not_null())
        .then(pl.lit(MIXED, STATUS))
        .when(pl.lit(grains))
        .then(pl.lit(HIDDEN_PART, STATUS))
    )
    weight = pl.col("_weight")
    rolled = {
        "_status": status,
        "_theta": (pl.col("_sum") + pl.col("_marked")) / weight,
        "_var": pl.col("_squares") / weight.pow(2),
        "_below": pl.col("_marked") / weight,
        "_above": (pl.col("_outside") - pl.col("_marked")) / weight,
    }
    own = {"_status", "_theta", "_var"}
    return found.join(cells, on=cell, how="left", maintain_order="left").with_columns(
        pl.when(part).then(pl.col(name) if name in own else 0.0).otherwise(value).alias(name)
        for name, value in rolled.items()
    )


def has_adjusted(validation: pl.Expr) -> pl.Expr:
    """Whether a `validation` value of `with_adjusted_prevalence` goes with a published
    adjusted share: VALIDATED, or a roll-up validated in part (BOUNDED, its interval wider)."""
    return (validation == VALIDATED) | validation.str.starts_with(BOUNDED)
