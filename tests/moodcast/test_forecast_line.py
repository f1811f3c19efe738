"""The run's forecast log line (moodcast.run_forecast.forecast_line) on the notes of real
forecasts: what a fallback forecast is and why each series got one, in words an analyst reads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from forecasting.chosen import forecast_chosen
from forecasting.frequency import WEEK
from forecasting.pipeline import default_choice
from forecasting.series import Cause, prepare_series
from moodcast.run_forecast import forecast_line, not_forecast_counts
from tests.forecasting.synthetic import START, series_frame
from transforms.contracts import SERIES_SCHEMA


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

    assert forecast_line(output.notes, history_days=365) == (
        "1 series by their chosen model; 2 by a simpler fallback model, as the chosen one could "
        "not be used (2 with fewer than 14 days of history): 1 AutoETS (exponential smoothing "
        "without a season), 1 Naive (the last value carried forward); 0 not forecast"
    )


def test_the_line_counts_fallbacks_by_their_cause_never_by_the_words_of_their_reason():
    """Regression: the line read why a series fell back by matching forecasting.chosen's
    messages, so a reworded message silently counted every short series as 'the chosen model
    failed'. Each note now carries its Cause; rewording every reason changes nothing."""
    rng = np.random.default_rng(5)
    last = START + dt.timedelta(119)
    frame = pl.concat(
        [
            series_frame({uid: 0.1 + 0.01 * rng.standard_normal(n)},
                         start=last - dt.timedelta(n - 1))
            for uid, n in (("a|short|en", 5), ("b|renamed|en", 120), ("c|old|en", 120))
        ]
    )  # fmt: skip
    prepared = prepare_series(frame, history_days=365)
    choice = default_choice(prepared.history["unique_id"].to_list(), "AutoETS", "r1")
    choice = choice.with_columns(
        pl.when(pl.col("unique_id") == "b|renamed|en")
        .then(pl.lit("AutoProphet"))
        .otherwise("model")
        .alias("model")
    )
    output, _ = forecast_chosen(prepared.fit, prepared.history, choice, run_id="r1", horizon=7)
    causes = dict(output.notes.select("unique_id", "cause").iter_rows())
    assert causes == {"a|short|en": Cause.SHORT_HISTORY, "b|renamed|en": Cause.UNKNOWN_MODEL,
                      "c|old|en": None}  # fmt: skip
    line = (
        "1 series by their chosen model; 2 by a simpler fallback model, as the chosen one could "
        "not be used (1 whose chosen model this version does not know, 1 with fewer than 14 "
        "days of history): 1 AutoETS (exponential smoothing without a season), 1 Naive (the "
        "last value carried forward); 0 not forecast"
    )
    assert forecast_line(output.notes, history_days=365) == line
    reworded = output.notes.with_columns(pl.lit("Reworded.").alias("reason"))
    assert forecast_line(reworded, history_days=365) == line


def test_weekly_series_too_short_to_forecast_are_counted_as_too_short_a_history():
    """Regression: the run's summary recognised a too-short series by the words 'days of
    history', so weekly series ('Only 3 weeks of history, …') were each counted under their
    own sentence."""
    last = dt.date(2025, 6, 2)
    frame = pl.concat(
        [
            pl.DataFrame(
                {"unique_id": uid, "ds": [last - dt.timedelta(weeks=i) for i in range(n)],
                 "y": 0.1},
                schema=SERIES_SCHEMA,
            )
            for uid, n in (("a|r|en", 2), ("b|r|en", 3), ("c|r|en", 30))
        ]
    ).sort("unique_id", "ds")  # fmt: skip
    skipped = prepare_series(frame, freq=WEEK, min_history_days=28).skipped
    assert skipped["unique_id"].to_list() == ["a|r|en", "b|r|en"]
    assert skipped["reason"].str.contains("weeks of history").all()
    assert not_forecast_counts(skipped) == {"too short a history": 2}


def test_series_too_sparse_to_forecast_are_counted_in_their_own_periods():
    """Regression: the run's summary counted weekly series skipped for too many suppressed or
    missing recent weeks as 'too many suppressed or missing recent days'."""
    last = dt.date(2025, 6, 2)
    frame = pl.concat(
        [
            pl.DataFrame(
                {"unique_id": uid, "ds": [last - dt.timedelta(weeks=i) for i in range(30)],
                 "y": [None if i % 2 and gaps else 0.1 for i in range(30)]},
                schema=SERIES_SCHEMA,
            )
            for uid, gaps in (("a|r|en", True), ("b|r|en", True), ("c|r|en", False))
        ]
    ).sort("unique_id", "ds")  # fmt: skip
    skipped = prepare_series(frame, freq=WEEK, min_history_days=28).skipped
    assert skipped["cause"].to_list() == [Cause.SPARSE, Cause.SPARSE]
    assert not_forecast_counts(skipped) == {"too many suppressed or missing recent weeks": 2}
