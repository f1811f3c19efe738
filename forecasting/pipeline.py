"""The one entry point: Series in; forecasts, alerts, fitted values and notes out."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from forecasting.alerts import DEFAULT_RULE, Basis, TrailingP90Rule, trailing_p90_alerts
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
    """

    forecasts: pl.DataFrame
    alerts: pl.DataFrame
    fitted: pl.DataFrame
    notes: pl.DataFrame


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
) -> ForecastOutcome:
    """Forecast every series `horizon_days` days ahead and find its high-prevalence periods.

    `series` follows SERIES_SCHEMA (`y` a proportion in 0–1, null on suppressed days) and is
    not modified. Models are fitted on the last `history_days` days (see `prepare_series` for
    skipping at `max_null_share` and `min_history_days`, and `forecast_models` for the model
    set, the fallback chain and `n_jobs`). Alerts run over the whole history given, for every
    series (a skipped one too: the observed rule needs no model), plus the horizon of
    `alert_model` (or of the model noted for a fallback series); see forecasting.alerts for
    the rule. `basis` says whether `y` is a share of authors or of posts, for the wording of
    alert reasons.

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
    output = forecast_models(
        prepared.fit,
        prepared.history,
        run_id=run_id,
        horizon_days=horizon_days,
        n_jobs=n_jobs,
        alert_model=alert_model,
    )
    notes = pl.concat([output.notes, prepared.skipped]).cast(NOTES_SCHEMA).sort("unique_id")
    alert_forecasts = output.forecasts.join(
        notes.filter(pl.col("model").is_not_null()).select("unique_id", "model"),
        on=["unique_id", "model"],
        how="semi",
    )
    alerts = trailing_p90_alerts(frame, alert_forecasts, run_id=run_id, rule=rule, basis=basis)
    return ForecastOutcome(
        forecasts=output.forecasts, alerts=alerts, fitted=output.fitted, notes=notes
    )
