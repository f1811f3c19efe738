"""Series preparation, statsforecast models, backtests and alert methods: DataFrames in, out.

The daily entry point is `forecast_and_alert`; the scheduled model selection is `backtest`
then `choose_models`; every alert method is in the registry of `forecasting.methods` and can
be replayed prospectively with `forecasting.replay`. It imports `transforms` and nothing else
of ours.
"""

from forecasting.aberration import cusum, ears_c1, ears_c2, ears_c3
from forecasting.alerts import TrailingP90Rule, trailing_p90_alerts
from forecasting.backtest import MODELS, BacktestConfig, BacktestResult, backtest
from forecasting.chosen import forecast_chosen, published_choice
from forecasting.frequency import DAY, EPIWEEK, FREQUENCIES, WEEK, Frequency, FrequencyError
from forecasting.inputs import InputRule, complete_days, data_events
from forecasting.method import AlertContext, AlertMethod, Detection, SeriesMethod
from forecasting.methods import (
    ALERT_METHODS,
    DEFAULT_METHODS,
    MethodRules,
    build_method,
    method_alerts,
)
from forecasting.models import FITTED_SCHEMA
from forecasting.peaks import paper_peaks
from forecasting.pipeline import ForecastOutcome, forecast_and_alert
from forecasting.selection import DEFAULT_MODEL, choose_models, summarise, to_backtests
from forecasting.series import NOTES_SCHEMA, prepare_series

__all__ = [
    "ALERT_METHODS",
    "DAY",
    "DEFAULT_METHODS",
    "DEFAULT_MODEL",
    "EPIWEEK",
    "FITTED_SCHEMA",
    "FREQUENCIES",
    "MODELS",
    "NOTES_SCHEMA",
    "WEEK",
    "AlertContext",
    "AlertMethod",
    "BacktestConfig",
    "BacktestResult",
    "Detection",
    "ForecastOutcome",
    "Frequency",
    "FrequencyError",
    "InputRule",
    "MethodRules",
    "SeriesMethod",
    "TrailingP90Rule",
    "backtest",
    "build_method",
    "choose_models",
    "complete_days",
    "cusum",
    "data_events",
    "ears_c1",
    "ears_c2",
    "ears_c3",
    "forecast_and_alert",
    "forecast_chosen",
    "method_alerts",
    "paper_peaks",
    "prepare_series",
    "published_choice",
    "summarise",
    "to_backtests",
    "trailing_p90_alerts",
]
