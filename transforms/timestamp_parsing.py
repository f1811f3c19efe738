"""Reading a post's `created_at`: text to UTC instants (epochs, ISO-8601 and the other forms of
transforms.timestamp_forms; the common shapes in one compiled pass of transforms.timestamps),
naive wall times read in a zone, and the local day of an instant."""

from __future__ import annotations

import functools
from datetime import time

import numpy as np
import polars as pl

from transforms.engines import Engine, use_compiled
from transforms.timestamp_forms import ISO_AWARE, ISO_NAIVE, SECOND_60, other_forms_as_iso

_MAX_EPOCH_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: larger epochs (and ISO years past 9999) are unparseable."""


def parse_timestamp(value: pl.Expr, *, source_tz: str) -> pl.Expr:
    """`created_at` strings → UTC datetimes (µs); null where unparseable.

    Accepts epoch seconds, epoch milliseconds (values above 1e11; at most year 9999; not the
    ASCII digits alone that are ISO-8601 basic dates, 8, 14, or 12 from 1 to 8, nor those
    followed by a fraction: `.` and zeros is the same date, any other fraction unparseable),
    ISO-8601 with `Z` or an offset, and naive ISO-8601 (date and time, or a date alone) read in
    `source_tz` by wall_time_in; where those read nothing, the other forms of TIMESTAMP_FORMS,
    rewritten as ISO-8601 by transforms.timestamp_forms.other_forms_as_iso and read the same
    way. A value whose seconds are 60 (SECOND_60) is read by the other forms alone, which keep
    it only as a leap second.
    """
    text = value.str.strip_chars()
    numeric = (
        text.str.contains(r"^-?\d+(\.\d+)?$")
        & text.str.contains(r"^(?:[0-9]{8}|[1-8][0-9]{11}|[0-9]{14})(?:\.[0-9]+)?$").not_()
    )
    number = pl.when(numeric).then(text).cast(pl.Float64, strict=False)
    scaled = pl.when(number.abs() > 1e11).then(number).otherwise(number * 1000).round(0)
    millis = pl.when(scaled.abs() <= _MAX_EPOCH_MS).then(scaled).cast(pl.Int64, strict=False)
    epoch = pl.from_epoch(millis, time_unit="ms").dt.replace_time_zone("UTC")

    iso = (
        pl.when(text.str.contains(SECOND_60).not_())
        .then(text)
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T")
        .str.replace(r"[Zz]$", "+00:00")
    )
    aware = iso.str.to_datetime(ISO_AWARE, strict=False, time_zone="UTC")
    naive_text = (
        pl.when(iso.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(iso + "T00:00:00").otherwise(iso)
    )
    naive = naive_text.str.to_datetime(ISO_NAIVE, strict=False)
    other = text.map_batches(
        functools.partial(_other_forms, source_tz=source_tz),
        return_dtype=pl.Datetime("us", "UTC"),
        is_elementwise=True,
    )
    return (
        pl.when(numeric)
        .then(epoch)
        .otherwise(pl.coalesce(aware, wall_time_in(naive, source_tz=source_tz), other))
        .dt.cast_time_unit("us")
    )


def _other_forms(text: pl.Series, *, source_tz: str) -> pl.Series:
    """The instants of stripped `text` in transforms.timestamp_forms.OTHER_FORMS (null
    elsewhere), a naive one read in `source_tz` by wall_time_in; one whose seconds are 60
    (SECOND_60) only where it is a UTC leap second, read as the first second of the next UTC
    day (`str.to_datetime` reads any second 60 as the next minute's start). A Series function,
    so that the rewritten text and the instants are made once for each of their uses."""
    rewritten = other_forms_as_iso(text)
    if rewritten.null_count() == rewritten.len():
        return pl.Series(text.name, [None] * text.len(), pl.Datetime("us", "UTC"))
    iso = pl.lit(rewritten)
    aware = iso.str.to_datetime(ISO_AWARE, strict=False, time_zone="UTC")
    naive = iso.str.to_datetime(ISO_NAIVE, strict=False)
    read = pl.select(
        pl.coalesce(aware, wall_time_in(naive, source_tz=source_tz)).dt.cast_time_unit("us")
    ).to_series()
    at = pl.lit(read)
    past_leap = text.str.contains(SECOND_60) & (at.dt.time() >= pl.lit(time(0, 0, 1)))
    return pl.select(pl.when(past_leap).then(None).otherwise(at)).to_series()


def wall_time_in(naive: pl.Expr, *, source_tz: str) -> pl.Expr:
    """Naive wall times read in `source_tz`, as UTC datetimes, as zoneinfo reads them (PEP 495,
    fold=0): an ambiguous time is the earlier instant, and a time in a daylight-saving gap
    takes the offset in force before the gap, so it lands as far past the gap's end as it was
    past its start (Lord Howe's 30-minute gap, Troll's two hours, Apia's skipped 2011-12-30).
    The offset before the gap is the one a day earlier: no zone changes its offset twice
    within a day."""
    if source_tz == "UTC":
        return naive.dt.replace_time_zone("UTC")

    def instant(wall: pl.Expr) -> pl.Expr:
        zoned = wall.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
        return zoned.dt.convert_time_zone("UTC")

    day = pl.duration(hours=24)
    return pl.coalesce(instant(naive), instant(naive - day) + day)


def parse_timestamps(values: pl.Series, *, source_tz: str, engine: Engine = "auto") -> pl.Series:
    """parse_timestamp of a String Series, with the same values: the common shapes
    (transforms.timestamps) are read in one compiled pass, every other value by the
    parse_timestamp expression (about 0.1 against 1.3 µs a value on the sample posts); with
    the reference path (`engine`, transforms.engines.ENGINES) every value by the expression."""
    if not use_compiled(engine, values.len()):
        return pl.select(parse_timestamp(pl.lit(values), source_tz=source_tz)).to_series()
    from transforms.timestamps import INSTANT, WALL, common_timestamps  # numba: loaded on use

    micros, kinds = common_timestamps(values)
    read = pl.DataFrame({"micros": micros, "kind": kinds})
    at = pl.col("micros").cast(pl.Datetime("us"))
    parsed = read.select(
        pl.when(pl.col("kind") == INSTANT)
        .then(at.dt.replace_time_zone("UTC"))
        .when(pl.col("kind") == WALL)
        .then(wall_time_in(at, source_tz=source_tz).dt.cast_time_unit("us"))
        .alias(values.name)
    ).to_series()
    other = np.flatnonzero((kinds == 0) & values.is_not_null().to_numpy())
    if other.size == 0:
        return parsed
    general = pl.select(parse_timestamp(pl.lit(values.gather(other)), source_tz=source_tz))
    return parsed.scatter(other, general.to_series())


def local_day(created_utc: pl.Expr, *, tz: str) -> pl.Expr:
    """The calendar day in time zone `tz` of a UTC datetime: right on daylight-saving days,
    since it converts each instant rather than shifting by a fixed offset."""
    return created_utc.dt.convert_time_zone(tz).dt.date()
