"""Scoring a backtest's forecasts against the actual timeline, per series, model and window.

`forecasting.backtest` makes the forecasts (PREDICTION_SCHEMA); `score` and `mase_by_lead` read
them against the periods they forecast. Scores:

- MAPE (%): mean |y − ŷ| / |y| over the forecasts of periods with y ≠ 0, every lead;
- sMAPE (%): mean 2|y − ŷ| / (|y| + |ŷ|) (0 where both are 0), every lead;
- MASE: mean |y − ŷ| over every lead, over one scale per series, the same for every model: the
  in-sample mean absolute seasonal difference (seasonal naive's one-step error, lag
  `season_length`) of the history before the test span, which always holds two seasons;
- peak hit rate and precision at ±2/±3/±7 (forecasting.peaks.peak_counts): the paper's peak
  rule (smoothing over `peak_window` periods, the paper's one week of days, whatever the
  season) run separately on the model's forecast timeline at one lead (`peak_lead`, by
  default `horizon`: for each period, the forecast made `peak_lead` periods before it) and on
  the actual timeline of the test span (suppressed periods NaN); hit rate ±k is the share of real
  peaks with a predicted peak within ±k periods, precision ±k the share of predicted peaks
  with a real one within ±k. A fixed lead keeps the forecast timeline free of the jumps where
  blocks of forecasts from different origins would meet;
- onset hit rate and precision at ±3 (forecasting.peaks.onset_counts): CDC's onset rule (the
  first of 3 or more periods in a row at or above a baseline, the mean + 2 sd of the observed
  periods before the test span) run on the same two timelines against the same baseline; the
  onset hit rate is the share of real onsets with a predicted onset within ±3 periods, onset
  precision the share of predicted onsets with a real one within ±3. Persistence's row is
  the bar: its timeline is the actual one `peak_lead` periods late, and so are its onsets.

Only observed periods are scored: a period filled in for fitting (a suppressed day) never is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from forecasting.peaks import (
    HIT_TOLERANCES,
    ONSET_TOLERANCE,
    onset_baseline,
    onset_counts,
    peak_counts,
)
from transforms.contracts import BACKTEST_SCHEMA

if TYPE_CHECKING:
    from forecasting.backtest import BacktestConfig

PREDICTION_SCHEMA = {
    "unique_id": pl.String,
    "window": pl.String,
    "model": pl.String,
    "cutoff": pl.Date,
    "ds": pl.Date,
    "lead": pl.Int64,
    "yhat": pl.Float64,
}
"""One forecast: made from the data up to `cutoff` (the last period before its origin) for
`ds`, `lead` periods later (1…horizon)."""

COUNT_COLUMNS = (
    "n_scored",
    "n_real_peaks",
    "n_predicted_peaks",
    *(f"n_hits_{k}" for k in HIT_TOLERANCES),
    *(f"n_true_peaks_{k}" for k in HIT_TOLERANCES),
    "n_real_onsets",
    "n_predicted_onsets",
    "n_onset_hits",
    "n_true_onsets",
)

ONSET_RATES = {
    f"onset_hit_rate_{ONSET_TOLERANCE}": pl.Float64,
    f"onset_precision_{ONSET_TOLERANCE}": pl.Float64,
}
"""The onset hit rate and precision (shares in 0–1, null on no real or no predicted onset):
scored and printed, not stored in the warehouse's `backtests` table."""

SCORE_SCHEMA = {
    **{k: v for k, v in BACKTEST_SCHEMA.items() if k != "run_id"},
    **ONSET_RATES,
    **dict.fromkeys(COUNT_COLUMNS, pl.Int64),
}
"""Per series, model and window: BACKTEST_SCHEMA's scores (no `run_id`), ONSET_RATES and the
counts they come from (scored periods, real and predicted peaks and onsets, hits), for
pooling."""


def score(
    frame: pl.DataFrame, predictions: pl.DataFrame, *, config: BacktestConfig
) -> pl.DataFrame:
    """SCORE_SCHEMA rows of `predictions` (PREDICTION_SCHEMA) against `frame` (validated,
    sorted, as `backtest` bounds it), per series, window and model.

    The test span is the `test_periods` periods that end `horizon − 1` before each series'
    last one; errors average every forecast of a span period, peaks read the `config.lead`
    timeline (a period without that forecast is NaN, which predicts no peak).
    """
    rows = []
    by_series = predictions.partition_by("unique_id", as_dict=True)
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        y = part["y"].to_numpy()
        observed = part["observed"].to_numpy()
        span = config.test_span(len(y))
        scale = _mase_scale(y[: span.start], observed[: span.start], config.season_length)
        baseline = onset_baseline(np.where(observed, y, np.nan)[: span.start])
        periods = part[span].select("ds", "y", "observed", pl.int_range(pl.len()).alias("_i"))
        actual = np.where(observed, y, np.nan)[span]
        mine = by_series.get((uid,), pl.DataFrame(schema=PREDICTION_SCHEMA))
        for (window, model), found in mine.partition_by("window", "model", as_dict=True).items():
            pairs = found.join(periods, on="ds", how="inner")
            timeline = np.full(config.test_periods, np.nan)
            at_lead = pairs.filter(pl.col("lead") == config.lead)
            timeline[at_lead["_i"].to_numpy()] = at_lead["yhat"].to_numpy()
            rows.append(
                {
                    "unique_id": uid,
                    "model": model,
                    "window": window,
                    **_errors(
                        pairs["y"].to_numpy(),
                        pairs["yhat"].to_numpy(),
                        pairs["observed"].to_numpy(),
                        scale,
                    ),
                    "n_scored": int(observed[span].sum()),
                    **peak_counts(actual, timeline, window=config.peak_window),
                    **onset_counts(actual, timeline, baseline=baseline),
                }
            )
    return with_rates(
        pl.DataFrame(rows, schema={**SCORE_SCHEMA}, orient="row")
        if rows
        else pl.DataFrame(schema=SCORE_SCHEMA)
    )


