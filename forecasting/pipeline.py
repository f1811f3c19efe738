"""The one entry point: Series in; forecasts, alerts, fitted values and notes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from forecasting.alerts import DEFAULT_RULE, Basis, TrailingP90Rule, trailing_p90_alerts
from forecasting.chosen import forecast_chosen
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
)
from forecasting.models import MODEL_NAMES, forecast_models
from forecasting.series import NOTES_SCHEMA, prepare_series, validate_series


@dataclass(frozen=True)
class ForecastOutcome:
    """Everything one run produced, each frame sorted for a deterministic order.

    - `forecasts`: FORECAST_SCHEMA, by `unique_id`, model (AutoETS, AutoARIMA, SeasonalNaive,
      then fallbacks), `ds`.
    - `alerts`: ALERT_SCHEMA, by `unique_id`, `start`, `method`.
    - `fitted`: FITTED_SCHEMA (forecasting.models), the alert model's in-sample one-step-ahead
      forecasts on observed days, by `unique_id`, `ds`.
    - `notes`: NOTES_SCHEMA (forecasting.series), one row per series, by `unique_id`.
    - `choice`: MODEL_CHOICE_SCHEMA, the model published per forecast series, when a `choice`
      was given to `forecast_and_alert` (else None).
    """

    forecasts: pl.DataFrame
    alerts: pl.DataFrame
    fitted: pl.DataFrame
    notes: pl.DataFrame
    choice: pl.DataFrame | None = None


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
    rule: TrailingP90Rule = DEFAULT_RULE,
    basis: Basis = "authors",
    choice: pl.DataFrame | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    method_rules: MethodRules = DEFAULT_METHOD_RULES,
    complete: set[dt.date] | None = None,
    post_counts: pl.DataFrame | None = None,
    inputs: InputRule = DEFAULT_INPUTS,
) -> ForecastOutcome:
    """Forecast every series `horizon_days` days ahead and find its high-prevalence periods.

    `series` follows SERIES_SCHEMA (`y` a proportion in 0–1, null on suppressed days) and is
    not modified. Models are fitted on the last `history_days` days (see `prepare_series` for
    skipping at `max_null_share` and `min_history_days`, and `forecast_models` for the model
    set, the fallback chain and `n_jobs`). Alerts run over the whole history given, for every
    series (a skipped one too: the observed rule needs no model), plus the horizon of
    `alert_model` (or of the model noted for a fallback series); see forecasting.alerts for
    the rule. `basis` says whether `y` is a share of authors or of posts, for the wording of
    alert reasons. With `choice` (MODEL_CHOICE_SCHEMA, e.g. from
    `forecasting.chosen.published_choice`), each series gets only its chosen model, which is
    also its alert model (see `forecast_chosen`); `alert_model` is then unused.

    Alerts come from `methods` (see forecasting.methods; `trailing_p90` is the default rule
    above) and read only the days that count (forecasting.inputs): days in `complete` (all
    days when None) whose cell has at least `inputs.min_posts_per_day` posts in `post_counts`
    (POST_COUNT_SCHEMA; no minimum when None). With `post_counts`, sudden changes of the
    total post volume become `data_event` rows and hold back the wave alerts around them.

    Raises ContractError on a malformed `series`, ValueError on a bad argument.
    """
    if not run_id:
        raise ValueError("run_id must be a non-empty string")
    if alert_model not in MODEL_NAMES:
        raise ValueError(
            f"alert_model must be one of {', '.join(MODEL_NAMES)}, not {alert_model!r}"
        )
    frame = validate_series(series)
    prepared = prepare_series(
        frame,
        history_days=history_days,
        max_null_share=max_null_share,
        min_history_days=min_history_days,
    )
    published = None
    if choice is None:
        output = forecast_models(
            prepared.fit,
            prepared.history,
            run_id=run_id,
            horizon_days=horizon_days,
            n_jobs=n_jobs,
            alert_model=alert_model,
        )
    else:
        output, published = forecast_chosen(
            prepared.fit,
            prepared.history,
            choice,
            run_id=run_id,
            horizon_days=horizon_days,
            n_jobs=n_jobs,
        )
    notes = pl.concat([output.notes, prepared.skipped]).cast(NOTES_SCHEMA).sort("unique_id")
    alert_forecasts = output.forecasts.join(
        notes.filter(pl.col("model").is_not_null()).select("unique_id", "model"),
        on=["unique_id", "model"],
        how="semi",
    )
    methods = check_methods(methods)
    counted = countable(frame, complete=complete, post_counts=post_counts, rule=inputs)
    found = [
        method_alerts(
            counted,
            methods=methods,
            run_id=run_id,
            forecasts=alert_forecasts,
            fitted=output.fitted,
            rules=method_rules,
            basis=basis,
        )
    ]
    if "trailing_p90" in methods:
        found.append(
            trailing_p90_alerts(counted, alert_forecasts, run_id=run_id, rule=rule, basis=basis)
        )
    alerts = pl.concat(found)
    if post_counts is not None:
        events = data_events(post_counts, complete=complete, run_id=run_id, rule=inputs)
        alerts = pl.concat([without_data_events(alerts, events, rule=inputs), events])
    alerts = alerts.sort("unique_id", "start", "method")
    return ForecastOutcome(
        forecasts=output.forecasts,
        alerts=alerts,
        fitted=output.fitted,
        notes=notes,
        choice=published,
    )
