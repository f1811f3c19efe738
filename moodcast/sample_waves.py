"""The planted dynamics of the sample corpus: where and when markers rise, and waves.csv.

Four shapes, each a factor on a marker's probability in posts (`factor_by_day`):

- `step`: `factor` from `start` to `end` (a sudden wave); `peak` is `start`;
- `gradual`: an epidemic-shaped wave, rising smoothly (half a cosine) from 1 at `start` to
  `factor` at `peak`, then back to 1 at `end`: weeks of rise before the peak, so early warning
  is possible;
- `seasonal`: a yearly cycle of every cell (region and lang `all`), highest (`factor`) at
  `peak` and lowest (2 − `factor`) half a year away;
- `school`: a return-to-school bump of every cell, a step of `factor` over the three weeks
  from the first Monday of April and of September (a rise that is expected every year).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SHAPES = ("step", "gradual", "seasonal", "school")


@dataclass(frozen=True)
class Wave:
    """A planted rise: `marker` in `region` × `lang` (`all`: every one) is up to `factor`
    times as likely in posts from `start` to `end` (local days, inclusive), highest at `peak`,
    following `shape` (see the module docstring)."""

    marker: str
    region: str
    lang: str
    start: date
    end: date
    factor: float
    peak: date | None = None
    shape: str = "step"

    def factor_by_day(self, first_day: date, days: int) -> np.ndarray:
        """The factor on each of `days` local days from `first_day` (1 outside the wave)."""
        t = np.arange(days)
        lo, hi = (self.start - first_day).days, (self.end - first_day).days
        top = ((self.peak or self.start) - first_day).days
        inside = (t >= lo) & (t <= hi)
        if self.shape == "step":
            return np.where(inside, self.factor, 1.0)
        if self.shape == "gradual":
            up = np.clip((t - lo) / max(top - lo, 1), 0, 1)
            down = np.clip((hi - t) / max(hi - top, 1), 0, 1)
            bell = np.where(t <= top, up, down)
            return np.where(inside, 1 + (self.factor - 1) * (1 - np.cos(np.pi * bell)) / 2, 1.0)
        if self.shape == "seasonal":
            return 1 + (self.factor - 1) * np.cos(2 * np.pi * (t - top) / 365.25)
        if self.shape == "school":
            day = np.array([first_day + timedelta(int(i)) for i in t])
            months = np.array([d.month for d in day])
            first_weeks = np.array([d.day <= 7 and d.weekday() == 0 for d in day])
            starts = np.flatnonzero(first_weeks & np.isin(months, (4, 9)))
            out = np.ones(days)
            for s in starts:
                out[s : s + 21] = self.factor
            return out
        raise ValueError(f"unknown wave shape {self.shape!r}; known: {', '.join(SHAPES)}")


DEFAULT_WAVES = (
    ("anxiety", "us-ca", "en", 28, 21, 2.8),
    ("joy", "us-ca", "es", 130, 14, 1.8),
    ("joy", "us-tx", "en", 175, 12, 1.6),
    ("stress", "us-ca", "en", 238, 19, 2.5),
    ("sadness", "us-ca", "en", 308, 16, 2.0),
)
"""Step waves: `(marker, region, lang, first day offset, plateau days, factor)` for a 365-day
corpus; other lengths scale the offsets and plateaus in proportion, except an offset within
FIRST_MONTH days, which stays: every corpus has its strongest step 4 weeks after the data
start, where a method's history is still short."""

FIRST_MONTH = 35

GRADUAL_WAVES = (
    ("joy", "us-ca", "en", 70, 21, 14, 2.0),
    ("anxiety", "us-tx", "en", 120, 24, 18, 2.3),
    ("sadness", "us-ca", "es", 185, 21, 21, 2.2),
    ("stress", "us-tx", "en", 250, 28, 14, 2.4),
    ("anxiety", "us-ca", "es", 300, 21, 21, 2.5),
)
"""Gradual waves: `(marker, region, lang, first day offset, rise days, fall days, peak factor)`;
offsets scale with the corpus length, rise and fall do not (a wave past the end is cut)."""

SEASONAL = ("sadness", 15, 1.12)
"""The yearly cycle: (marker, day of year of its high, factor at the high)."""

SCHOOL = ("stress", 1.3)
"""The return-to-school bump: (marker, factor)."""


def plan_waves(start: date, days: int) -> tuple[Wave, ...]:
    """The planted rises of a corpus of `days` days from `start` (see the tables above)."""
    last_day = start + timedelta(days - 1)
    waves = []
    for marker, region, lang, offset, length, factor in DEFAULT_WAVES:
        first = min(days - 1, offset if offset <= FIRST_MONTH else offset * days // 365)
        last = min(days - 1, first + max(1, round(length * days / 365)) - 1)
        begin = start + timedelta(first)
        waves.append(Wave(marker, region, lang, begin, start + timedelta(last), factor, begin))
    for marker, region, lang, offset, rise, fall, factor in GRADUAL_WAVES:
        first = offset * days // 365
        if first + rise < days:
            peak = start + timedelta(first + rise)
            end = min(last_day, peak + timedelta(fall))
            waves.append(
                Wave(marker, region, lang, start + timedelta(first), end, factor, peak, "gradual")
            )
    marker, high_day, factor = SEASONAL
    high = date(start.year, 1, 1) + timedelta(high_day - 1)
    while high < start:
        high = date(high.year + 1, 1, 1) + timedelta(high_day - 1)
    waves.append(Wave(marker, "all", "all", start, last_day, factor, high, "seasonal"))
    marker, factor = SCHOOL
    waves.append(Wave(marker, "all", "all", start, last_day, factor, None, "school"))
    return tuple(waves)


def write_waves(path: Path, waves: tuple[Wave, ...]) -> None:
    """Write `waves` as CSV: `marker,region,lang,start,peak,end,factor,shape` (an empty
    `peak` for the school bump, whose peaks are its return-to-school weeks)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["marker", "region", "lang", "start", "peak", "end", "factor", "shape"])
        writer.writerows(
            [w.marker, w.region, w.lang, w.start, w.peak or "", w.end, f"{w.factor:g}", w.shape]
            for w in waves
        )


def read_waves(path: Path) -> tuple[Wave, ...]:
    """The waves of a `waves.csv` written by `write_waves` (or by an older moodcast, without
    `peak` and `shape`: step waves)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Wave(r["marker"], r["region"], r["lang"], date.fromisoformat(r["start"]),
             date.fromisoformat(r["end"]), float(r["factor"]),
             date.fromisoformat(r["peak"]) if r.get("peak") else
             (None if r.get("shape") == "school" else date.fromisoformat(r["start"])),
             r.get("shape") or "step")
        for r in rows
    )  # fmt: skip
