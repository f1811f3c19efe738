"""The common shapes of `created_at` read in one compiled pass: the fast path of
transforms.records.parse_timestamps, which sends every other value through the general
parse_timestamp expression.

A value is read here only where it has one plain shape, with no white space and every field in
range, whose instant the general path gives exactly:

- epoch seconds or milliseconds: 1 to 15 ASCII digits (milliseconds above 1e11, as the general
  path reads them), at most year 9999;
- `YYYY-MM-DD`, a date alone (midnight, a wall time);
- `YYYY-MM-DD` then `T` or a space, `hh:mm:ss`, an optional `.` and 1 to 6 digits, then
  nothing (a wall time), `Z` or `z` (UTC) or `+hh:mm` / `-hh:mm` (an offset under 24 hours).

Years run from 1000 to 9999, seconds to 59 (a leap second keeps the general path), days to the
month's last. Anything else, however close, is `OTHER`: left to the general path.
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


def common_timestamps(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """`(micros, kinds)` for a String Series: the kind of each value (OTHER, INSTANT or WALL;
    a null is OTHER) and, where it is not OTHER, its microseconds since 1970-01-01 (UTC for an
    INSTANT, on the wall clock for a WALL time)."""
    data, offsets = utf8_buffers(values)
    micros = np.zeros(len(values), dtype=np.int64)
    kinds = np.zeros(len(values), dtype=np.int8)
    _read_all(data, offsets, micros, kinds)
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
        if epoch >= 0:
            millis = epoch if epoch > 100_000_000_000 else epoch * 1000
            return (INSTANT, millis * 1000) if millis <= _MAX_EPOCH_MS else (OTHER, 0)
    if n < 10 or data[start + 4] != 45 or data[start + 7] != 45:
        return OTHER, 0
    year, month = _number(data, start, 4), _number(data, start + 5, 2)
    day = _number(data, start + 8, 2)
    if year < 1000 or not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
        return OTHER, 0
    micros = _days(year, month, day) * _DAY
    if n == 10:
        return WALL, micros
    if n < 19 or data[start + 10] not in (84, 32) or data[start + 13] != 58:
        return OTHER, 0
    hour, minute = _number(data, start + 11, 2), _number(data, start + 14, 2)
    second = _number(data, start + 17, 2) if data[start + 16] == 58 else -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return OTHER, 0
    micros += ((hour * 60 + minute) * 60 + second) * _SECOND
    p = start + 19
    if p < end and data[p] == 46:
        digits = 0
        while p + 1 + digits < end and 48 <= data[p + 1 + digits] <= 57:
            digits += 1
        if not 1 <= digits <= 6:
            return OTHER, 0
        micros += _number(data, p + 1, digits) * 10 ** (6 - digits)
        p += 1 + digits
    if p == end:
        return WALL, micros
    if p + 1 == end and data[p] in (90, 122):
        return INSTANT, micros
    if p + 6 != end or data[p] not in (43, 45) or data[p + 3] != 58:
        return OTHER, 0
    hours, minutes = _number(data, p + 1, 2), _number(data, p + 4, 2)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return OTHER, 0
    offset = (hours * 60 + minutes) * 60 * _SECOND
    return INSTANT, micros - offset if data[p] == 43 else micros + offset
