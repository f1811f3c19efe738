"""The frequency of a series: daily, ISO-week, CDC epi-week or 8-week periods, and its grid.

A series carries its frequency: `ds` is the period's first day (a day; the Monday of an ISO
week; the Sunday of a CDC epi-week (MMWR week)), one row per period. Every window of a model,
an alert method or a peak rule is a number of periods of that frequency, and its season
comes from the frequency: the weekly rhythm of daily data (7 periods), the year of weekly
data (52 periods). `detect_frequency` reads the frequency off the data; `regular` puts a
series on its gap-free grid.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import polars as pl

from transforms.contracts import ContractError


class FrequencyError(ValueError):
    """A series is not on its frequency's grid, or a method cannot run at that frequency."""


@dataclass(frozen=True)
class Frequency:
    """One frequency: `name`, the days one period spans (`step_days`), the periods of its
    short `season` (what models and seasonal-naive baselines use), the periods of a `year`
    (what seasonal alert methods compare against), the weekday (Monday 0 … Sunday 6) its
    periods start on (None for days), and the fewest periods of history a series needs to be
    forecast at it (`min_periods`, on top of any span asked for)."""

    name: str
    step_days: int
    season: int
    year: int
    weekday: int | None
    unit: str
    min_periods: int = 1

    @property
    def interval(self) -> str:
        """The polars / statsforecast interval of one period: `1d`, `1w` or `8w`."""
        return "1d" if self.step_days == 1 else f"{self.step_days // 7}w"

    @property
    def weekly(self) -> bool:
        return self.step_days == 7

    def last_day(self, start: dt.date) -> dt.date:
        """The last day of the period that starts on `start` (`start` itself for days): the
        first day on which all of the period's data can exist."""
        return start + dt.timedelta(days=self.step_days - 1)

    def periods(self, days: int) -> int:
        """How many periods (at least 1) cover `days` days, e.g. 28 days → 4 weeks."""
        return max(1, round(days / self.step_days))

    def days_for(self, n: int) -> int:
        """The fewest days that `periods` counts as at least `n` periods: 756 days hold 14
        8-week periods (756 / 56 = 13.5 rounds to 14), 95 days 14 weeks."""
        return next(days for days in itertools.count(1) if self.periods(days) >= n)

    def describe(self, n: int) -> str:
        """'3 days', '1 week'."""
        return f"{n} {self.unit}{'' if n == 1 else 's'}"


DAY = Frequency("day", 1, season=7, year=365, weekday=None, unit="day")
WEEK = Frequency("week", 7, season=52, year=52, weekday=0, unit="week")
EPIWEEK = Frequency("epiweek", 7, season=52, year=52, weekday=6, unit="week")
EIGHT_WEEK = Frequency(
    "8week", 56, season=6, year=6, weekday=0, unit="8-week period", min_periods=6
)
EIGHT_EPIWEEK = Frequency(
    "8epiweek", 56, season=6, year=6, weekday=6, unit="8-week period", min_periods=6
)
FREQUENCIES = {f.name: f for f in (DAY, WEEK, EPIWEEK, EIGHT_WEEK, EIGHT_EPIWEEK)}
"""Every frequency by name: `day`, `week` (ISO, Monday), `epiweek` (CDC MMWR, Sunday), and
eight of either week (`8week`, `8epiweek`: the 8-week cells of transforms.periods, about six
and a half to a year; no alert method runs on them, they are forecast only, from at least six
of them: 48 weeks)."""


def detect_frequency(ds: pl.Series) -> Frequency:
    """The frequency of the period starts `ds` (one series or several).

    Weekly when every `ds` falls on the same weekday and there is more than one: `week` on a
    Monday, `epiweek` on a Sunday, otherwise a week starting that weekday. Daily otherwise.
    """
    days = ds.drop_nulls().unique().cast(pl.Date)
    if days.len() < 2:
        return DAY
    weekdays = set(days.dt.weekday().to_list())
    if len(weekdays) > 1:
        return DAY
    weekday = weekdays.pop() - 1
    for freq in (WEEK, EPIWEEK):
        if freq.weekday == weekday:
            return freq
    return Frequency("week", 7, season=52, year=52, weekday=weekday, unit="week")


def frequency_of(ds: pl.Series, code: str) -> Frequency:
    """The frequency a user named (`D` for days, `W` for weeks, or a name of FREQUENCIES),
    checked against `ds`; raises FrequencyError saying what the data looks like otherwise."""
    found = detect_frequency(ds)
    wanted = {"D": "day", "W": "week"}.get(code, code)
    if wanted == "day":
        if found.weekly:
            raise FrequencyError(
                "every ds of the series falls on the same weekday: it looks weekly; pass --freq W"
            )
        return DAY
    if wanted not in ("week", "epiweek"):
        raise FrequencyError(f"unknown frequency {code!r}; use D (days) or W (weeks)")
    if not found.weekly:
        raise FrequencyError(
            "the series is not weekly: every ds of a weekly series is the first day of its week "
            "(the same weekday, e.g. the Monday of an ISO week or the Sunday of an epi-week); "
            "pass --freq D for daily data"
        )
    return found


def regular(series: pl.DataFrame, *, freq: Frequency, end: dt.date | None = None) -> pl.DataFrame:
    """Every period of `freq` from each series' first `ds` to `end` (default: the latest `ds`).

    Periods that had no row get a null `y`, like suppressed ones; rows after `end` are dropped.
    Takes and returns frames with `unique_id`, `ds`, `y` (sorted by `unique_id`, `ds`); raises
    FrequencyError when a `ds` is off the grid (e.g. a Tuesday in a Monday-weekly series).
    """
    if series.height == 0:
        return series
    last = end if end is not None else series["ds"].max()
    firsts = series.group_by("unique_id").agg(pl.col("ds").min().alias("first"))
    index = (
        firsts.filter(pl.col("first") <= last)
        .select(
            "unique_id",
            pl.date_ranges(pl.col("first"), pl.lit(last), interval=freq.interval).alias("ds"),
        )
        .explode("ds")
    )
    kept = series.filter(pl.col("ds") <= last)
    out = index.join(kept, on=["unique_id", "ds"], how="left").select(series.columns)
    if out.filter(pl.col("y").is_not_null()).height < kept.filter(pl.col("y").is_not_null()).height:
        raise FrequencyError(
            f"some ds are not on the {freq.name} grid of their series (one ds per "
            f"{freq.unit}, from the series' first ds); check the dates or the frequency"
        )
    return out.cast(series.schema).sort("unique_id", "ds")


def check_grid(series: pl.DataFrame, freq: Frequency) -> None:
    """Raise ContractError when a `ds` of `series` is not a period start of `freq`."""
    if freq.weekly and series.height:
        off = series.filter(pl.col("ds").dt.weekday() - 1 != freq.weekday)
        if off.height:
            row = off.row(0, named=True)
            raise ContractError(
                f"Series: {freq.name} periods start on the same weekday, but "
                f"{row['unique_id']!r} has ds {row['ds']}; give the first day of each week"
            )
