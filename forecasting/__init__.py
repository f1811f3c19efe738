"""Series preparation, statsforecast models, backtests and alert rules: DataFrames in, out.

The daily entry point is `forecast_and_alert`; the scheduled model selection is `backtest`
then `choose_models`. It imports `transforms` and nothing else of ours.
"""

from forecasting.aberration import cusum, ears_c1, ears_c2, ears_c3
from forecasting.alerts import TrailingP90Rule, trailing_p90_alerts
from forecasting.backtest import MODELS, BacktestConfig, BacktestResult, backtest
from forecasting.chosen import forecast_chosen, published_choice
from forecasting.inputs import InputRule, complete_days, data_events
from forecasting.methods import ALERT_METHODS, DEFAULT_METHODS, MethodRules, method_alerts
from forecasting.models import FITTED_SCHEMA, MODEL_NAMES, forecast_models
from forecasting.peaks import paper_peaks
from forecasting.pipeline import ForecastOutcome, forecast_and_alert
from forecasting.selection import DEFAULT_MODEL, choose_models, summarise, to_backtests
from forecasting.series import NOTES_SCHEMA, prepare_series

__all__ = [
    "ALERT_METHODS",
    "DEFAULT_METHODS",
    "DEFAULT_MODEL",
    "FITTED_SCHEMA",
    "MODELS",
    "MODEL_NAMES",
    "NOTES_SCHEMA",
    "BacktestConfig",
    "BacktestResult",
    "ForecastOutcome",
    "InputRule",
    "MethodRules",
    "TrailingP90Rule",
    "backtest",
    "choose_models",
    "complete_days",
    "cusum",
    "data_events",
    "ears_c1",
    "ears_c2",
    "ears_c3",
    "forecast_and_alert",
    "forecast_chosen",
    "forecast_models",
    "method_alerts",
    "paper_peaks",
    "prepare_series",
    "published_choice",
    "summarise",
    "to_backtests",
    "trailing_p90_alerts",
]
