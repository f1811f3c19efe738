"""Series preparation: validation, regular daily index, bounded history, suppressed days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from forecasting.backtest import validate_long
from forecasting.frequency import DAY, WEEK, FrequencyError, regular
from forecasting.series import (
    FIT_SCHEMA,
    NOTES_SCHEMA,
    prepare_series,
    validate_series,
)
from tests.forecasting.synthetic import START, series_frame
from transforms.contracts import ContractError


def test_validate_rejects_repeated_days_with_a_hint():
    frame = series_frame({"anxiety|north|en": np.array([0.1, 0.2])})
    with pytest.raises(ContractError, match="one marker version per series"):
        validate_series(pl.concat([frame, frame]))


def test_validate_rejects_percentages_and_malformed_ids():
    with pytest.raises(ContractError, match="proportion in 0–1"):
        validate_series(series_frame({"anxiety|north|en": np.array([0.1, 14.0])}))
    with pytest.raises(ContractError, match="marker\\|region\\|lang"):
        validate_series(series_frame({"anxiety-north": np.array([0.1])}))
    with pytest.raises(ContractError, match="missing column"):
        validate_series(pl.DataFrame({"unique_id": ["a|b|c"], "y": [0.1]}))


def test_validate_reads_nan_as_null():
    frame = validate_series(
        pl.DataFrame(
            {"unique_id": ["a|b|c"] * 2, "ds": [START, START + dt.timedelta(1)], "y": [0.1, np.nan]}
        )
    )
    assert frame["y"].null_count() == 1


def test_regular_fills_missing_days_with_null_up_to_the_latest_day():
    frame = pl.concat(
        [
            series_frame({"a|b|c": np.array([0.1, 0.2, 0.3, 0.4])}).filter(
                pl.col("ds") != START + dt.timedelta(1)
            ),
            series_frame({"d|e|f": np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])}),
        ]
    )
    out = regular(validate_series(frame), freq=DAY)
    a = out.filter(pl.col("unique_id") == "a|b|c")
    assert a.height == 6
    assert a["y"].to_list() == [0.1, None, 0.3, 0.4, None, None]


def test_prepare_bounds_history_and_interpolates_for_fitting_only():
    y = np.full(400, 0.1)
    y[-10] = np.nan
    y[-11] = np.nan
    y[-12] = 0.2
    y[-9] = 0.4
    frame = series_frame({"a|b|c": y})
    before = frame.clone()
    prepared = prepare_series(frame, history_days=100)
    assert frame.equals(before)
    assert prepared.fit.schema == pl.Schema(FIT_SCHEMA)
    assert prepared.fit.height == 100
    filled = prepared.fit.filter(~pl.col("observed"))
    assert filled["y"].to_list() == pytest.approx([0.2 + 0.2 / 3, 0.2 + 0.4 / 3])
    assert prepared.history.row(0) == ("a|b|c", 100, 2)
    assert prepared.skipped.height == 0


def test_prepare_drops_leading_nulls_and_carries_trailing_ones():
    y = np.array([np.nan, np.nan, 0.1, 0.2, 0.3, 0.4, 0.5, np.nan])
    prepared = prepare_series(series_frame({"a|b|c": y}), max_null_share=0.5)
    assert prepared.fit["y"].to_list() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.5])
    assert prepared.fit["ds"][0] == START + dt.timedelta(2)


def test_prepare_skips_mostly_suppressed_and_too_short_series_with_a_reason():
    rng = np.random.default_rng(0)
    sparse = np.full(100, 0.1)
    sparse[rng.choice(100, 30, replace=False)] = np.nan
    frame = pl.concat(
        [
            series_frame({"sparse|north|en": sparse}),
            series_frame({"short|north|en": np.full(3, 0.1)}, start=START + dt.timedelta(97)),
            series_frame({"fine|north|en": np.full(100, 0.1)}),
        ]
    )
    prepared = prepare_series(frame)
    assert prepared.skipped.schema == pl.Schema(NOTES_SCHEMA)
    reasons = dict(prepared.skipped.select("unique_id", "reason").iter_rows())
    assert set(reasons) == {"sparse|north|en", "short|north|en"}
    assert "30% of its last 100 days are suppressed" in reasons["sparse|north|en"]
    assert "Only 3 days of history" in reasons["short|north|en"]
    assert prepared.fit["unique_id"].unique().to_list() == ["fine|north|en"]


def test_prepare_accepts_an_empty_frame():
    prepared = prepare_series(series_frame({}))
    assert prepared.fit.height == prepared.skipped.height == prepared.history.height == 0


def test_regular_weekly_fills_missing_weeks_and_refuses_off_grid_days():
    monday = dt.date(2025, 1, 6)
    frame = pl.DataFrame(
        {"unique_id": "a|b|c", "ds": [monday, monday + dt.timedelta(weeks=2)], "y": [0.1, 0.2]}
    )
    out = regular(validate_series(frame), freq=WEEK)
    assert out["ds"].to_list() == [monday + dt.timedelta(weeks=i) for i in range(3)]
    assert out["y"].to_list() == [0.1, None, 0.2]
    tuesday = frame.with_columns(pl.col("ds") + dt.timedelta(days=1)).vstack(frame[:1])
    with pytest.raises(FrequencyError, match="not on the week grid"):
        regular(validate_series(tuesday), freq=WEEK)


def test_the_series_contract_and_the_backtest_input_name_a_repeated_pair_alike():
    frame = series_frame({"anxiety|north|en": np.array([0.1, 0.2])})
    twice = pl.concat([frame, frame])
    said = f"4 rows repeat a (unique_id, ds) pair, e.g. 'anxiety|north|en' on {START}"
    with pytest.raises(ContractError) as contract:
        validate_series(twice)
    with pytest.raises(ValueError) as backtest_input:
        validate_long(twice)
    assert str(contract.value) == f"Series: {said}; pass one marker version per series"
    assert str(backtest_input.value) == f"{said}; aggregate them first"
