"""Series preparation, statsforecast models, backtests and alert rules: DataFrames in, out.

The daily entry point is `forecast_and_alert`; the scheduled model selection is `backtest`
then `choose_models`. It imports `transforms` and nothing else of ours.

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
    "forecast_chosen": "chosen",
    "published_choice": "chosen",
    "InputRule": "inputs",
    "complete_days": "inputs",
    "data_events": "inputs",
    "ALERT_METHODS": "methods",
    "DEFAULT_METHODS": "methods",
    "MethodRules": "methods",
    "method_alerts": "methods",
    "FITTED_SCHEMA": "models",
    "MODEL_NAMES": "models",
    "forecast_models": "models",
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
