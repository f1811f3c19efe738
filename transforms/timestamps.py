"""The `created_at` forms of transforms.timestamp_forms read in one compiled pass: the fast
path of transforms.timestamp_parsing.parse_timestamps, which sends every other value through the
general parse_timestamp expression.

A value is read here only where it has one plain shape, every field in range, whose instant
the general path gives exactly:

- epoch seconds or milliseconds: 1 to 15 ASCII digits (milliseconds above 1e11, as the general
  path reads them), at most year 9999, but 8, 14, or 12 from 1 to 8, which are ISO-8601 basic
  dates without `T`: `YYYYMMDD` (midnight), `YYYYMMDDhhmmss` and `YYYYMMDDhhmm` (12 from 9 are
  the epoch milliseconds of 1998-2001), wall times;
- `YYYY-MM-DD` or `YYYY/MM/DD`, a date alone (midnight, a wall time), or then `T` or a space
  and `hh:mm`, `hh:mm:ss` or `hh:mm:ss` with `.` and 1 to 6 digits; or ISO-8601 basic,
  `YYYYMMDDThhmm[ss[.f]]`; then nothing (a wall time), `Z` or `z`, `UTC` or `GMT` (a space
  before them or not), an offset under 24 hours, `±hh:mm`, `±hhmm` or `±hh`, or Go's
  ` ±hhmm NAME` (NAME 2 to 5 capitals, or `±hh` or `±hhmm`: not checked against the offset);
- Twitter API v1.1's `Www Mmm dd hh:mm:ss ±hhmm yyyy`;
- RFC 2822's `[Www, ]d[d] Mmm yyyy hh:mm[:ss] ` then `±hhmm`, `UT`, `UTC`, `GMT` or `Z`.

Years run from 1000 to 9999, seconds to 59 (a leap second keeps the general path), days to the
month's last; a weekday's name must be one but is not checked against its date. Anything else,
however close, is `OTHER`: left to the general path.
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from transforms.buffers import utf8_buffers
from transforms.kernel_cache import use_kernel_cache

use_kernel_cache()

OTHER, INSTANT, WALL = 0, 1, 2
"""Kinds of value: not a common shape; a UTC instant; a wall time without a zone."""
_MAX_EPOCH_MS = 253_402_300_799_999
_SECOND = 1_000_000
_DAY = 86_400 * _SECOND
_WEEKDAYS = np.frombuffer(b"MonTueWedThuFriSatSun", dtype=np.uint8)
_MONTHS = np.frombuffer(b"JanFebMarAprMayJunJulAugSepOctNovDec", dtype=np.uint8)
_UTC_NAMES = np.frombuffer(b"UTCGMT", dtype=np.uint8)


def common_timestamps(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """`(micros, kinds)` for a String Series: the kind of each value (OTHER, INSTANT or WALL;
    a null is OTHER, whatever bytes Arrow keeps under it) and, where it is not OTHER, its
    microseconds since 1970-01-01 (UTC for an INSTANT, on the wall clock for a WALL time)."""
    data, offsets = utf8_buffers(values)
    micros = np.zeros(len(values), dtype=np.int64)
    kinds = np.zeros(len(values), dtype=np.int8)
    _read_all(data, offsets, micros, kinds)
    if values.null_count():
        kinds[values.is_null().to_numpy()] = OTHER
    return micros, kinds


@numba.njit(cache=True, nogil=True)
def _read_all(data, offsets, micros, kinds):
    for i in range(len(kinds)):
        kinds[i], micros[i] = _read(data, offsets[i], offsets[i + 1])


@numba.njit(cache=True, nogil=True)
def _number(data, p, n):
    """The value of the `n` ASCII digits at `p`, or -1."""
    value = 0
    for i in range(p, p + n):
        digit = np.int64(data[i]) - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


@numba.njit(cache=True, nogil=True)
def _days(year, month, day):
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    year -= month <= 2
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    of_cycle = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return era * 146097 + of_cycle - 719468


@numba.njit(cache=True, nogil=True)
def _month_days(year, month):
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@numba.njit(cache=True, nogil=True)
def _read(data, start, end):
    """The kind and microseconds of the value `data[start:end]` (see the module doc)."""
    n = end - start
    if 1 <= n <= 15:
        epoch = _number(data, start, n)
        if epoch >= 0 and (n == 8 or n == 14 or (n == 12 and 49 <= data[start] <= 56)):
            return _read_compact(data, start, n)
        if epoch >= 0:
            millis = epoch if epoch > 100_000_000_000 else epoch * 1000
            return (INSTANT, millis * 1000) if millis <= _MAX_EPOCH_MS else (OTHER, 0)
    if n < 10:
        return OTHER, 0
    if _is_digit(data[start]):
        if data[start + 4] == 45 or data[start + 4] == 47:
            return _read_iso(data, start, end, True)
        if data[start + 8] == 84:
            return _read_iso(data, start, end, False)
        return _read_rfc2822(data, start, end)
    if data[start + 3] == 44 and data[start + 4] == 32 and _name(data, start, _WEEKDAYS) >= 0:
        return _read_rfc2822(data, start + 5, end)
    if data[start + 3] == 32:
        return _read_twitter(data, start, end)
    return OTHER, 0


@numba.njit(cache=True, nogil=True, inline="always")
def _is_digit(byte):
    return 48 <= byte <= 57


@numba.njit(cache=True, nogil=True)
def _name(data, p, names):
    """The index of the three letters at `p` among `names` (three letters each), or -1."""
    for i in range(len(names) // 3):
        at = 3 * i
        if data[p] == names[at] and data[p + 1] == names[at + 1] and data[p + 2] == names[at + 2]:
            return i
    return -1


@numba.njit(cache=True, nogil=True, inline="always")
def _date(year, month, day):
    """Microseconds from 1970-01-01 to midnight of a date from 1000 to 9999, or -1."""
    if year < 1000 or not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
        return -1
    return _days(year, month, day) * _DAY


@numba.njit(cache=True, nogil=True, inline="always")
def _clock(hour, minute, second):
    """Microseconds from midnight to a time of day, or -1 (no leap second)."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return -1
    return ((hour * 60 + minute) * 60 + second) * _SECOND