LEAD_SCHEMA = {
    "unique_id": pl.String,
    "window": pl.String,
    "model": pl.String,
    "lead": pl.Int64,
    "mase": pl.Float64,
}
"""MASE per series, window, model and lead (the forecasts made that many periods ahead)."""


def mase_by_lead(
    frame: pl.DataFrame, predictions: pl.DataFrame, *, config: BacktestConfig
) -> pl.DataFrame:
    """LEAD_SCHEMA rows of `predictions` against `frame` (as in `score`): for each lead, the
    mean absolute error of the forecasts of the test span's observed periods made that many
    periods ahead, over the same per-series scale as `score`'s MASE (null where a forecast
    is not finite or the scale is 0)."""
    parts = []
    by_series = predictions.partition_by("unique_id", as_dict=True)
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        if (uid,) not in by_series:
            continue
        y, observed = part["y"].to_numpy(), part["observed"].to_numpy()
        span = config.test_span(len(y))
        scale = _mase_scale(y[: span.start], observed[: span.start], config.season_length)
        periods = part[span].filter("observed").select("ds", "y")
        usable = np.isfinite(scale) and scale > 0
        parts.append(
            by_series[(uid,)]
            .join(periods, on="ds", how="inner")
            .group_by("window", "model", "lead")
            .agg(
                pl.when(pl.col("yhat").is_finite().all() & pl.lit(usable))
                .then((pl.col("y") - pl.col("yhat")).abs().mean() / scale)
                .alias("mase")
            )
            .with_columns(pl.lit(uid).alias("unique_id"))
        )
    if not parts:
        return pl.DataFrame(schema=LEAD_SCHEMA)
    found = pl.concat(parts).select(LEAD_SCHEMA.keys()).cast(LEAD_SCHEMA)
    return found.sort("unique_id", "window", "model", "lead")


def _mase_scale(history: np.ndarray, observed: np.ndarray, lag: int) -> float:
    """Mean absolute lag-`lag` difference of the observed pairs of `history` (NaN if none)."""
    both = observed[lag:] & observed[:-lag]
    if len(history) <= lag or not both.any():
        return float("nan")
    return float(np.mean(np.abs(history[lag:] - history[:-lag])[both]))


def _errors(y: np.ndarray, yhat: np.ndarray, observed: np.ndarray, scale: float) -> dict:
    keep = observed & np.isfinite(yhat)
    if not keep.any() or not np.isfinite(yhat).all():
        return {"mape": None, "smape": None, "mase": None}
    actual, predicted = y[keep], yhat[keep]
    error = np.abs(actual - predicted)
    nonzero = actual != 0
    denominator = np.abs(actual) + np.abs(predicted)
    smape = np.where(denominator > 0, 2 * error / np.where(denominator > 0, denominator, 1), 0.0)
    return {
        "mape": float(100 * np.mean(error[nonzero] / np.abs(actual[nonzero])))
        if nonzero.any()
        else None,
        "smape": float(100 * np.mean(smape)),
        "mase": float(np.mean(error) / scale) if np.isfinite(scale) and scale > 0 else None,
    }


def with_rates(counts: pl.DataFrame) -> pl.DataFrame:
    """Hit rates and precisions of peaks and onsets recomputed from the count columns (null
    on no peaks or onsets)."""
    hit_rate, precision = ONSET_RATES
    rates = [
        _share("n_onset_hits", "n_real_onsets").alias(hit_rate),
        _share("n_true_onsets", "n_predicted_onsets").alias(precision),
    ]
    for k in HIT_TOLERANCES:
        rates.append(_share(f"n_hits_{k}", "n_real_peaks").alias(f"hit_rate_{k}"))
        rates.append(_share(f"n_true_peaks_{k}", "n_predicted_peaks").alias(f"peak_precision_{k}"))
    return counts.with_columns(
        pl.col(c).fill_null(0) for c in COUNT_COLUMNS if c != "n_scored"
    ).with_columns(rates)


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).otherwise(None)
