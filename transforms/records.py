"""From raw records to valid Post rows: decoding, parsing and validation, per record.

A chunk of raw lines becomes a frame of posts (RAW_POST_SCHEMA plus `source` and `line`) and a
frame of dead letters (DEAD_LETTER_SCHEMA). One bad record never spoils its neighbours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import orjson
import polars as pl

from transforms.contracts import (
    DEAD_LETTER_SCHEMA,
    MAX_TEXT_CHARS,
    POST_REQUIRED,
    RAW_POST_SCHEMA,
)
from transforms.presets import InputMapping, items, map_record

LOCATED_SCHEMA = {**RAW_POST_SCHEMA, "source": pl.String, "line": pl.Int64}
_STRING_FIELDS = [name for name, dtype in RAW_POST_SCHEMA.items() if dtype == pl.String]


def record_hash(raw: bytes) -> str:
    """SHA-256 of a record's bytes, hex: identifies a dead letter without keeping its payload."""
    return hashlib.sha256(raw).hexdigest()


def dead_letters(source: str, rows: Sequence[tuple[int, str, bytes]]) -> pl.DataFrame:
    """Dead letters for `(line, reason, raw bytes)` rows of `source`."""
    return pl.DataFrame(
        {
            "source": [source] * len(rows),
            "line": [line for line, _, _ in rows],
            "reason": [reason for _, reason, _ in rows],
            "record_sha256": [record_hash(raw) for _, _, raw in rows],
        },
        schema=DEAD_LETTER_SCHEMA,
    )


