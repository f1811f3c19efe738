"""Seeded synthetic Series for the forecasting tests: weekly pattern, binomial noise,
small-cell suppression, and optional planted waves of known start, length and size."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from transforms.contracts import SERIES_SCHEMA

START = dt.date(2025, 1, 1)
K = 11


def daily_prevalence(
    rng: np.random.Generator,
    *,
    n_days: int,
    authors: int = 1000,
    base: float = 0.08,
    overdispersion: float = 0.05,
    wave: tuple[int, int, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(y with NaN on suppressed days, the true y before suppression).

    `authors` is the mean number of authors a day, `base` the prevalence, `wave` a
    (start index, length in days, factor) step rise planted on top.
    """
    t = np.arange(n_days)
    n_authors = rng.poisson(authors * (1 + 0.15 * np.sin(2 * np.pi * t / 7)))
    p = base * (1 + 0.1 * np.sin(2 * np.pi * t / 7 + 1))
    p = p * np.exp(overdispersion * rng.standard_normal(n_days))
    if wave is not None:
        start, length, factor = wave
        p[start : start + length] *= factor
    marked = rng.binomial(n_authors, np.clip(p, 0, 1))
    y = marked / np.maximum(n_authors, 1)
    suppressed = ((marked > 0) & (marked < K)) | (n_authors < K)
    return np.where(suppressed, np.nan, y), y


def series_frame(values: dict[str, np.ndarray], *, start: dt.date = START) -> pl.DataFrame:
    """A SERIES_SCHEMA frame from `unique_id → y` (NaN becomes null)."""
    frames = [
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [start + dt.timedelta(days=i) for i in range(len(y))],
                "y": [None if np.isnan(v) else float(v) for v in y],
            },
            schema=SERIES_SCHEMA,
        )
        for uid, y in values.items()
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=SERIES_SCHEMA)
