"""The `created_at` forms read besides epochs and ISO-8601 with seconds, and the dead-letter
reasons of those none reads, with what an error message advises about them.

transforms.records.parse_timestamp reads epochs and ISO-8601 with seconds itself, and, where
those read nothing, the forms of OTHER_FORMS, rewritten here as ISO-8601 with seconds
(other_forms_as_iso). transforms.timestamps reads the same forms in one compiled pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

UNPARSEABLE_TIMESTAMP = "unparseable timestamp"
"""The dead-letter reason of a record whose `created_at` parse_timestamp cannot read."""
AMBIGUOUS_TIMESTAMP = "timestamp with ambiguous day/month order"
"""The dead-letter reason of a record whose `created_at` starts with a date such as 03/01/2024
(DAY_MONTH_ORDER): no form reads it, since its day and month could be either way round."""
TIMESTAMP_FORMS = (
    "ISO-8601 date and time, with or without seconds, with Z, UTC or an offset "
    "(2026-01-11T04:36:00Z, 2026-01-11 04:36+01:00, 2026-01-11 04:36:00+01, "
    "2026-01-11 04:36:00 UTC) or without one, read in source_tz (2026-01-11 04:36), also with "
    "the date as 2026/01/11 or in the basic form (20260111T043600Z), a date alone (2026-01-11), "
    "Twitter API v1.1's Sun Jan 11 04:36:00 +0000 2026, RFC 2822's "
    "Sun, 11 Jan 2026 04:36:00 +0000 (RSS, e-mail), or epoch seconds or milliseconds "
    "(1768106160)"
)
"""The `created_at` forms parse_timestamp reads, as an error message names them."""
DAY_MONTH_ORDER = r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})(?:$|[ T,])"
"""A `created_at` that starts with a date whose day and month come first (03/01/2024,
1.3.24): the value does not tell which is which, so no form reads it."""
ISO_AWARE = "%Y-%m-%dT%H:%M:%S%.f%z"
"""ISO-8601 with seconds and an offset, as `str.to_datetime` reads it."""
ISO_NAIVE = "%Y-%m-%dT%H:%M:%S%.f"
"""ISO-8601 with seconds and no zone, as `str.to_datetime` reads it."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = f"(?P<m>{'|'.join(_MONTHS)})"
_WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_ZONE = r"(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?| ?UTC| ?GMT)"
OTHER_FORMS = (
    rf"^(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?:[T ](?P<H>\d{{2}}):(?P<M>\d{{2}})"
    rf"(?::(?P<S>\d{{2}})(?P<f>\.\d{{1,9}})?)?{_ZONE}?)?$",
    rf"^(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}})T(?P<H>\d{{2}})(?P<M>\d{{2}})"
    rf"(?:(?P<S>\d{{2}})(?P<f>\.\d{{1,9}})?)?{_ZONE}?$",
    rf"^{_WEEKDAY} {_MONTH} (?P<d>\d{{2}}) (?P<H>\d{{2}}):(?P<M>\d{{2}}):(?P<S>\d{{2}}) "
    r"(?P<z>[+-]\d{4}) (?P<y>\d{4})$",
    rf"^(?:{_WEEKDAY}, )?(?P<d>\d{{1,2}}) {_MONTH} (?P<y>\d{{4}}) (?P<H>\d{{2}}):(?P<M>\d{{2}})"
    r"(?::(?P<S>\d{2}))? (?P<z>[+-]\d{4}|UTC|UT|GMT|Z)$",
)
"""The forms each matched whole, fields named: ISO-8601 extended (the date also as
YYYY/MM/DD), with or without seconds, a time zone of `Z` or `z`, `UTC` or `GMT` (a space
before them or not), `±hh:mm`, `±hhmm` or `±hh`, or none; ISO-8601 basic (20260111T0436Z; a date
alone in it is an epoch); Twitter API v1.1 (`Sun Jan 11 04:36:00 +0000 2026`); RFC 2822
(`Sun, 11 Jan 2026 04:36 GMT`, the weekday optional, the zone an offset, UT, UTC, GMT or Z;
not the other names it allows, EST to PDT, which exports in other countries use for their own
zones). A weekday's name is not checked against its date, as Python's email.utils does not."""

