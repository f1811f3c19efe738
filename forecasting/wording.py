"""How alerts word a population statistic: the subject, shares, days and periods.

Every alert `reason` is one plain sentence about a population statistic, never about a
person; the phrases here are shared by every alert method.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from forecasting.frequency import Frequency
from transforms.contracts import ALL, UNKNOWN_REGION, split_series_id

Basis = Literal["authors", "posts"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Subject:
    """Whose statistic an alert is about: a series (or dimension) in a region and language."""

    unique_id: str
    marker: str
    region: str
    lang: str
    basis: Basis


def share_phrase(subject: Subject, *, forecast: bool = False, label: str | None = None) -> str:
    """'share of authors whose posts matched 'anxiety' in us-ca (en)' and its variants: the
    population statistic of `subject`, never a person (`forecast` switches to the present;
    `label` replaces the quoted marker name, e.g. for a dimension's markers)."""
    name = label or f"'{subject.marker.replace('_', ' ')}'"
    tense = "match" if forecast else "matched"
    share = (
        f"share of authors whose posts {tense} {name}"
        if subject.basis == "authors"
        else f"share of posts that {tense} {name}"
    )
    where = {ALL: "across all regions", UNKNOWN_REGION: "where the region is unknown"}.get(
        subject.region, f"in {subject.region}"
    )
    language = "all languages" if subject.lang == ALL else subject.lang
    return f"{share} {where} ({language})"


def percent(value: float) -> str:
    points = value * 100
    return f"{points:.1f}%" if points >= 1 or points == 0 else f"{points:.2f}%"


def ordinal(number: float) -> str:
    whole = int(number)
    if whole != number:
        return f"{number:g}th"
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix}"


def day_name(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def day_span(start: dt.date, end: dt.date) -> str:
    """'on 3 March 2025', 'from 3 to 17 March 2025', 'from 28 February to 5 March 2025'."""
    if start == end:
        return f"on {day_name(start)}"
    if start.year != end.year:
        return f"from {day_name(start)} to {day_name(end)}"
    if start.month != end.month:
        return f"from {start.day} {_MONTHS[start.month - 1]} to {day_name(end)}"
    return f"from {start.day} to {day_name(end)}"


def subject_of(unique_id: str, basis: Basis) -> Subject:
    """The Subject of a `marker|region|lang` series."""
    return Subject(unique_id, *split_series_id(unique_id), basis)


def period_span(freq: Frequency, start: dt.date, end: dt.date) -> str:
    """`day_span` for daily series; 'in the week starting 3 March 2025', 'from the week
    starting 3 March to the week starting 17 March 2025' or 'from the week starting
    29 December 2025 to the week starting 12 January 2026' for weekly ones."""
    if not freq.weekly:
        return day_span(start, end)
    if start == end:
        return f"in the week starting {day_name(start)}"
    first = day_name(start) if start.year != end.year else f"{start.day} {_MONTHS[start.month - 1]}"
    return f"from the week starting {first} to the week starting {day_name(end)}"
