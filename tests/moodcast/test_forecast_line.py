"""The run's forecast log line (moodcast.run_forecast.forecast_line) on the notes of real
forecasts: what a fallback forecast is and why each series got one, in words an analyst reads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from forecasting.chosen import forecast_chosen
from forecasting.pipeline import default_choice
from forecasting.series import prepare_series
from moodcast.run_forecast import forecast_line
from tests.forecasting.synthetic import START, series_frame


def test_the_line_says_what_a_fallback_is_and_why_each_series_fell_back():
    """Regression: the demo's log said `forecast: 101 fallback, …` and nothing said what a
    fallback was or why those series had one."""
    rng = np.random.default_rng(3)
    last = START + dt.timedelta(119)
    frame = pl.concat(
        [
            series_frame({uid: 0.1 + 0.01 * rng.standard_normal(n)},
                         start=last - dt.timedelta(n - 1))
            for uid, n in (("a|new|en", 5), ("b|new|en", 10), ("c|old|en", 120))
        ]
    )  # fmt: skip
    prepared = prepare_series(frame, history_days=365)
    choice = default_choice(prepared.history["unique_id"].to_list(), "AutoETS", "r1")
    output, _ = forecast_chosen(prepared.fit, prepared.history, choice, run_id="r1", horizon=7)
    assert dict(output.notes.group_by("status").len().iter_rows()) == {"ok": 1, "fallback": 2}

    assert forecast_line(output.notes) == (
        "1 series by their chosen model; 2 by a simpler fallback model, as the chosen one could "
        "not be used (2 with fewer than 14 days of history): 1 AutoETS (exponential smoothing "
        "without a season), 1 Naive (the last value carried forward); 0 not forecast"
    )