@numba.njit(cache=True, nogil=True)
def _read_compact(data, start, n):
    """ISO-8601 basic without `T`, ASCII digits alone: `YYYYMMDD` (`n` 8), `YYYYMMDDhhmm` (`n`
    12) or `YYYYMMDDhhmmss` (`n` 14), a WALL time."""
    date = _date(_number(data, start, 4), _number(data, start + 4, 2), _number(data, start + 6, 2))
    clock = (
        0
        if n == 8
        else _clock(
            _number(data, start + 8, 2),
            _number(data, start + 10, 2),
            _number(data, start + 12, 2) if n == 14 else 0,
        )
    )
    return (WALL, date + clock) if date >= 0 and clock >= 0 else (OTHER, 0)


@numba.njit(cache=True, nogil=True, inline="always")
def _read_iso(data, start, end, extended):
    """ISO-8601, extended (`-` or `/` between the date's fields, `:` between the time's) or
    basic (`T` after 8 digits), from `start`; at least 10 bytes."""
    if extended:
        if data[start + 7] != data[start + 4]:
            return OTHER, 0
        date = _date(
            _number(data, start, 4), _number(data, start + 5, 2), _number(data, start + 8, 2)
        )
        p = start + 10
        if p == end:
            return (WALL, date) if date >= 0 else (OTHER, 0)
        if data[p] != 84 and data[p] != 32:
            return OTHER, 0
    else:
        date = _date(
            _number(data, start, 4), _number(data, start + 4, 2), _number(data, start + 6, 2)
        )
        p = start + 8
    if date < 0 or p + (6 if extended else 5) > end:
        return OTHER, 0
    hour = _number(data, p + 1, 2)
    if extended:
        minute = _number(data, p + 4, 2) if data[p + 3] == 58 else -1
        p += 6
        has_second = p + 3 <= end and data[p] == 58
        second = _number(data, p + 1, 2) if has_second else 0
        p += 3 if has_second else 0
    else:
        minute = _number(data, p + 3, 2)
        p += 5
        has_second = p + 2 <= end and _is_digit(data[p])
        second = _number(data, p, 2) if has_second else 0
        p += 2 if has_second else 0
    clock = _clock(hour, minute, second)
    if clock < 0:
        return OTHER, 0
    micros = date + clock
    if has_second and p < end and data[p] == 46:
        digits = 0
        while p + 1 + digits < end and _is_digit(data[p + 1 + digits]):
            digits += 1
        if not 1 <= digits <= 6:
            return OTHER, 0
        micros += _number(data, p + 1, digits) * 10 ** (6 - digits)
        p += 1 + digits
    kind, offset = _zone(data, p, end)
    return (kind, micros - offset) if kind != OTHER else (OTHER, 0)


@numba.njit(cache=True, nogil=True, inline="always")
def _zone(data, p, end):
    """The kind and offset (µs east of UTC) of an ISO zone from `p` to `end`: nothing (WALL),
    `Z`, `z`, `UTC` or `GMT` (a space before the last two allowed), `±hh`, `±hhmm`, `±hh:mm`,
    or Go's ` ±hhmm NAME`."""
    n = end - p
    if n == 0:
        return WALL, 0
    if n == 1 and (data[p] == 90 or data[p] == 122):
        return INSTANT, 0
    if data[p] == 43 or data[p] == 45:
        if n == 3:
            minutes = 0
        elif n == 5:
            minutes = _number(data, p + 3, 2)
        elif n == 6 and data[p + 3] == 58:
            minutes = _number(data, p + 4, 2)
        else:
            return OTHER, 0
        return _offset(data[p], _number(data, p + 1, 2), minutes)
    if n == 4 and data[p] == 32:
        p, n = p + 1, 3
    if n == 3 and _name(data, p, _UTC_NAMES) >= 0:
        return INSTANT, 0
    return _go_zone(data, p, end)


