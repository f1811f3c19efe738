"""The planted waves of the sample corpus: where and when chosen markers rise, and waves.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Wave:
    """A planted wave: `marker` in `region` × `lang` is `factor` times as likely in posts from
    `start` to `end` (local days, inclusive)."""

    marker: str
    region: str
    lang: str
    start: date
    end: date
    factor: float


DEFAULT_WAVES = (
    ("anxiety", "us-ca", "en", 56, 21, 2.8),
    ("joy", "us-ca", "es", 130, 14, 1.8),
    ("joy", "us-tx", "en", 175, 12, 1.6),
    ("stress", "us-ca", "en", 238, 19, 2.5),
    ("sadness", "us-ca", "en", 308, 16, 2.0),
)
"""`(marker, region, lang, first day offset, plateau days, factor)` for a 365-day corpus; other
lengths scale the offsets and plateaus in proportion."""


def plan_waves(start: date, days: int) -> tuple[Wave, ...]:
    """The planted waves of a corpus of `days` days from `start` (see DEFAULT_WAVES)."""
    waves = []
    for marker, region, lang, offset, length, factor in DEFAULT_WAVES:
        first = min(days - 1, offset * days // 365)
        last = min(days - 1, first + max(1, round(length * days / 365)) - 1)
        waves.append(
            Wave(marker, region, lang, start + timedelta(first), start + timedelta(last), factor)
        )
    return tuple(waves)


def write_waves(path: Path, waves: tuple[Wave, ...]) -> None:
    """Write `waves` as CSV: `marker,region,lang,start,end,factor`."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["marker", "region", "lang", "start", "end", "factor"])
        writer.writerows(
            [w.marker, w.region, w.lang, w.start, w.end, f"{w.factor:g}"] for w in waves
        )


def read_waves(path: Path) -> tuple[Wave, ...]:
    """The waves of a `waves.csv` written by `write_waves`."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Wave(r["marker"], r["region"], r["lang"], date.fromisoformat(r["start"]),
             date.fromisoformat(r["end"]), float(r["factor"]))
        for r in rows
    )  # fmt: skip
