"""The quarter-mean interval the publishing benchmarks check published quarters against.

One definition for benchmarks/publishing.py and benchmarks/grain_choice.py: a quarter's
published mean is the mean of its published days' shares; each day carries its own share
(a day published by itself) or its week's or 8-week period's (a period published whole), so
the mean is the shares of those cells weighted by their days in the quarter, and its standard
error combines each cell's binomial variance over the trials its published interval is over
(`effective_trials`: the day's authors, or the effective trials of the period's author-days
with authors as clusters, transforms.prevalence.effective_trials). Reads counts only.
"""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL
from transforms.periods import period_start
from transforms.prevalence import EFFECTIVE_TRIALS
from transforms.publish import published_days
from transforms.releases import Release

Z95 = 1.959964
MIN_DAYS = 60


def quarter_intervals(
    daily: pl.DataFrame, weeks: pl.DataFrame, *, k: int, week_grain: str = "iso_week"
) -> pl.DataFrame:
    """Per top-level marker and quarter with at least `MIN_DAYS` published days: `n` (published
    days), `ours` (mean published share over them), `truth` (mean of their exact daily shares),
    `se` (standard error of `ours`), `rel` (relative error, 0 where exact) and `z` ((ours -
    truth) / se, 0 where exact). `daily` and `weeks` as warehouse.queries.current_daily and
    publishable_periods return them."""
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    shown = published_days(daily, weeks, Release(k=k, week_grain=week_grain)).filter(
        top, ~pl.col("suppressed")
    )
    truth = daily.filter(top).select(
        "marker", "day", (pl.col("n_marked_authors") / pl.col("n_authors")).alias("truth")
    )
    cell = pl.when(pl.col("grain") == "day").then(pl.col("day"))
    for grain in sorted(set(weeks.get_column("grain").unique().to_list())):
        cell = cell.when(pl.col("grain") == grain).then(period_start(pl.col("day"), grain))
    days = (
        shown.with_columns(cell.alias("period_start"))
        .with_columns(n=pl.col(EFFECTIVE_TRIALS), quarter=pl.col("day").dt.truncate("1q"))
        .join(truth, on=["marker", "day"])
    )
    per_cell = days.group_by("marker", "quarter", "grain", "period_start").agg(
        pl.len().alias("d"), pl.col("prevalence", "n").first(), pl.col("truth").sum()
    )
    p, d = pl.col("prevalence"), pl.col("d")
    return (
        per_cell.group_by("marker", "quarter")
        .agg(
            n=d.sum(),
            ours=(d * p).sum() / d.sum(),
            truth=pl.col("truth").sum() / d.sum(),
            se=(d**2 * p * (1 - p) / pl.col("n")).sum().sqrt() / d.sum(),
        )
        .filter(pl.col("n") >= MIN_DAYS)
        .with_columns(
            rel=relative_error("ours"),
            z=pl.when(pl.col("ours") == pl.col("truth"))
            .then(0.0)
            .otherwise((pl.col("ours") - pl.col("truth")) / pl.col("se")),
        )
        .sort("marker", "quarter")
    )


def relative_error(column: str) -> pl.Expr:
    """|`column` - truth| / truth, 0 where they are equal (a share of 0 published exactly)."""
    return (
        pl.when(pl.col(column) == pl.col("truth"))
        .then(0.0)
        .otherwise((pl.col(column) - pl.col("truth")).abs() / pl.col("truth"))
    )


def outside(*, tolerance: float = 0.05) -> pl.Expr:
    """True for a row of `quarter_intervals` whose published mean is off the truth by more than
    `tolerance` (relative) and lies outside the 95 % interval of the quarter's mean."""
    return (pl.col("rel") > tolerance) & (pl.col("z").abs() > Z95)
