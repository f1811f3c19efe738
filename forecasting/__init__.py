"""Series preparation, statsforecast models, backtests and alert methods: DataFrames in, out.

The daily entry point is `forecast_and_alert`; the scheduled model selection is `backtest`
then `choose_models`; every alert method is in the registry of `forecasting.methods` and can
be replayed prospectively with `forecasting.replay`. It imports `transforms` and nothing else
of ours.

The names below load their module on first use (PEP 562), so that importing one light module
(`forecasting.methods`, to check settings) does not load statsforecast and statsmodels.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "cusum": "aberration",
    "ears_c1": "aberration",
    "ears_c2": "aberration",
    "ears_c3": "aberration",
    "TrailingP90Rule": "alerts",
    "trailing_p90_alerts": "alerts",
    "MODELS": "backtest",
    "BacktestConfig": "backtest",
    "BacktestResult": "backtest",
    "backtest": "backtest",
    "forecast_chosen": "chosen",
    "published_choice": "chosen",
    "DAY": "frequency",
    "EPIWEEK": "frequency",
    "FREQUENCIES": "frequency",
    "WEEK": "frequency",
    "Frequency": "frequency",
    "FrequencyError": "frequency",
    "InputRule": "inputs",
    "complete_days": "inputs",
    "data_events": "inputs",
    "AlertContext": "method",
    "AlertMethod": "method",
    "Detection": "method",
    "SeriesMethod": "method",
    "ALERT_METHODS": "methods",
    "DEFAULT_METHODS": "methods",
    "MethodRules": "methods",
    "build_method": "methods",
    "method_alerts": "methods",
    "FITTED_SCHEMA": "models",
    "paper_peaks": "peaks",
    "ForecastOutcome": "pipeline",
    "forecast_and_alert": "pipeline",
    "DEFAULT_MODEL": "selection",
    "choose_models": "selection",
    "summarise": "selection",
    "to_backtests": "selection",
    "NOTES_SCHEMA": "series",
    "prepare_series": "series",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
    return getattr(importlib.import_module(f"forecasting.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
