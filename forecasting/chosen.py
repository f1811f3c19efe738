"""The daily forecast: each series' chosen model only, refitted on bounded history.

Model selection (forecasting.selection) is a scheduled step; the daily run refits just the
model it chose per series (the default model where none was chosen yet). A model that fails,
or a series shorter than `MIN_FIT_PERIODS`, goes down the fallback chain of
forecasting.models, and the choice then says `fallback` and why. Seasonal models take the
season of the series' frequency (7 days, 52 weeks) and fit without one on a history shorter
than two seasons. This is the only forecasting path of the package.
"""

from __future__ import annotations

import polars as pl

from forecasting.backtest import CANDIDATES, ENSEMBLE, candidate_models
from forecasting.frequency import DAY, Frequency
from forecasting.models import (
    FITTED_SCHEMA,
    LONG_SCHEMA,
    MIN_FIT_PERIODS,
    ModelOutput,
    chain_forecasts,
    fit_forecast,
    ok_reason,
)
from forecasting.selection import DEFAULT_MODEL
from forecasting.series import NOTES_SCHEMA, Cause
from transforms.contracts import FORECAST_SCHEMA, MODEL_CHOICE_SCHEMA

_VALUES = ("mean", "lo_80", "hi_80", "lo_95", "hi_95")
_NOTE_COLUMNS = {k: v for k, v in NOTES_SCHEMA.items() if k != "unit"}

PARALLEL_MIN_PERIODS = 10_000
"""A model's batch is fitted in `n_jobs` worker processes only from this many periods (all its
series together). Starting the workers costs ~0.1-0.2 CPU s (more with a large parent
process); on the 1M sample run's 95 weekly series (4,940 periods, AutoETS ~0.4 CPU s) that
was a third more CPU for at most 0.2 s of wall time, while its 126 daily series (45,990
periods, ~3 CPU s) paid 13% to halve the wall time."""


def published_choice(
    backtests: pl.DataFrame, series_ids: list[str], *, run_id: str, window: str = "all"
) -> pl.DataFrame:
    """MODEL_CHOICE_SCHEMA rows for `series_ids` from stored BACKTEST_SCHEMA rows: the lowest
    finite MASE in `window` (`selected`), else DEFAULT_MODEL (`default`)."""
    from forecasting.selection import best_models

    best = best_models(backtests.filter(pl.col("window") == window))
    chosen = {row["unique_id"]: row for row in best.iter_rows(named=True)}
    rows = []
    for uid in sorted(set(series_ids)):
        row = chosen.get(uid)
        if row is not None:
            reason = (
                f"{row['model']} had the lowest backtest error (MASE {row['mase']:.2f}) on the "
                f"bounded history."
            )
            rows.append((uid, row["model"], "selected", reason, row["mase"]))
        else:
            reason = (
                f"No backtest has scored this series yet (`moodcast backtest --warehouse` does), "
                f"so it uses {DEFAULT_MODEL}."
            )
            rows.append((uid, DEFAULT_MODEL, "default", reason, None))
    schema = {k: v for k, v in MODEL_CHOICE_SCHEMA.items() if k != "run_id"}
    return (
        pl.DataFrame(rows, schema=schema, orient="row")
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(MODEL_CHOICE_SCHEMA.keys())
    )


