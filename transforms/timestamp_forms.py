"""The `created_at` forms read besides epochs and ISO-8601 with seconds, and the dead-letter
reasons of those none reads, with what an error message advises about them.

transforms.timestamp_parsing.parse_timestamp reads epochs and ISO-8601 with seconds itself, and,
where those read nothing, the forms of OTHER_FORMS, rewritten here as ISO-8601 with seconds
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
ZONE_NAMED_TIMESTAMP = "timestamp with zone name {} instead of an offset"
"""The dead-letter reason of a record whose `created_at` reads once its zone name (a word such as
EST, CST or IST where the zone goes: zone_name_as_utc) is written as UTC: the name stands for
different offsets in different places, so no form reads it. `{}` is the name."""
TIMESTAMP_FORMS = (
    "ISO-8601 date and time, with or without seconds, with Z, UTC or an offset "
    "(2026-01-11T04:36:00Z, 2026-01-11 04:36+01:00, 2026-01-11 04:36:00+01, "
    "2026-01-11 04:36:00 UTC, Java's 2026-01-11 05:36:00 GMT+01:00, "
    "Go's 2026-01-11 04:36:00 +0000 UTC) or without one, read in "
    "source_tz (2026-01-11 04:36), also with the date as 2026/01/11 or in the basic form "
    "(20260111T043600Z, 20260111043600, 202601110436, 20260111, also as a number "
    "20260111.0), a date alone (2026-01-11), Twitter API v1.1's Sun Jan 11 04:36:00 +0000 2026 "
    "(also with UTC, GMT or GMT+01:00 in the offset's place, as Java writes it), RFC 2822's "
    "Sun, 11 Jan 2026 04:36:00 +0000 (RSS, e-mail), or epoch seconds or milliseconds "
    "(1768106160); seconds run to 59, and to 60 only in a leap second (23:59:60 UTC)"
)
"""The `created_at` forms parse_timestamp reads, as an error message names them."""
DAY_MONTH_ORDER = r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})(?:$|[ T,])"
"""A `created_at` that starts with a date whose day and month come first (03/01/2024,
1.3.24): the value does not tell which is which, so no form reads it."""
ISO_AWARE = "%Y-%m-%dT%H:%M:%S%.f%z"
"""ISO-8601 with seconds and an offset, as `str.to_datetime` reads it."""
ISO_NAIVE = "%Y-%m-%dT%H:%M:%S%.f"
"""ISO-8601 with seconds and no zone, as `str.to_datetime` reads it."""

SECOND_60 = r"[0-9]:[0-9]{1,2}:60|T[0-9]{4}60|^[0-9]{12}60(?:\.0+)?$"
"""Where a form's seconds are 60: read only as a UTC leap second (23:59:60 UTC, 15:59:60-08:00
as RFC 3339 writes it), as the first second of the next day, as POSIX time reads it; any other
second 60 (12:30:60, a writer's rounding) is unread, not moved to the next minute. Minutes of
one digit too, which `str.to_datetime` reads in ISO-8601 (`T1:2:60Z`)."""
ZONE_NAME = r"[0-9]( ?)([A-Z]{2,5})( [0-9]{4}| \([^()]*\))?$"
"""A zone name where a form's zone goes: 2 to 5 capitals after the time (a space between or
not), last, before a final year (Java's Date.toString: `Sun Jan 11 04:36:00 CST 2026`), or
before a final comment (RFC 2822: `Fri, 01 Mar 2024 12:30:00 EST (Eastern Standard Time)`)."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = f"(?P<m>{'|'.join(_MONTHS)})"
_WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_JAVA_OFFSET = r"(?:GMT|UTC)[+-]\d{2}:\d{2}"
"""An offset as Java writes a zone that is one (`GMT+01:00`, java.time's `UTC+01:00`): east."""
_ZONE = (
    rf"(?:(?P<z> ?[Zz]|[+-]\d{{2}}(?::?\d{{2}})?| ?{_JAVA_OFFSET}| ?UTC| ?GMT)"
    r"| (?P<g>[+-]\d{4}) (?:[A-Z]{2,5}|[+-]\d{2}(?:\d{2})?)(?: m=[+-]\d+\.\d+)?)"
)
OTHER_FORMS = (
    rf"^(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?:[T ](?P<H>\d{{2}}):(?P<M>\d{{2}})"
    rf"(?::(?P<S>\d{{2}})(?P<f>\.\d{{1,9}})?)?{_ZONE}?)?$",
    rf"^(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}})T(?P<H>\d{{2}})(?P<M>\d{{2}})"
    rf"(?:(?P<S>\d{{2}})(?P<f>\.\d{{1,9}})?)?{_ZONE}?$",
    r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"
    r"(?:(?P<H>[0-9]{2})(?P<M>[0-9]{2})(?P<S>[0-9]{2})?)?(?:\.0+)?$",
    rf"^{_WEEKDAY} {_MONTH} (?P<d>\d{{2}}) (?P<H>\d{{2}}):(?P<M>\d{{2}}):(?P<S>\d{{2}}) "
    rf"(?P<z>[+-]\d{{4}}|{_JAVA_OFFSET}|UTC|GMT) (?P<y>\d{{4}})$",
    rf"^(?:{_WEEKDAY}, )?(?P<d>\d{{1,2}}) {_MONTH} (?P<y>\d{{4}}) (?P<H>\d{{2}}):(?P<M>\d{{2}})"
    rf"(?::(?P<S>\d{{2}}))? (?P<z>[+-]\d{{4}}|{_JAVA_OFFSET}|UTC|UT|GMT|Z)(?: \([^()]*\))?$",
)
"""The forms each matched whole, fields named: ISO-8601 extended (the date also as
YYYY/MM/DD), with or without seconds, a time zone of `Z` or `z`, `UTC` or `GMT` (a space
before any of them or not), `±hh:mm`, `±hhmm` or `±hh`, Java's `GMT±hh:mm` or `UTC±hh:mm` (a
space before them or not), Go's ` ±hhmm NAME` (time.Time's
String: the offset decides, the name after it, 2 to 5 capitals or tzdata's `±hh[mm]`, is not
checked, and the monotonic clock reading a running program's times carry, ` m=+0.000123000`,
is dropped), or none; ISO-8601 basic (20260111T0436Z); ISO-8601 basic without `T`, ASCII
digits alone: 8 a date (20260111), 12 a date and time with minutes (202601110436), 14 with
seconds (20260111043600, MySQL's compact form), all wall times, each also followed by `.` and
zeros (a spreadsheet's number, 20260111.0); as epochs they would be in 1970-1973, 1973-1998
or after 2286 (parse_timestamp reads 12 digits from 9, years 9000 on, as the epoch
milliseconds of 1998-2001 they are); Twitter API v1.1 (`Sun Jan 11 04:36:00 +0000 2026`), also
with UTC, GMT, `GMT±hh:mm` or `UTC±hh:mm` in the offset's place (Java's Date.toString where
the zone is UTC or an offset); RFC 2822 (`Sun, 11 Jan 2026 04:36 GMT`, the weekday optional,
the zone an offset, UT, UTC, GMT or Z, or Java's `GMT±hh:mm` or `UTC±hh:mm`,
then a comment or not, `+0000 (UTC)`, which the zone decides; not the other names it allows,
EST to PDT, which exports in other countries use for their own zones: ZONE_NAMED_TIMESTAMP).
A weekday's name is not checked against its date, as Python's email.utils does not."""

_START = rf"^(?:\d{{4}}[-/]?\d{{2}}[-/]?\d{{2}}|{_WEEKDAY}[ ,]|\d{{1,2}} [A-Z])"
"""How every value in OTHER_FORMS starts (and some others): where none does, there is no
rewriting to do."""


def other_forms_as_iso(text: pl.Series) -> pl.Series:
    """`text` (stripped) in one of OTHER_FORMS, written `YYYY-MM-DDThh:mm:ss[.f][±hh:mm]`, else
    null: a missing time or seconds are zeros, a month's name its number, `Z`, `UTC`, `GMT` or
    `UT` `+00:00`, `GMT±hh:mm` and `UTC±hh:mm` `±hh:mm`, `±hh` and `±hhmm` (Go's too, its name and clock reading dropped) `±hh:mm`;
    RFC 2822's comment and a number's `.0` dropped. Fields out of range are left for
    `str.to_datetime` to refuse."""
    if not text.str.contains(_START).any():
        return pl.Series(text.name, [None] * text.len(), pl.String)
    slashed = text.str.replace(r"^(\d{4})/(\d{2})/(\d{2})", "${1}-${2}-${3}")
    forms = pl.DataFrame(
        [slashed.str.extract_groups(form).alias(str(i)) for i, form in enumerate(OTHER_FORMS)]
    )
    iso = pl.coalesce(
        _as_iso(pl.col(str(i)).struct.field, form) for i, form in enumerate(OTHER_FORMS)
    )
    return forms.select(
        iso.str.replace_many([f"-{m}-" for m in _MONTHS], [f"-{i:02d}-" for i in range(1, 13)])
        .str.replace(r" ?(?:GMT|UTC)([+-]\d{2}:\d{2})$", "${1}")
        .str.replace(r" ?(?:[A-Z]+|z)$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r"([+-]\d{2})$", "${1}:00")
    ).to_series()


def _as_iso(field: Callable[[str], pl.Expr], form: str) -> pl.Expr:
    """The fields of `form` (all null where it does not match) as ISO-8601 text, its zone (`z`,
    else Go's offset `g`) and month's name as written; a field the form lacks is empty."""

    def written(name: str) -> pl.Expr:
        return field(name).fill_null("") if f"(?P<{name}>" in form else pl.lit("")

    hour, minute, second = (field(name).fill_null("00") for name in ("H", "M", "S"))
    return pl.concat_str(
        field("y"), pl.lit("-"), field("m"), pl.lit("-"), field("d").str.zfill(2), pl.lit("T"),
        hour, pl.lit(":"), minute, pl.lit(":"), second, written("f"), written("z"), written("g"),
    )  # fmt: skip


def zone_name(text: pl.Expr) -> pl.Expr:
    """The zone name (ZONE_NAME) of stripped `text`, null where it has none, it is UTC, GMT or
    UT (which the forms read where they read a name), or AM or PM (a 12-hour clock's, no
    zone: its time is not the one written, so writing an offset in their place is no fix)."""
    name = text.str.extract(ZONE_NAME, 2)
    return pl.when(name.is_in(["UTC", "GMT", "UT", "AM", "PM"]).not_()).then(name)


def zone_name_as_utc(text: pl.Expr) -> pl.Expr:
    """Stripped `text` with its zone name (ZONE_NAME) written as UTC: `+0000` before a final
    year (which makes Java's Date.toString Twitter's form), else `UTC` (before a final comment
    too, which RFC 2822 reads)."""
    return text.str.replace(r"([0-9] ?)[A-Z]{2,5}( [0-9]{4})$", "${1}+0000${2}").str.replace(
        r"([0-9] ?)[A-Z]{2,5}( \([^()]*\))?$", "${1}UTC${2}"
    )


def timestamp_advice(dead_letter_reasons: Mapping[str, int]) -> list[str]:
    """What to do about the `created_at` values that dead letters counted by reason could not
    read, as sentences of an error message: for AMBIGUOUS_TIMESTAMP, why a date in day/month
    order is not guessed and how to rewrite it; for ZONE_NAMED_TIMESTAMP, the names counted,
    why a zone name is not read and what to write instead; for any of them or
    UNPARSEABLE_TIMESTAMP, the forms read (TIMESTAMP_FORMS). Empty where none counts."""
    advice = []
    if dead_letter_reasons.get(AMBIGUOUS_TIMESTAMP):
        advice.append(
            "A created_at such as 01/11/2026 04:36 starts with a day and a month in an "
            "order the value does not tell (1 November or 11 January), and moodcast does "
            "not guess it: write the column as YYYY-MM-DD hh:mm first, reading it in the "
            "order your export uses (pandas: pd.to_datetime(column, dayfirst=True) where "
            "the day comes first)."
        )
    if names := _zone_names(dead_letter_reasons):
        advice.append(
            f"A created_at whose zone is a name ({', '.join(names)}) is not read: one name "
            "stands for different offsets in different places (CST for US Central Time, "
            "-06:00, and for China's, +08:00; IST for India's, Ireland's or Israel's), and "
            "many exports write a standard-time name all year, so moodcast does not guess "
            "it: write the offset in its place (2026-01-11 04:36:00-06:00) or convert the "
            "column to UTC first."
        )
    if advice or dead_letter_reasons.get(UNPARSEABLE_TIMESTAMP):
        advice.append(
            f"moodcast reads created_at as {TIMESTAMP_FORMS}; any other form is an "
            "unparseable timestamp: convert the column to one of those forms first."
        )
    return advice


def _zone_names(dead_letter_reasons: Mapping[str, int]) -> list[str]:
    """The zone names of the ZONE_NAMED_TIMESTAMP reasons counted, sorted."""
    before, after = ZONE_NAMED_TIMESTAMP.split("{}")
    return sorted(
        reason.removeprefix(before).removesuffix(after)
        for reason, n in dead_letter_reasons.items()
        if n and reason.startswith(before) and reason.endswith(after)
    )


def timestamps_alone(dead_letter_reasons: Mapping[str, int]) -> bool:
    """Whether there are dead letters (counted by reason) and every one is an
    UNPARSEABLE_TIMESTAMP, AMBIGUOUS_TIMESTAMP or ZONE_NAMED_TIMESTAMP: their records' fields
    were read, so advice on how to read the fields does not apply."""
    counted = {reason for reason, n in dead_letter_reasons.items() if n}
    named = {ZONE_NAMED_TIMESTAMP.format(name) for name in _zone_names(dead_letter_reasons)}
    return bool(counted) and counted <= {UNPARSEABLE_TIMESTAMP, AMBIGUOUS_TIMESTAMP, *named}
