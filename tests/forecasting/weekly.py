"""Seeded synthetic weekly surveillance series: seasons with an epidemic of known onset."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

FIRST_MONDAY = dt.date(2015, 9, 28)


def weekly_seasons(
    rng: np.random.Generator, *, seasons: int = 6, base: float = 0.01, peak: float = 4.0
) -> tuple[np.ndarray, list[dt.date], list[int]]:
    """(y, week starts (Mondays), onset index of each season's epidemic).

    Each 52-week season (from ISO week 40) has a low baseline with noise and a smooth
    epidemic that peaks `peak` times above it somewhere in weeks 8–20 of the season.
    """
    weeks = 52 * seasons
    t = np.arange(weeks)
    y = base * (1 + 0.1 * np.cos(2 * np.pi * t / 52))
    onsets = []
    for season in range(seasons):
        centre = season * 52 + rng.integers(12, 22)
        width = rng.uniform(2.5, 4.0)
        height = base * (peak - 1) * rng.uniform(0.6, 1.4)
        y = y + height * np.exp(-0.5 * ((t - centre) / width) ** 2)
        onsets.append(int(centre - 2 * width))
    y = y * np.exp(0.05 * rng.standard_normal(weeks))
    days = [FIRST_MONDAY + dt.timedelta(weeks=int(i)) for i in t]
    return y, days, onsets


def weekly_frame(values: dict[str, np.ndarray], days: list[dt.date]) -> pl.DataFrame:
    """A SERIES_SCHEMA frame of weekly series on `days`."""
    return pl.concat(
        [
            pl.DataFrame(
                {"unique_id": uid, "ds": days[: len(y)], "y": y},
                schema={"unique_id": pl.String, "ds": pl.Date, "y": pl.Float64},
            )
            for uid, y in values.items()
        ]
    )