@numba.njit(cache=True, nogil=True)
def _go_zone(data, p, end):
    """The kind and offset of Go's zone, ` ±hhmm NAME`, from `p` to `end` (OTHER where it is not
    one): NAME 2 to 5 capitals, or tzdata's numeric names, `±hh` or `±hhmm`; not checked."""
    if (
        end - p < 9
        or data[p] != 32
        or data[p + 6] != 32
        or (data[p + 1] != 43 and data[p + 1] != 45)
    ):
        return OTHER, 0
    p += 7
    n = end - p
    if data[p] == 43 or data[p] == 45:
        named = (n == 3 or n == 5) and _number(data, p + 1, n - 1) >= 0
    else:
        at = p
        while at < end and 65 <= data[at] <= 90:
            at += 1
        named = 2 <= n <= 5 and at == end
    if not named:
        return OTHER, 0
    return _offset(data[p - 6], _number(data, p - 5, 2), _number(data, p - 3, 2))


@numba.njit(cache=True, nogil=True)
def _offset(sign, hours, minutes):
    """INSTANT and an offset of `hours` and `minutes` east (`sign` `+`) or west (`-`) of UTC,
    under 24 hours; else OTHER."""
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return OTHER, 0
    offset = (hours * 60 + minutes) * 60 * _SECOND
    return INSTANT, offset if sign == 43 else -offset


@numba.njit(cache=True, nogil=True)
def _read_twitter(data, start, end):
    """Twitter API v1.1's `Www Mmm dd hh:mm:ss ±hhmm yyyy`, exactly 30 bytes."""
    if end - start != 30 or _name(data, start, _WEEKDAYS) < 0:
        return OTHER, 0
    for at, byte in ((3, 32), (7, 32), (10, 32), (13, 58), (16, 58), (19, 32), (25, 32)):
        if data[start + at] != byte:
            return OTHER, 0
    month = _name(data, start + 4, _MONTHS) + 1
    date = _date(_number(data, start + 26, 4), month, _number(data, start + 8, 2))
    hour, minute = _number(data, start + 11, 2), _number(data, start + 14, 2)
    clock = _clock(hour, minute, _number(data, start + 17, 2))
    if date < 0 or clock < 0 or (data[start + 20] != 43 and data[start + 20] != 45):
        return OTHER, 0
    hours, minutes = _number(data, start + 21, 2), _number(data, start + 23, 2)
    kind, offset = _offset(data[start + 20], hours, minutes)
    return (kind, date + clock - offset) if kind != OTHER else (OTHER, 0)


@numba.njit(cache=True, nogil=True)
def _read_rfc2822(data, p, end):
    """RFC 2822's `d[d] Mmm yyyy hh:mm[:ss] zone` from `p` (after the weekday and `, `, where
    there is one): the zone `±hhmm`, `UT`, `UTC`, `GMT` or `Z`."""
    width = 1 if p + 1 < end and data[p + 1] == 32 else 2
    p += width
    if end - p < 15 or data[p] != 32 or data[p + 4] != 32 or data[p + 9] != 32:
        return OTHER, 0
    month = _name(data, p + 1, _MONTHS) + 1
    date = _date(_number(data, p + 5, 4), month, _number(data, p - width, width))
    hour = _number(data, p + 10, 2)
    minute = _number(data, p + 13, 2) if data[p + 12] == 58 else -1
    p += 15
    has_second = p + 3 <= end and data[p] == 58
    clock = _clock(hour, minute, _number(data, p + 1, 2) if has_second else 0)
    p += 3 if has_second else 0
    if date < 0 or clock < 0 or p == end or data[p] != 32:
        return OTHER, 0
    p, n = p + 1, end - p - 1
    if n == 5 and (data[p] == 43 or data[p] == 45):
        kind, offset = _offset(data[p], _number(data, p + 1, 2), _number(data, p + 3, 2))
    else:
        utc = (
            (n == 3 and _name(data, p, _UTC_NAMES) >= 0)
            or (n == 2 and data[p] == 85 and data[p + 1] == 84)
            or (n == 1 and data[p] == 90)
        )
        kind, offset = INSTANT if utc else OTHER, 0
    return (kind, date + clock - offset) if kind != OTHER else (OTHER, 0)
