"""Series preparation, statsforecast models and alert rules: DataFrames in, DataFrames out.

The entry point is `forecast_and_alert`; it imports `transforms` and nothing else of ours.
"""

from forecasting.alerts import TrailingP90Rule, trailing_p90_alerts
from forecasting.models import FITTED_SCHEMA, MODEL_NAMES, forecast_models
from forecasting.pipeline import ForecastOutcome, forecast_and_alert
from forecasting.series import NOTES_SCHEMA, prepare_series

__all__ = [
    "FITTED_SCHEMA",
    "MODEL_NAMES",
    "NOTES_SCHEMA",
    "ForecastOutcome",
    "TrailingP90Rule",
    "forecast_and_alert",
    "forecast_models",
    "prepare_series",
    "trailing_p90_alerts",
]
