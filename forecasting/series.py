"""Series preparation: validation, a regular daily index, bounded history, suppressed days.

A Series `y` is a daily prevalence proportion (0–1); a null `y` is a day whose cell was
suppressed for privacy (or had no row at all). Models need a gap-free history, so nulls are
interpolated here for fitting only: the interpolated values never leave `forecasting` as
observations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from forecasting.frequency import DAY, Frequency, regular
from transforms.contracts import SERIES_SCHEMA, ContractError, conform

NOTES_SCHEMA = {
    "unique_id": pl.String,
    "status": pl.String,
    "model": pl.String,
    "reason": pl.String,
    "cause": pl.String,
    "unit": pl.String,
}
"""One row per series of a run: `status` is `ok`, `fallback` or `skipped`; `model` is the model
whose forecasts and fitted values the alert rule used (null when skipped); `reason` says why,
in one plain sentence; `cause` is why as data (a Cause; null when `ok`), what readers count
and word notes by, never `reason`'s text; `unit` is the period of the series' grain (`day`,
`week`, `8-week period`; null for a series no grain could take)."""


class Cause(StrEnum):
    """Why a series was not forecast by its chosen model (NOTES_SCHEMA `cause`)."""

    SHORT_HISTORY = "short_history"
    """Fewer periods of history than its model needs (a fallback) or than a forecast needs
    (skipped)."""
    UNKNOWN_MODEL = "unknown_model"
    """Its chosen model is not one this version knows (a fallback)."""
    MODEL_FAILED = "model_failed"
    """Its chosen model failed on it (a fallback)."""
    SPARSE = "sparse"
    """Too many of its recent periods are suppressed or missing (skipped)."""
    BELOW_K = "below_k"
    """Its cells fall below k at every grain (skipped)."""
    ALL_FAILED = "all_failed"
    """Its chosen model and every fallback model failed (skipped)."""


STATUSES = ("ok", "fallback", "skipped")

FIT_SCHEMA = {
    "unique_id": pl.String,
    "ds": pl.Date,
    "y": pl.Float64,
    "observed": pl.Boolean,
}
"""What the models are fitted on: a regular daily index, `y` never null (suppressed and
missing days interpolated), `observed` false on those interpolated days."""


@dataclass(frozen=True)
class PreparedSeries:
    """Series ready for the models, and the notes of those that are not forecast.

    `fit` follows FIT_SCHEMA, sorted by `unique_id`, `ds`; `skipped` follows NOTES_SCHEMA
    (status `skipped`); `history` holds, per fitted series, `unique_id`, `n_days` (length of
    its fitted history) and `n_interpolated` (suppressed or missing days filled for fitting).
    """

    fit: pl.DataFrame
    skipped: pl.DataFrame
    history: pl.DataFrame


def repeated_pairs(frame: pl.DataFrame) -> str | None:
    """How many rows of `frame` repeat a (`unique_id`, `ds`) pair, and the first such pair, as
    an error message says it; None where no pair repeats."""
    repeated = frame.filter(pl.struct("unique_id", "ds").is_duplicated())
    if repeated.is_empty():
        return None
    row = repeated.row(0, named=True)
    return (
        f"{repeated.height} rows repeat a (unique_id, ds) pair, e.g. {row['unique_id']!r} "
        f"on {row['ds']}"
    )


def validate_series(series: pl.DataFrame) -> pl.DataFrame:
    """Return `series` conformed to SERIES_SCHEMA, NaN `y` read as null, sorted by id and day.

    Raises ContractError when a column is missing or mistyped, a `unique_id` is not
    `marker|region|lang`, a (`unique_id`, `ds`) pair repeats (pass one marker version per
    series), `ds` is null, or a `y` lies outside 0–1 (`y` is a proportion, not a percentage).
    """
    frame = conform(series, SERIES_SCHEMA, name="Series").with_columns(pl.col("y").fill_nan(None))
    if frame.height == 0:
        return frame
    bad_ids = frame.filter(
        pl.col("unique_id").is_null() | (pl.col("unique_id").str.count_matches(r"\|") != 2)
    )
    if bad_ids.height:
        example = bad_ids["unique_id"][0]
        raise ContractError(f"Series: unique_id must be 'marker|region|lang', got {example!r}")
    if frame["ds"].null_count():
        raise ContractError("Series: ds (the day) must not be null")
    if (repeated := repeated_pairs(frame)) is not None:
        raise ContractError(f"Series: {repeated}; pass one marker version per series")
    out_of_range = frame.filter((pl.col("y") < 0) | (pl.col("y") > 1))
    if out_of_range.height:
        row = out_of_range.row(0, named=True)
        raise ContractError(
            f"Series: y must be a proportion in 0–1, got {row['y']} for {row['unique_id']!r} "
            f"on {row['ds']}"
        )
    return frame.sort("unique_id", "ds")


def prepare_series(
    series: pl.DataFrame,
    *,
    history_days: int = 365,
    max_null_share: float = 0.2,
    min_history_days: int = 5,
    freq: Frequency = DAY,
) -> PreparedSeries:
    """Bound, regularise and fill Series for model fitting.

    `series` follows SERIES_SCHEMA at frequency `freq`; `history_days` and `min_history_days`
    are spans of time, counted in periods of `freq` (365 days are 52 weeks). Each series keeps
    its last `history_days` days up to the latest `ds` of the whole frame (so every forecast
    starts on the same day). A series is skipped, with a reason (`_skip_reason`), when more
    than `max_null_share` of those days are null (suppressed or missing), or when fewer than
    `min_history_days` days (and `freq.min_periods` periods) remain from its first observed
    day. Otherwise leading nulls are dropped, interior nulls are interpolated linearly and
    trailing nulls carry the last observed value forward, for fitting only. Raises
    ContractError on a malformed frame (see `validate_series`).
    """
    if history_days < 1 or min_history_days < 1:
        raise ValueError("history_days and min_history_days must be at least 1")
    if not 0 <= max_null_share <= 1:
        raise ValueError(f"max_null_share is a share in 0–1, not {max_null_share}")
    frame = validate_series(series)
    if frame.height == 0:
        return PreparedSeries(
            fit=pl.DataFrame(schema=FIT_SCHEMA),
            skipped=pl.DataFrame(schema=NOTES_SCHEMA),
            history=pl.DataFrame(
                schema={"unique_id": pl.String, "n_days": pl.Int64, "n_interpolated": pl.Int64}
            ),
        )
    last = frame["ds"].max()
    first_kept = last - dt.timedelta(days=freq.step_days * (freq.periods(history_days) - 1))
    min_history = max(freq.periods(min_history_days), freq.min_periods)
    bounded = regular(frame, freq=freq, end=last).filter(pl.col("ds") >= first_kept)
    observed = pl.col("y").is_not_null()
    stats = bounded.group_by("unique_id").agg(
        pl.len().alias("n_window"),
        (~observed).sum().alias("n_null"),
        pl.col("ds").filter(observed).min().alias("first_observed"),
    )
    trimmed = bounded.join(stats.select("unique_id", "first_observed"), on="unique_id").filter(
        pl.col("ds") >= pl.col("first_observed")
    )
    lengths = trimmed.group_by("unique_id").agg(
        pl.len().alias("n_days"), (~observed).sum().alias("n_interpolated")
    )
    stats = stats.join(lengths, on="unique_id", how="left").with_columns(
        pl.col("n_days").fill_null(0), pl.col("n_interpolated").fill_null(0)
    )
    stats = stats.with_columns(
        *_skip_reason(max_null_share=max_null_share, min_history=min_history, freq=freq)
    )
    skipped = (
        stats.filter(pl.col("reason").is_not_null())
        .select(
            "unique_id",
            pl.lit("skipped").alias("status"),
            pl.lit(None, dtype=pl.String).alias("model"),
            "reason",
            "cause",
            pl.lit(freq.unit).alias("unit"),
        )
        .cast(NOTES_SCHEMA)
        .sort("unique_id")
    )
    kept = stats.filter(pl.col("reason").is_null()).select("unique_id", "n_days", "n_interpolated")
    fit = (
        trimmed.join(kept.select("unique_id"), on="unique_id", how="semi")
        .with_columns(
            observed.alias("observed"),
            pl.col("y").interpolate().forward_fill().over("unique_id"),
        )
        .select(FIT_SCHEMA.keys())
        .cast(FIT_SCHEMA)
        .sort("unique_id", "ds")
    )
    return PreparedSeries(
        fit=fit,
        skipped=skipped,
        history=kept.cast({"n_days": pl.Int64, "n_interpolated": pl.Int64}).sort("unique_id"),
    )


def _skip_reason(*, max_null_share: float, min_history: int, freq: Frequency) -> list[pl.Expr]:
    """`reason` and `cause` (a Cause), why a series is not forecast, from its `n_null` of
    `n_window` periods and its `n_days` of history: more than `max_null_share` null, or fewer
    than `min_history` periods (of `freq`); null for a series that is forecast."""
    share = pl.col("n_null") / pl.col("n_window")
    sparse = share > max_null_share
    short = pl.col("n_days") < min_history
    cause = (
        pl.when(sparse)
        .then(pl.lit(Cause.SPARSE.value))
        .when(short)
        .then(pl.lit(Cause.SHORT_HISTORY.value))
        .alias("cause")
    )
    reason = (
        pl.when(sparse)
        .then(
            pl.format(
                "{}% of its last {} {}s are suppressed or missing (more than {}%), so it is "
                "not forecast.",
                (share * 100).round(0).cast(pl.Int64),
                pl.col("n_window"),
                pl.lit(freq.unit),
                pl.lit(round(max_null_share * 100)),
            )
        )
        .when(short)
        .then(
            pl.format(
                "Only {} {}s of history, fewer than the {} needed, so it is not forecast.",
                pl.col("n_days"),
                pl.lit(freq.unit),
                pl.lit(min_history),
            )
        )
        .alias("reason")
    )
    return [reason, cause]
