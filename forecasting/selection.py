"""Per-series model choice by backtest MASE, and the protocol's summary table.

MAPE explodes on near-zero prevalence, so the choice is by MASE: for each series, the model
(persistence excepted: it is the baseline every table shows) with the lowest MASE on the
bounded full history (`all`, what `moodcast run` refits on) makes
the forecast; ties go to the model listed first in `MODELS`.
"""

from __future__ import annotations

import polars as pl

from forecasting.backtest import MODELS, PERSISTENCE, SELECTED, BacktestResult
from forecasting.scoring import COUNT_COLUMNS, ONSET_RATES, SCORE_SCHEMA, with_rates
from transforms.contracts import BACKTEST_SCHEMA, MODEL_CHOICE_SCHEMA

DEFAULT_MODEL = "AutoETS"
"""The model a series gets before any selection has scored it."""

SUMMARY_SCHEMA = {
    **{k: v for k, v in BACKTEST_SCHEMA.items() if k not in ("unique_id", "run_id")},
    **ONSET_RATES,
}
"""`moodcast backtest`'s rows: per model and window, the mean MAPE, sMAPE and MASE over series
and the hit rates and precisions of the peaks and of the onsets of all series pooled."""

_ORDER = {name: i for i, name in enumerate((*MODELS, SELECTED))}


def best_models(scores: pl.DataFrame) -> pl.DataFrame:
    """Per series and window, the row of the model with the lowest finite MASE (SCORE_SCHEMA);
    persistence is the baseline, never chosen."""
    return (
        scores.filter(
            pl.col("mase").is_not_null()
            & pl.col("mase").is_finite()
            & (pl.col("model") != PERSISTENCE)
        )
        .with_columns(pl.col("model").replace_strict(_ORDER, default=len(_ORDER)).alias("_rank"))
        .sort("unique_id", "window", "mase", "_rank")
        .group_by("unique_id", "window", maintain_order=True)
        .first()
        .drop("_rank")
    )


def summarise(scores: pl.DataFrame, *, windows: tuple[str, ...]) -> pl.DataFrame:
    """SUMMARY_SCHEMA rows for every model and for `selected` (each series' best model in
    that window), ordered by window as given, then model as in MODELS."""
    chosen = best_models(scores).with_columns(pl.lit(SELECTED).alias("model"))
    both = pl.concat([scores, chosen.select(scores.columns)])
    pooled = both.group_by("model", "window").agg(
        pl.col("mape").mean(),
        pl.col("smape").mean(),
        pl.col("mase").mean(),
        *(pl.col(c).sum() for c in COUNT_COLUMNS),
    )
    window_order = {w: i for i, w in enumerate(windows)}
    return (
        with_rates(pooled)
        .sort(
            pl.col("window").replace_strict(window_order, default=len(window_order)),
            pl.col("model").replace_strict(_ORDER, default=len(_ORDER)),
        )
        .select(SUMMARY_SCHEMA.keys())
        .cast(SUMMARY_SCHEMA)
    )


LEAD_SUMMARY_SCHEMA = {
    "window": pl.String,
    "lead": pl.Int64,
    "model": pl.String,
    "mase": pl.Float64,
}
"""`moodcast backtest --by-lead`'s rows: per window, lead and model, the mean MASE over series."""


def summarise_by_lead(
    scores: pl.DataFrame, lead_scores: pl.DataFrame, *, windows: tuple[str, ...]
) -> pl.DataFrame:
    """LEAD_SUMMARY_SCHEMA rows of `lead_scores` (forecasting.scoring.LEAD_SCHEMA) for every
    model and for `selected`: each series' model chosen on all leads together from `scores`
    (as `summarise` chooses it, never again per lead). Ordered by window as given, lead,
    then model as in MODELS."""
    chosen = best_models(scores).select("unique_id", "window", "model")
    selected = lead_scores.join(chosen, on=["unique_id", "window", "model"], how="semi")
    both = pl.concat([lead_scores, selected.with_columns(pl.lit(SELECTED).alias("model"))])
    window_order = {w: i for i, w in enumerate(windows)}
    return (
        both.group_by("window", "lead", "model")
        .agg(pl.col("mase").mean())
        .sort(
            pl.col("window").replace_strict(window_order, default=len(window_order)),
            "lead",
            pl.col("model").replace_strict(_ORDER, default=len(_ORDER)),
        )
        .select(LEAD_SUMMARY_SCHEMA.keys())
        .cast(LEAD_SUMMARY_SCHEMA)
    )


def to_backtests(scores: pl.DataFrame, *, run_id: str) -> pl.DataFrame:
    """Per-series scores as BACKTEST_SCHEMA rows, for the warehouse's `backtests` table."""
    return (
        scores.cast(SCORE_SCHEMA)
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(BACKTEST_SCHEMA.keys())
    )


def choose_models(
    result: BacktestResult, series_ids: list[str], *, run_id: str, window: str = "all"
) -> pl.DataFrame:
    """MODEL_CHOICE_SCHEMA rows for every id in `series_ids`: `selected` with the lowest MASE
    in `window`, else `default` (DEFAULT_MODEL) with the reason it was not selected. The
    reason names the models that failed on the series in the backtest (`result.failures`)."""
    best = best_models(result.scores.filter(pl.col("window") == window))
    chosen = {row["unique_id"]: row for row in best.iter_rows(named=True)}
    failed = dict(
        result.failures.filter(pl.col("window") == window)
        .group_by("unique_id")
        .agg(pl.col("model").unique().sort().str.join(", "))
        .iter_rows()
    )
    short = set(result.too_short)
    rows = []
    for uid in sorted(set(series_ids)):
        note = f" {failed[uid]} failed in the backtest." if uid in failed else ""
        if uid in chosen:
            row = chosen[uid]
            rows.append(
                (
                    uid,
                    row["model"],
                    "selected",
                    f"{row['model']} had the lowest backtest error (MASE {row['mase']:.2f}) "
                    f"on the bounded history.{note}",
                    row["mase"],
                )
            )
            continue
        why = (
            "The series is too short to backtest"
            if uid in short
            else "No model could be scored on this series"
        )
        rows.append(
            (uid, DEFAULT_MODEL, "default", f"{why}, so it uses {DEFAULT_MODEL}.{note}", None)
        )
    return (
        pl.DataFrame(
            rows,
            schema={k: v for k, v in MODEL_CHOICE_SCHEMA.items() if k != "run_id"},
            orient="row",
        )
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(MODEL_CHOICE_SCHEMA.keys())
    )
