"""Fitting statsforecast models, the fallback chain for short series, and long-format output.

The one forecasting path is `forecasting.chosen.forecast_chosen` (each series' chosen model);
this module is what it fits with. A series too short for its model goes down the fallback
chain (AutoETS without a season, then Naive, then HistoricAverage) and the first model that
works is its only one. Every forecast and interval is clipped to 0–1, since `y` is a
proportion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, HistoricAverage, Naive

from forecasting.series import Cause
from transforms.contracts import FORECAST_SCHEMA

Note = tuple[str, str, str | None, str, Cause | None]
"""A NOTES_SCHEMA row without its `unit`: (unique_id, status, model, reason, cause)."""

LEVELS = (80, 95)
MIN_FIT_PERIODS = 14
"""A series with fewer periods than this goes down the fallback chain."""

FITTED_SCHEMA = {
    "unique_id": pl.String,
    "ds": pl.Date,
    "model": pl.String,
    "y": pl.Float64,
    "mean": pl.Float64,
    "lo_80": pl.Float64,
    "hi_80": pl.Float64,
    "lo_95": pl.Float64,
    "hi_95": pl.Float64,
}
"""In-sample one-step-ahead forecasts of one model: observed days only (`y` never null), with
the same interval columns and clipping as FORECAST_SCHEMA."""

LONG_SCHEMA = {k: v for k, v in FORECAST_SCHEMA.items() if k != "run_id"}
_VALUE_COLUMNS = ("mean", "lo_80", "hi_80", "lo_95", "hi_95")
_AUTO_ETS_MIN_PERIODS = 7


def auto_ets(season_length: int) -> AutoETS:
    """AutoETS as moodcast fits it. With a season (`season_length` > 1) the search leaves out
    the trend (statsforecast's `ZNZ`: 5 models on positive data instead of 15): the trended
    seasonal models took ~70% of the fitting CPU of the run's daily series and were chosen for
    3 of 96 of them, and the backtest MASE holds with and without a drift in the data
    (benchmarks/ets_search.py, docs/throughput.md). Without a season the whole space (`ZZZ`),
    trends included, is searched: it is cheap."""
    return AutoETS(season_length=season_length, model="ZNZ" if season_length > 1 else "ZZZ")


def cheap_arima(season_length: int) -> AutoARIMA:
    """AutoARIMA with approximation, stepwise search and orders p, q ≤ 2, P, Q ≤ 1 (on a
    2-core machine, 0.2 s per 365-day series, against 1.0 s with statsforecast's defaults)."""
    return AutoARIMA(
        season_length=season_length,
        approximation=True,
        stepwise=True,
        max_p=2,
        max_q=2,
        max_P=1,
        max_Q=1,
        max_order=4,
    )


FALLBACK_WORDS = {
    "AutoETS": "exponential smoothing without a season",
    "Naive": "the last value carried forward",
    "HistoricAverage": "the series' mean",
}
"""What each model of the fallback chain forecasts, in words an analyst reads."""


def fallback_chain(n_periods: int) -> list[tuple[str, Callable[[], object]]]:
    """The fallback models a series of `n_periods` periods may use, best first, as
    (name, factory). AutoETS needs at least 7 periods and Naive 2 (on one period statsforecast
    2.1's Naive fails when in-sample values are asked for, and forecasts without them, so the
    chain would depend on whether they are); HistoricAverage works from 1.
    """
    chain: list[tuple[str, Callable[[], object]]] = []
    if n_periods >= _AUTO_ETS_MIN_PERIODS:
        chain.append(("AutoETS", lambda: auto_ets(1)))
    if n_periods >= 2:
        chain.append(("Naive", Naive))
    chain.append(("HistoricAverage", HistoricAverage))
    return chain


@dataclass(frozen=True)
class ModelOutput:
    """What the models produced for the series they were given.

    `forecasts` follows FORECAST_SCHEMA, `fitted` FITTED_SCHEMA (the alert model of each
    series only), `notes` NOTES_SCHEMA (one row per series given, `ok` or `fallback`, or
    `skipped` when every model of the chain failed).
    """

    forecasts: pl.DataFrame
    fitted: pl.DataFrame
    notes: pl.DataFrame


def ok_reason(n_periods: int, n_interpolated: int, unit: str = "day") -> str:
    """'Fitted on 120 days, 3 suppressed or missing days interpolated for fitting.'"""
    filled = (
        f", {n_interpolated} suppressed or missing {unit}s interpolated for fitting"
        if n_interpolated
        else ""
    )
    return f"Fitted on {n_periods} {unit}s{filled}."


def fit_forecast(
    frame: pl.DataFrame,
    models: list,
    *,
    horizon: int,
    n_jobs: int,
    interval: str = "1d",
    fitted: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forecast (`horizon` periods of `interval`) and in-sample fitted values of `models` on
    `frame`, long (LONG_SCHEMA) and clipped; may raise. With `fitted` False the fitted values
    (and their intervals) are not computed and come back as an empty frame; the forecasts are
    the same."""
    names = [getattr(model, "alias", type(model).__name__) for model in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = StatsForecast(models=models, freq=interval, n_jobs=n_jobs)
        wide = engine.forecast(
            df=frame.select("unique_id", "ds", "y"),
            h=horizon,
            level=list(LEVELS),
            fitted=fitted,
        )
        if not fitted:
            return to_long(wide, names), pl.DataFrame(schema=LONG_SCHEMA)
        wide_fitted = engine.forecast_fitted_values()
    return to_long(wide, names), to_long(wide_fitted, names).drop_nans(_VALUE_COLUMNS)


def to_long(wide: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """statsforecast's `{model}`, `{model}-lo-{level}` columns → one row per model and day,
    clipped to 0–1 and with the intervals nested around the mean."""
    parts = [
        wide.select(
            pl.col("unique_id").cast(pl.String),
            pl.col("ds").cast(pl.Date),
            pl.lit(name).alias("model"),
            pl.col(name).alias("mean"),
            *(
                pl.col(f"{name}-{side}-{level}").alias(f"{side}_{level}")
                for level in LEVELS
                for side in ("lo", "hi")
            ),
        )
        for name in names
    ]
    clip = {column: pl.col(column).cast(pl.Float64).clip(0.0, 1.0) for column in _VALUE_COLUMNS}
    return (
        pl.concat(parts)
        .with_columns(**clip)
        .with_columns(pl.min_horizontal("lo_80", "mean").alias("lo_80"))
        .with_columns(
            pl.max_horizontal("hi_80", "mean").alias("hi_80"),
            pl.min_horizontal("lo_95", "lo_80").alias("lo_95"),
        )
        .with_columns(pl.max_horizontal("hi_95", "hi_80").alias("hi_95"))
        .select(*LONG_SCHEMA.keys())
    )


def chain_forecasts(
    frame: pl.DataFrame,
    why: dict[str, tuple[Cause, str]],
    *,
    horizon: int,
    interval: str = "1d",
    fitted: bool = True,
) -> list[tuple[pl.DataFrame, pl.DataFrame, Note]]:
    """Every series of `frame` (FIT_SCHEMA) down the fallback chain, as `chain_forecast` with
    its cause and reason in `why`, in `unique_id` order. The series whose chains start with the same
    model are fitted in one call (the same values: statsforecast fits each series on its
    own); where that call fails, each of them goes down its chain alone. With `fitted` False
    the fitted values are not computed (empty frames); the forecasts are the same."""
    lengths = dict(frame.group_by("unique_id").len().iter_rows())
    starts: dict[str, list[str]] = {}
    for uid in sorted(lengths):
        starts.setdefault(fallback_chain(lengths[uid])[0][0], []).append(uid)
    done = {}
    for name, batch in starts.items():
        model = fallback_chain(lengths[batch[0]])[0][1]()
        model.alias = name
        try:
            fc, fv = fit_forecast(
                frame.filter(pl.col("unique_id").is_in(batch)),
                [model],
                horizon=horizon,
                n_jobs=1,
                interval=interval,
                fitted=fitted,
            )
        except Exception:
            for uid in batch:
                one = frame.filter(pl.col("unique_id") == uid)
                cause, reason = why[uid]
                done[uid] = chain_forecast(
                    one,
                    uid,
                    horizon=horizon,
                    why=reason,
                    cause=cause,
                    interval=interval,
                    fitted=fitted,
                )
            continue
        for uid in batch:
            one = pl.col("unique_id") == uid
            cause, reason = why[uid]
            note = (uid, "fallback", name, _fallback_reason(reason, name, []), cause)
            done[uid] = (fc.filter(one), fv.filter(one), note)
    return [done[uid] for uid in sorted(done)]


def chain_forecast(
    frame: pl.DataFrame,
    uid: str,
    *,
    horizon: int,
    why: str,
    cause: Cause,
    interval: str = "1d",
    fitted: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame, Note]:
    """One series (`frame`, FIT_SCHEMA) down the fallback chain, forecast `horizon` periods of
    `interval`, because of `cause` (`why` in words); the first model that works is its only
    one. Returns its forecasts, fitted values (LONG_SCHEMA; empty when `fitted` is False) and
    Note (`fallback` with `cause`, or `skipped` with Cause.ALL_FAILED when all failed)."""
    failures = []
    for name, factory in fallback_chain(frame.height):
        model = factory()
        model.alias = name
        try:
            fc, fv = fit_forecast(
                frame, [model], horizon=horizon, n_jobs=1, interval=interval, fitted=fitted
            )
        except Exception as exc:
            failures.append(f"{name} failed ({type(exc).__name__})")
            continue
        return fc, fv, (uid, "fallback", name, _fallback_reason(why, name, failures), cause)
    reason = (
        f"{why}, and every fallback model failed ({', '.join(failures)}), so it is not forecast."
    )
    empty = pl.DataFrame(schema=LONG_SCHEMA)
    return empty, empty, (uid, "skipped", None, reason, Cause.ALL_FAILED)


def _fallback_reason(why: str, name: str, failures: list[str]) -> str:
    detail = " without a season" if name == "AutoETS" else ""
    tried = f" after {', '.join(failures)}" if failures else ""
    return f"{why}: forecast with {name}{detail}{tried}."
