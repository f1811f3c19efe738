"""The one entry point: Series in; forecasts, alerts, fitted values and notes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from forecasting.backtest import MODELS
from forecasting.chosen import forecast_chosen
from forecasting.frequency import DAY, Frequency, check_grid
from forecasting.inputs import (
    DEFAULT_INPUTS,
    InputRule,
    countable,
    data_events,
    without_data_events,
)
from forecasting.methods import (
    DEFAULT_METHOD_RULES,
    DEFAULT_METHODS,
    MethodRules,
    check_methods,
    method_alerts,
    reads_fitted,
)
from forecasting.series import NOTES_SCHEMA, prepare_series, validate_series
from forecasting.wording import Basis
from transforms.contracts import MODEL_CHOICE_SCHEMA


@dataclass(frozen=True)
class ForecastOutcome:
    """Everything one run produced, each frame sorted for a deterministic order.

    - `forecasts`: FORECAST_SCHEMA, by `unique_id`, `ds` (one model per series).
    - `alerts`: ALERT_SCHEMA, by `unique_id`, `start`, `method`; `issued_on` is the last day
      of the data: the latest day of `post_counts` or the last day of the latest period of
      `series` (a week's Sunday, not its Monday), whichever is later (the warehouse keeps the
      earliest across runs).
    - `fitted`: FITTED_SCHEMA (forecasting.models), the alert model's in-sample one-step-ahead
      forecasts on observed days, by `unique_id`, `ds`; empty unless asked for (`keep_fitted`)
      or read by an alert method (`forecast_exceedance`).
    - `notes`: NOTES_SCHEMA (forecasting.series), one row per series, by `unique_id`.
    - `choice`: MODEL_CHOICE_SCHEMA, the model published per forecast series.
    """

    forecasts: pl.DataFrame
    alerts: pl.DataFrame
    fitted: pl.DataFrame
    notes: pl.DataFrame
    choice: pl.DataFrame


def forecast_and_alert(
    series: pl.DataFrame,
    *,
    run_id: str,
    horizon_days: int = 14,
    history_days: int = 365,
    n_jobs: int = 1,
    max_null_share: float = 0.2,
    min_history_days: int = 5,
    alert_model: str = "AutoETS",
    basis: Basis = "authors",
    choice: pl.DataFrame | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    method_rules: MethodRules = DEFAULT_METHOD_RULES,
    complete: set[dt.date] | None = None,
    post_counts: pl.DataFrame | None = None,
    inputs: InputRule = DEFAULT_INPUTS,
    freq: Frequency = DAY,
    keep_fitted: bool = False,
) -> ForecastOutcome:
    """Forecast every series `horizon_days` days ahead and find its high-prevalence periods.

    `series` follows SERIES_SCHEMA at frequency `freq` (`y` a proportion in 0–1, null on
    suppressed periods) and is not modified; `horizon_days`, `history_days` and
    `min_history_days` are spans of time, counted in periods of `freq`. Each series gets its
    model in `choice` (MODEL_CHOICE_SCHEMA, e.g. from `forecasting.chosen.published_choice`;
    without it, `alert_model` for every series), fitted on the last `history_days` (see
    `prepare_series` for skipping at `max_null_share` and `min_history_days`, and
    `forecast_chosen` for the fallback chain and `n_jobs`); that model's horizon and fitted
    values feed the alert methods that read forecasts. `basis` says whether `y` is a share of
    authors or of posts, for the wording of alert reasons.

    Alerts come from `methods` (forecasting.methods) and read only the periods that count
    (forecasting.inputs, daily series): days in `complete` (all days when None) whose cell
    has at least `inputs.min_posts_per_day` posts in `post_counts` (POST_COUNT_SCHEMA; no
    minimum when None). With `post_counts`, sudden changes of the total post volume become
    `data_event` rows and hold back the wave alerts around them.

    The models compute in-sample fitted values only where a method reads them (or with
    `keep_fitted`): nothing else of a run does, and the forecasts are the same either way.

    Raises ContractError on a malformed `series`, ValueError on a bad argument, and
    FrequencyError when a method cannot run at `freq`.
    """
    if not run_id:
        raise ValueError("run_id must be a non-empty string")
    if alert_model not in MODELS:
        raise ValueError(f"alert_model must be one of {', '.join(MODELS)}, not {alert_model!r}")
    methods = check_methods(methods)
    frame = validate_series(series)
    check_grid(frame, freq)
    prepared = prepare_series(
        frame,
        history_days=history_days,
        max_null_share=max_null_share,
        min_history_days=min_history_days,
        freq=freq,
    )
    if choice is None:
        choice = default_choice(prepared.history["unique_id"].to_list(), alert_model, run_id)
    output, published = forecast_chosen(
        prepared.fit,
        prepared.history,
        choice,
        run_id=run_id,
        horizon=freq.periods(horizon_days),
        n_jobs=n_jobs,
        freq=freq,
        fitted=keep_fitted or reads_fitted(methods),
    )
    notes = pl.concat([output.notes, prepared.skipped]).cast(NOTES_SCHEMA).sort("unique_id")
    alert_forecasts = output.forecasts.join(
        notes.filter(pl.col("model").is_not_null()).select("unique_id", "model"),
        on=["unique_id", "model"],
        how="semi",
    )
    counted = countable(frame, complete=complete, post_counts=post_counts, rule=inputs)
    alerts = method_alerts(
        counted,
        methods=methods,
        run_id=run_id,
        freq=freq,
        forecasts=alert_forecasts,
        fitted=output.fitted,
        rules=method_rules,
        basis=basis,
    )
    if post_counts is not None:
        events = data_events(post_counts, complete=complete, run_id=run_id, rule=inputs)
        alerts = pl.concat([without_data_events(alerts, events, rule=inputs), events])
    seen = [freq.last_day(frame["ds"].max())] if frame.height else []
    if post_counts is not None and post_counts.height:
        seen.append(post_counts["ds"].max())
    if seen:
        alerts = alerts.with_columns(pl.col("issued_on").fill_null(max(seen)))
    alerts = alerts.sort("unique_id", "start", "method")
    return ForecastOutcome(
        forecasts=output.forecasts,
        alerts=alerts,
        fitted=output.fitted,
        notes=notes,
        choice=published,
    )


def default_choice(series_ids: list[str], model: str, run_id: str) -> pl.DataFrame:
    """A MODEL_CHOICE_SCHEMA frame giving `model` to each of `series_ids` (sorted), with status
    `default`, a reason saying so, no MASE and `run_id`: the choice `forecast_and_alert` makes
    when it is given none."""
    reason = f"No model choice was given, so every series uses {model}."
    return pl.DataFrame(
        [(uid, model, "default", reason, None, run_id) for uid in sorted(series_ids)],
        schema=MODEL_CHOICE_SCHEMA,
        orient="row",
    )
