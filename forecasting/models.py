"""The statsforecast models, their fallback chain for short series, and long-format output.

Series with at least two weekly seasons of history get AutoETS, AutoARIMA and SeasonalNaive,
all with a 7-day season. Shorter ones go down a chain (AutoETS without a season, then Naive,
then HistoricAverage) and the first model that works is their only one. Every forecast and
interval is clipped to 0–1, since `y` is a proportion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, HistoricAverage, Naive, SeasonalNaive

from forecasting.series import NOTES_SCHEMA
from transforms.contracts import FORECAST_SCHEMA

SEASON_DAYS = 7
LEVELS = (80, 95)
MODEL_NAMES = ("AutoETS", "AutoARIMA", "SeasonalNaive")
"""The models every series with at least two seasons of history gets, in output order."""

FALLBACK_NAMES = ("AutoETS", "Naive", "HistoricAverage")
"""The chain a shorter series goes down; `AutoETS` here has no weekly season."""

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

_LONG_SCHEMA = {k: v for k, v in FORECAST_SCHEMA.items() if k != "run_id"}
_VALUE_COLUMNS = ("mean", "lo_80", "hi_80", "lo_95", "hi_95")
_AUTO_ETS_MIN_DAYS = 7


def full_models() -> list:
    """Fresh instances of the three models of a series with two seasons or more.

    AutoARIMA is kept cheap: `approximation=True`, stepwise search, orders bounded to
    p, q ≤ 2 and P, Q ≤ 1 (on a 2-core machine, 0.2 s per 365-day series, against 0.4 s with
    `approximation=True` alone and 1.0 s with statsforecast's defaults).
    """
    return [
        AutoETS(season_length=SEASON_DAYS),
        cheap_arima(SEASON_DAYS),
        SeasonalNaive(season_length=SEASON_DAYS),
    ]


def cheap_arima(season_length: int) -> AutoARIMA:
    """AutoARIMA with approximation, stepwise search and p, q ≤ 2, P, Q ≤ 1 (see `full_models`)."""
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


def fallback_chain(n_days: int) -> list[tuple[str, Callable[[], object]]]:
    """The fallback models a series of `n_days` days may use, best first, as (name, factory).

    AutoETS needs at least 7 days; Naive and HistoricAverage work from 2.
    """
    chain: list[tuple[str, Callable[[], object]]] = []
    if n_days >= _AUTO_ETS_MIN_DAYS:
        chain.append(("AutoETS", lambda: AutoETS(season_length=1)))
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


def forecast_models(
    fit: pl.DataFrame,
    history: pl.DataFrame,
    *,
    run_id: str,
    horizon_days: int = 14,
    n_jobs: int = 1,
    alert_model: str = "AutoETS",
) -> ModelOutput:
    """Forecast `horizon_days` days past each series' last day, with 80% and 95% intervals.

    `fit` follows FIT_SCHEMA (see `prepare_series`), `history` has `unique_id`, `n_days`,
    `n_interpolated`. Series with `n_days` ≥ 14 get every model of MODEL_NAMES and their
    fitted values are those of `alert_model`; shorter ones get the first model of
    `fallback_chain` that works, which is also their alert model. If a model raises on the
    whole batch, series are refitted one at a time and a failing model is left out of that
    series' rows (noted); a series whose alert model fails falls back to the chain.
    `n_jobs` processes fit in parallel (statsforecast's own pool; -1 uses every core).
    """
    if alert_model not in MODEL_NAMES:
        raise ValueError(
            f"alert_model must be one of {', '.join(MODEL_NAMES)}, not {alert_model!r}"
        )
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, not {horizon_days}")
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(f"n_jobs must be a number of processes or -1 (every core), not {n_jobs}")
    lengths = dict(history.select("unique_id", "n_days").iter_rows())
    interpolated = dict(history.select("unique_id", "n_interpolated").iter_rows())
    long_ids = sorted(uid for uid, n in lengths.items() if n >= 2 * SEASON_DAYS)
    short_ids = sorted(uid for uid, n in lengths.items() if n < 2 * SEASON_DAYS)
    forecasts, fitted, notes = [], [], []

    if long_ids:
        frame = fit.filter(pl.col("unique_id").is_in(long_ids))
        try:
            fc, fv = _run(frame, full_models(), horizon_days=horizon_days, n_jobs=n_jobs)
            forecasts.append(fc)
            fitted.append(fv.filter(pl.col("model") == alert_model))
            notes.extend(
                (uid, "ok", alert_model, _ok_reason(lengths[uid], interpolated[uid]))
                for uid in long_ids
            )
        except Exception:
            for uid in long_ids:
                fc, fv, note = _one_full(
                    frame.filter(pl.col("unique_id") == uid),
                    uid,
                    horizon_days=horizon_days,
                    alert_model=alert_model,
                    ok_reason=_ok_reason(lengths[uid], interpolated[uid]),
                )
                forecasts.append(fc)
                fitted.append(fv)
                notes.append(note)

    for uid in short_ids:
        fc, fv, note = _one_chain(
            fit.filter(pl.col("unique_id") == uid),
            uid,
            lengths[uid],
            horizon_days=horizon_days,
            why=(
                f"Only {lengths[uid]} days of history, fewer than two weekly seasons "
                f"({2 * SEASON_DAYS})"
            ),
        )
        forecasts.append(fc)
        fitted.append(fv)
        notes.append(note)

    forecast_frame = pl.concat(
        [pl.DataFrame(schema=_LONG_SCHEMA), *forecasts], how="vertical_relaxed"
    ).with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
    fitted_frame = pl.concat([pl.DataFrame(schema=_LONG_SCHEMA), *fitted], how="vertical_relaxed")
    observed = fit.filter(pl.col("observed")).select("unique_id", "ds", "y")
    fitted_frame = (
        fitted_frame.join(observed, on=["unique_id", "ds"], how="inner")
        .select(FITTED_SCHEMA.keys())
        .cast(FITTED_SCHEMA)
    )
    model_order = {name: i for i, name in enumerate((*MODEL_NAMES, *FALLBACK_NAMES[1:]))}
    return ModelOutput(
        forecasts=forecast_frame.select(FORECAST_SCHEMA.keys())
        .cast(FORECAST_SCHEMA)
        .sort(
            "unique_id",
            pl.col("model").replace_strict(model_order, default=len(model_order)),
            "ds",
        ),
        fitted=fitted_frame.sort("unique_id", "ds"),
        notes=pl.DataFrame(notes, schema=NOTES_SCHEMA, orient="row").sort("unique_id"),
    )


def _ok_reason(n_days: int, n_interpolated: int) -> str:
    filled = (
        f", {n_interpolated} suppressed or missing days interpolated for fitting"
        if n_interpolated
        else ""
    )
    return f"Fitted on {n_days} days{filled}."


def _run(
    frame: pl.DataFrame, models: list, *, horizon_days: int, n_jobs: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forecast and fitted values of `models` on `frame`, long and clipped; may raise."""
    names = [getattr(model, "alias", type(model).__name__) for model in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = StatsForecast(models=models, freq="1d", n_jobs=n_jobs)
        wide = engine.forecast(
            df=frame.select("unique_id", "ds", "y"),
            h=horizon_days,
            level=list(LEVELS),
            fitted=True,
        )
        wide_fitted = engine.forecast_fitted_values()
    return _long(wide, names), _long(wide_fitted, names).drop_nans(_VALUE_COLUMNS)


def _long(wide: pl.DataFrame, names: list[str]) -> pl.DataFrame:
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
        .select(*_LONG_SCHEMA.keys())
    )


def _one_full(
    frame: pl.DataFrame,
    uid: str,
    *,
    horizon_days: int,
    alert_model: str,
    ok_reason: str,
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, str, str | None, str]]:
    """One long series, model by model, after a model failed on the whole batch.

    A failing model has no rows. When the alert model is among them, the first model of
    MODEL_NAMES that worked becomes this series' alert model; when all fail, the fallback
    chain runs.
    """
    worked: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    failures = []
    for model in full_models():
        try:
            worked[model.alias] = _run(frame, [model], horizon_days=horizon_days, n_jobs=1)
        except Exception as exc:
            failures.append(f"{model.alias} failed ({type(exc).__name__}: {exc})")
    if not worked:
        return _one_chain(
            frame, uid, frame.height, horizon_days=horizon_days, why="; ".join(failures)
        )
    forecasts = pl.concat([fc for fc, _ in worked.values()])
    used = alert_model if alert_model in worked else next(iter(worked))
    if not failures:
        return forecasts, worked[used][1], (uid, "ok", used, ok_reason)
    instead = f"; alerts use {used}" if used != alert_model else ""
    reason = f"{'; '.join(failures)}; the other models are kept{instead}."
    return forecasts, worked[used][1], (uid, "fallback", used, reason)


def _one_chain(
    frame: pl.DataFrame, uid: str, n_days: int, *, horizon_days: int, why: str
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, str, str | None, str]]:
    """One series down the fallback chain; the first model that works is its only one."""
    failures = []
    for name, factory in fallback_chain(n_days):
        model = factory()
        model.alias = name
        try:
            fc, fv = _run(frame, [model], horizon_days=horizon_days, n_jobs=1)
        except Exception as exc:
            failures.append(f"{name} failed ({type(exc).__name__})")
            continue
        detail = " without a weekly season" if name == "AutoETS" else ""
        tried = f" after {', '.join(failures)}" if failures else ""
        reason = f"{why}: forecast with {name}{detail}{tried}."
        return fc, fv, (uid, "fallback", name, reason)
    reason = (
        f"{why}, and every fallback model failed ({', '.join(failures)}), so it is not forecast."
    )
    empty = pl.DataFrame(schema=_LONG_SCHEMA)
    return empty, empty, (uid, "skipped", None, reason)