def parse_json_lines(
    lines: Sequence[bytes], *, source: str, first_line: int, mapping: InputMapping | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse JSON Lines; `lines[i]` is line `first_line + i` of `source`. Blank lines are skipped.

    Returns `(records, dead)`: records follow LOCATED_SCHEMA (numbers in string fields become
    their JSON text), dead letters say why a line was refused (invalid UTF-8, invalid JSON, not
    an object, a field of the wrong type). A clean chunk is parsed by polars in one call; in a
    chunk with a bad line, each line is only checked (orjson) and the good ones are still
    parsed by polars in one call, so a bad line costs about one line. With a `mapping`
    (transforms.presets), every line is decoded on its own and mapped onto the Post fields
    first; a line holding a response page gives one record per item (`presets.items`), all
    with the line's number.
    """
    numbered = [(first_line + i, raw) for i, raw in enumerate(lines) if raw.strip()]
    if mapping is not None:
        return _parse_line_by_line(numbered, source=source, mapping=mapping)
    records = _read_clean(numbered)
    if records is not None:
        return _located(records, numbered, source), dead_letters(source, [])
    good: list[tuple[int, bytes]] = []
    dead: list[tuple[int, str, bytes]] = []
    for line, raw in numbered:
        problem = _line_problem(raw)
        if problem:
            dead.append((line, problem, raw))
        else:
            good.append((line, raw))
    records = _read_clean(good)
    if records is None:
        return _parse_line_by_line(numbered, source=source)
    return _located(records, good, source), dead_letters(source, dead)


def _read_clean(numbered: Sequence[tuple[int, bytes]]) -> pl.DataFrame | None:
    """The lines parsed by polars in one call (RAW_POST_SCHEMA), or None if any line is bad."""
    if not numbered:
        return pl.DataFrame(schema=RAW_POST_SCHEMA)
    blob = b"\n".join(raw for _, raw in numbered)
    try:
        blob.decode("utf-8")
        records = pl.read_ndjson(blob, schema=RAW_POST_SCHEMA)
    except (UnicodeDecodeError, ValueError, pl.exceptions.PolarsError):
        return None
    return records if records.height == len(numbered) else None


def _located(records: pl.DataFrame, numbered: Sequence[tuple[int, bytes]], source: str):
    return records.with_columns(
        pl.lit(source).alias("source"), pl.Series("line", [n for n, _ in numbered], pl.Int64)
    )


def _line_problem(raw: bytes) -> str | None:
    """Why one JSON line cannot be a record (the reason `_parse_line_by_line` gives), or None."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return "invalid UTF-8"
        return "invalid JSON"
    if not isinstance(obj, dict):
        return "not a JSON object"
    if type(obj.get("is_repost")) not in _FLAG_TYPES:
        return coerce_record(obj)[1]
    for name in _STRING_FIELDS:
        if type(obj.get(name)) not in _SCALAR_TYPES:
            return coerce_record(obj)[1]
    return None


_SCALAR_TYPES = (str, int, float, bool, type(None))
"""The types of decoded JSON values coerce_record accepts in a string field."""
_FLAG_TYPES = (bool, type(None))


def _parse_line_by_line(
    numbered: Sequence[tuple[int, bytes]], *, source: str, mapping: InputMapping | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows: list[dict] = []
    dead: list[tuple[int, str, bytes]] = []
    for line, raw in numbered:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            dead.append((line, "invalid UTF-8", raw))
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            dead.append((line, "invalid JSON", raw))
            continue
        if not isinstance(obj, dict):
            dead.append((line, "not a JSON object", raw))
            continue
        records = (
            [obj] if mapping is None else [map_record(r, mapping) for r in items(obj, mapping)]
        )
        for record in records:
            row, problem = coerce_record(record)
            if problem:
                dead.append((line, problem, raw))
                continue
            row["source"], row["line"] = source, line
            rows.append(row)
    return pl.DataFrame(rows, schema=LOCATED_SCHEMA), dead_letters(source, dead)


def map_rows(
    rows: Iterable[tuple[int, dict]], mapping: InputMapping, *, source: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decoded `(line, record)` rows of `source` (CSV or Parquet rows) mapped onto the Post fields
    and coerced: `(records, dead)` as parse_json_lines returns them. A dead letter hashes the
    record's JSON text."""
    kept: list[dict] = []
    dead: list[tuple[int, str, bytes]] = []
    for line, record in rows:
        row, problem = coerce_record(flag_from_text(map_record(record, mapping)))
        if problem:
            dead.append((line, problem, orjson.dumps(record, default=str)))
            continue
        row["source"], row["line"] = source, line
        kept.append(row)
    return pl.DataFrame(kept, schema=LOCATED_SCHEMA), dead_letters(source, dead)


def flag_from_text(values: dict) -> dict:
    """`values` with a textual `is_repost` (a CSV cell) read as a boolean: `true`, `1` or `yes`
    (any case) are true, any other text false."""
    repost = values.get("is_repost")
    if not isinstance(repost, str):
        return values
    return {**values, "is_repost": repost.strip().lower() in ("true", "1", "yes")}


def coerce_record(obj: dict) -> tuple[dict, str | None]:
    """One decoded record as a RAW_POST_SCHEMA row, or the reason it cannot be one.

    String fields accept strings, and numbers as their JSON text (an epoch `created_at`, a
    numeric `id`); `is_repost` accepts a boolean. Unknown fields are ignored.
    """
    row: dict = {}
    for name in _STRING_FIELDS:
        value = obj.get(name)
        if value is None or isinstance(value, str):
            row[name] = value
        elif isinstance(value, int | float):
            row[name] = orjson.dumps(value).decode()
        else:
            return row, f"field {name} must be a string"
    repost = obj.get("is_repost")
    if repost is not None and not isinstance(repost, bool):
        return row, "field is_repost must be true or false"
    row["is_repost"] = repost
    return row, None


def validate(records: pl.DataFrame, *, source_tz: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split parsed records into valid posts and dead letters.

    A record is refused for a missing required field, a text over MAX_TEXT_CHARS characters,
    or a `created_at` that is neither ISO-8601 nor epoch seconds/milliseconds. Valid posts gain
    `created_utc` (UTC datetime); a naive timestamp is read in `source_tz`. Dead letters here hash
    the record's fields, since its raw bytes are no longer at hand.
    """
    checked = records.with_columns(
        parse_timestamp(pl.col("created_at"), source_tz=source_tz).alias("created_utc")
    )
    reason = pl.when(False).then(pl.lit(None, pl.String))
    for name in POST_REQUIRED:
        value = pl.col(name)
        reason = reason.when(value.is_null() | (value.str.strip_chars() == "")).then(
            pl.lit(f"missing field {name}")
        )
    reason = (
        reason.when(pl.col("text").str.len_chars() > MAX_TEXT_CHARS)
        .then(pl.lit("oversized text"))
        .when(pl.col("created_utc").is_null())
        .then(pl.lit("unparseable timestamp"))
        .otherwise(None)
    )
    checked = checked.with_columns(reason.alias("_reason"))
    bad = checked.filter(pl.col("_reason").is_not_null())
    dead = bad.select(
        "source",
        "line",
        pl.col("_reason").alias("reason"),
        pl.struct(list(RAW_POST_SCHEMA))
        .struct.json_encode()
        .map_elements(lambda s: record_hash(s.encode("utf-8")), return_dtype=pl.String)
        .alias("record_sha256"),
    )
    return checked.filter(pl.col("_reason").is_null()).drop("_reason"), dead.cast(
        DEAD_LETTER_SCHEMA
    )


def parse_timestamp(value: pl.Expr, *, source_tz: str) -> pl.Expr:
    """`created_at` strings → UTC datetimes (µs); null where unparseable.

    Accepts epoch seconds, epoch milliseconds (values above 1e11), ISO-8601 with `Z` or an
    offset, and naive ISO-8601 (date and time, or a date alone) read in `source_tz`. A naive
    time that falls in a daylight-saving gap is moved forward one hour, as clocks do.
    """
    text = value.str.strip_chars()
    numeric = text.str.contains(r"^-?\d+(\.\d+)?$")
    number = pl.when(numeric).then(text).cast(pl.Float64, strict=False)
    millis = (
        pl.when(number.abs() > 1e11).then(number).otherwise(number * 1000).round(0).cast(pl.Int64)
    )
    epoch = pl.from_epoch(millis, time_unit="ms").dt.replace_time_zone("UTC")

    iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T").str.replace(r"[Zz]$", "+00:00")
    aware = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC")
    naive_text = (
        pl.when(iso.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(iso + "T00:00:00").otherwise(iso)
    )
    naive = naive_text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    local = naive.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
    shifted = (naive + pl.duration(hours=1)).dt.replace_time_zone(
        source_tz, ambiguous="earliest", non_existent="null"
    )
    naive_utc = pl.coalesce(local, shifted).dt.convert_time_zone("UTC")
    return (
        pl.when(numeric)
        .then(epoch)
        .otherwise(pl.coalesce(aware, naive_utc))
        .dt.cast_time_unit("us")
    )


def local_day(created_utc: pl.Expr, *, tz: str) -> pl.Expr:
    """The calendar day in time zone `tz` of a UTC datetime: right on daylight-saving days,
    since it converts each instant rather than shifting by a fixed offset."""
    return created_utc.dt.convert_time_zone(tz).dt.date()