def forecast_chosen(
    fit: pl.DataFrame,
    history: pl.DataFrame,
    choice: pl.DataFrame,
    *,
    run_id: str,
    horizon: int = 14,
    n_jobs: int = 1,
    freq: Frequency = DAY,
    fitted: bool = True,
) -> tuple[ModelOutput, pl.DataFrame]:
    """Forecast each series of `history` `horizon` periods of `freq` ahead with its model in
    `choice` (MODEL_CHOICE_SCHEMA).

    `fit` and `history` come from `prepare_series`. A series missing from `choice` gets
    DEFAULT_MODEL. A model's series are fitted together (those with two seasons of history
    apart from the shorter ones, which fit without a season: `candidate_models`), in `n_jobs`
    processes where they hold PARALLEL_MIN_PERIODS periods or more. `Ensemble` fits every
    model of CANDIDATES and publishes the median of each forecast column. Returns the
    ModelOutput (forecasts under the published model's name, fitted values and NOTES_SCHEMA
    notes, each with the series' `unit`) and the choice as published: status `fallback`, with
    the reason, where the series is shorter than MIN_FIT_PERIODS periods, its chosen model is
    unknown or failed; the fallback's note carries that Cause (`cause`).
    With `fitted` False no model computes in-sample values and ModelOutput.fitted is empty.
    """
    lengths = dict(history.select("unique_id", "n_days").iter_rows())
    interpolated = dict(history.select("unique_id", "n_interpolated").iter_rows())
    wanted = {row["unique_id"]: row for row in choice.iter_rows(named=True)}
    forecasts, in_sample, notes, published = [], [], [], []
    groups: dict[tuple[str, bool], list[str]] = {}
    short: dict[str, tuple[Cause, str]] = {}
    for uid in sorted(lengths):
        row = wanted.get(uid)
        model = row["model"] if row else DEFAULT_MODEL
        if lengths[uid] < MIN_FIT_PERIODS or model not in (*CANDIDATES, ENSEMBLE):
            short[uid] = (
                (Cause.SHORT_HISTORY, f"Only {freq.describe(lengths[uid])} of history, fewer "
                 f"than {MIN_FIT_PERIODS}")
                if lengths[uid] < MIN_FIT_PERIODS
                else (Cause.UNKNOWN_MODEL, f"{model} is not a model this moodcast knows")
            )  # fmt: skip
            continue
        groups.setdefault((model, lengths[uid] >= 2 * freq.season), []).append(uid)
    state = (forecasts, in_sample, notes, published)
    _fallback(fit, short, (horizon, freq, fitted), *state, wanted)
    for (model, _), batch in sorted(groups.items()):
        try:
            batch_frame = fit.filter(pl.col("unique_id").is_in(batch))
            jobs = n_jobs if batch_frame.height >= PARALLEL_MIN_PERIODS else 1
            fc, fv = _fit(batch_frame, model, horizon, jobs, freq, fitted)
        except Exception:
            for uid in batch:
                one = fit.filter(pl.col("unique_id") == uid)
                try:
                    fc, fv = _fit(one, model, horizon, 1, freq, fitted)
                except Exception as exc:
                    why = {uid: (Cause.MODEL_FAILED, f"{model} failed ({type(exc).__name__})")}
                    _fallback(fit, why, (horizon, freq, fitted), *state, wanted)
                    continue
                reason = ok_reason(lengths[uid], interpolated[uid], freq.unit)
                _keep({uid: reason}, model, fc, fv, *state, wanted)
            continue
        reasons = {uid: ok_reason(lengths[uid], interpolated[uid], freq.unit) for uid in batch}
        _keep(reasons, model, fc, fv, *state, wanted)
    observed = fit.filter(pl.col("observed")).select("unique_id", "ds", "y")
    fitted_frame = (
        pl.concat(
            [pl.DataFrame(schema=LONG_SCHEMA), *(in_sample if fitted else [])],
            how="vertical_relaxed",
        )
        .join(observed, on=["unique_id", "ds"], how="inner")
        .select(FITTED_SCHEMA.keys())
        .cast(FITTED_SCHEMA)
        .sort("unique_id", "ds")
    )
    forecast_frame = (
        pl.concat([pl.DataFrame(schema=LONG_SCHEMA), *forecasts], how="vertical_relaxed")
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(FORECAST_SCHEMA.keys())
        .cast(FORECAST_SCHEMA)
        .sort("unique_id", "ds")
    )
    schema = {k: v for k, v in MODEL_CHOICE_SCHEMA.items() if k != "run_id"}
    choice_frame = (
        pl.DataFrame(published, schema=schema, orient="row")
        .with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
        .select(MODEL_CHOICE_SCHEMA.keys())
        .sort("unique_id")
    )
    output = ModelOutput(
        forecasts=forecast_frame,
        fitted=fitted_frame,
        notes=pl.DataFrame(notes, schema=_NOTE_COLUMNS, orient="row")
        .with_columns(pl.lit(freq.unit).alias("unit"))
        .cast(NOTES_SCHEMA)
        .sort("unique_id"),
    )
    return output, choice_frame


def _fit(
    frame: pl.DataFrame, model: str, horizon: int, n_jobs: int, freq: Frequency, fitted: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forecast and fitted values (empty unless `fitted`) of `model` (or the Ensemble median)
    on `frame`; may raise."""
    size = int(frame.group_by("unique_id").len()["len"].min())
    every = candidate_models(season_length=freq.season, input_size=size)
    models = every if model == ENSEMBLE else [m for m in every if m.alias == model]
    fc, fv = fit_forecast(
        frame, models, horizon=horizon, n_jobs=n_jobs, interval=freq.interval, fitted=fitted
    )
    if model != ENSEMBLE:
        return fc, fv
    return _median(fc), _median(fv)


def _median(long: pl.DataFrame) -> pl.DataFrame:
    return (
        long.group_by("unique_id", "ds")
        .agg(*(pl.col(c).median() for c in _VALUES))
        .with_columns(pl.lit(ENSEMBLE).alias("model"))
        .select(LONG_SCHEMA.keys())
    )


def _keep(reasons, model, fc, fv, forecasts, in_sample, notes, published, wanted):
    """The forecasts `fc` and fitted values `fv` of the series of `reasons` (id: reason),
    fitted with `model`, kept with their notes and published choices."""
    forecasts.append(fc)
    in_sample.append(fv)
    for uid, reason in reasons.items():
        notes.append((uid, "ok", model, reason, None))
        row = wanted.get(uid)
        if row is not None:
            published.append((uid, row["model"], row["status"], row["reason"], row["mase"]))
        else:
            why = f"No model choice was given for this series, so it uses {DEFAULT_MODEL}."
            published.append((uid, DEFAULT_MODEL, "default", why, None))


def _fallback(fit, why, ahead, forecasts, in_sample, notes, published, wanted):
    """The series of `why` (id: (Cause, reason)) down the fallback chain, fitted together;
    `ahead` is (horizon, frequency, whether fitted values are computed)."""
    if not why:
        return
    horizon, freq, fitted = ahead
    frame = fit.filter(pl.col("unique_id").is_in(list(why)))
    chained = chain_forecasts(frame, why, horizon=horizon, interval=freq.interval, fitted=fitted)
    for fc, fv, note in chained:
        forecasts.append(fc)
        in_sample.append(fv)
        notes.append(note)
        if note[2] is not None:
            row = wanted.get(note[0])
            mase = row["mase"] if row else None
            published.append((note[0], note[2], "fallback", note[3], mase))