_START = rf"^(?:\d{{4}}[-/]?\d{{2}}[-/]?\d{{2}}|{_WEEKDAY}[ ,]|\d{{1,2}} [A-Z])"
"""How every value in OTHER_FORMS starts (and some others): where none does, there is no
rewriting to do."""


def other_forms_as_iso(text: pl.Series) -> pl.Series:
    """`text` (stripped) in one of OTHER_FORMS, written `YYYY-MM-DDThh:mm:ss[.f][±hh:mm]`, else
    null: a missing time or seconds are zeros, a month's name its number, `Z`, `UTC`, `GMT` or
    `UT` `+00:00`, `±hh` and `±hhmm` `±hh:mm`. Fields out of range are left for
    `str.to_datetime` to refuse."""
    if not text.str.contains(_START).any():
        return pl.Series(text.name, [None] * text.len(), pl.String)
    slashed = text.str.replace(r"^(\d{4})/(\d{2})/(\d{2})", "${1}-${2}-${3}")
    forms = pl.DataFrame(
        [slashed.str.extract_groups(form).alias(str(i)) for i, form in enumerate(OTHER_FORMS)]
    )
    iso = pl.coalesce(
        _as_iso(pl.col(str(i)).struct.field, "(?P<f>" in form) for i, form in enumerate(OTHER_FORMS)
    )
    return forms.select(
        iso.str.replace_many([f"-{m}-" for m in _MONTHS], [f"-{i:02d}-" for i in range(1, 13)])
        .str.replace(r"(?: ?[A-Z]+|z)$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r"([+-]\d{2})$", "${1}:00")
    ).to_series()


def _as_iso(field: Callable[[str], pl.Expr], fraction: bool) -> pl.Expr:
    """One form's fields (all null where it does not match) as ISO-8601 text, its zone and
    month's name as written."""
    hour, minute, second = (field(name).fill_null("00") for name in ("H", "M", "S"))
    return pl.concat_str(
        field("y"), pl.lit("-"), field("m"), pl.lit("-"), field("d").str.zfill(2), pl.lit("T"),
        hour, pl.lit(":"), minute, pl.lit(":"), second,
        field("f").fill_null("") if fraction else pl.lit(""), field("z").fill_null(""),
    )  # fmt: skip


def timestamp_advice(dead_letter_reasons: Mapping[str, int]) -> list[str]:
    """What to do about the `created_at` values that dead letters counted by reason could not
    read, as sentences of an error message: for AMBIGUOUS_TIMESTAMP, why a date in day/month
    order is not guessed and how to rewrite it; for it or UNPARSEABLE_TIMESTAMP, the forms
    read (TIMESTAMP_FORMS). Empty where neither reason counts."""
    advice = []
    if dead_letter_reasons.get(AMBIGUOUS_TIMESTAMP):
        advice.append(
            "A created_at such as 01/11/2026 04:36 starts with a day and a month in an "
            "order the value does not tell (1 November or 11 January), and moodcast does "
            "not guess it: write the column as YYYY-MM-DD hh:mm first, reading it in the "
            "order your export uses (pandas: pd.to_datetime(column, dayfirst=True) where "
            "the day comes first)."
        )
    if advice or dead_letter_reasons.get(UNPARSEABLE_TIMESTAMP):
        advice.append(
            f"moodcast reads created_at as {TIMESTAMP_FORMS}; any other form is an "
            "unparseable timestamp: convert the column to one of those forms first."
        )
    return advice


def timestamps_alone(dead_letter_reasons: Mapping[str, int]) -> bool:
    """Whether there are dead letters (counted by reason) and every one is an
    UNPARSEABLE_TIMESTAMP or AMBIGUOUS_TIMESTAMP: their records' fields were read, so advice on
    how to read the fields does not apply."""
    counted = {reason for reason, n in dead_letter_reasons.items() if n}
    return bool(counted) and counted <= {UNPARSEABLE_TIMESTAMP, AMBIGUOUS_TIMESTAMP}
