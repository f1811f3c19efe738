"""What an operator and an analyst met in their first hour from a fresh clone (second pass),
each a regression test that fails before its fix."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from forecasting.chosen import forecast_chosen
from forecasting.frequency import EIGHT_WEEK
from forecasting.pipeline import default_choice
from forecasting.series import prepare_series
from moodcast.run_forecast import forecast_line
from transforms.contracts import SERIES_SCHEMA


def _eight_week_notes(*, history_days: int) -> pl.DataFrame:
    """Forecast notes of two 8-week series with ten periods of data, fitted on `history_days`."""
    last = dt.date(2025, 12, 8)  # a Monday: the first day of an ISO 8-week period
    rng = np.random.default_rng(7)
    frame = pl.DataFrame(
        {
            "unique_id": [uid for uid in ("a|r|en", "b|r|en") for _ in range(10)],
            "ds": [last - dt.timedelta(weeks=8 * i) for _ in range(2) for i in range(10)][::-1],
            "y": 0.1 + 0.01 * rng.standard_normal(20),
        },
        schema=SERIES_SCHEMA,
    ).sort("unique_id", "ds")
    prepared = prepare_series(frame, freq=EIGHT_WEEK, history_days=history_days)
    choice = default_choice(["a|r|en", "b|r|en"], "AutoETS", "r1")
    output, _ = forecast_chosen(
        prepared.fit, prepared.history, choice, run_id="r1", horizon=1, freq=EIGHT_WEEK
    )
    return output.notes


def test_8_week_series_that_history_days_cannot_fit_are_not_called_a_fallback():
    """Regression: every demo logged '101 by a simpler fallback model, as the chosen one could
    not be used (101 with fewer than 14 8-week periods of history)', as if something had gone
    wrong: at history_days = 365 an 8-week series holds at most 7 periods, so it is never fitted
    a model. The line now says so, and which setting would change it."""
    line = forecast_line(_eight_week_notes(history_days=365), history_days=365)
    assert line == (
        "0 series by their chosen model; 2 8-week series by a simpler model, as every one is "
        "while history_days = 365 keeps at most 7 8-week periods, fewer than the 14 a model is "
        "fitted on (history_days = 784 or more fits one once the data go back that far): "
        "2 AutoETS (exponential smoothing without a season); 0 not forecast"
    )


def test_8_week_series_short_of_data_under_a_long_history_are_still_a_fallback():
    """With history_days long enough for 14 periods, ten 8-week periods of data are a short
    history like any other, counted as the fallback it is."""
    line = forecast_line(_eight_week_notes(history_days=800), history_days=800)
    assert "; 2 by a simpler fallback model, as the chosen one could not be used" in line
    assert "(2 with fewer than 14 8-week periods of history)" in line
    assert "8-week series by a simpler model" not in line
