"""From raw records to valid Post rows: decoding, parsing and validation, per record.

A chunk of raw lines becomes a frame of posts (RAW_POST_SCHEMA plus `source` and `line`) and a
frame of dead letters (DEAD_LETTER_SCHEMA). One bad record never spoils its neighbours.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

import numpy as np
import orjson
import polars as pl

from transforms.contracts import (
    DEAD_LETTER_SCHEMA,
    MAX_TEXT_CHARS,
    POST_REQUIRED,
    RAW_POST_SCHEMA,
)
from transforms.engines import Engine, use_compiled
from transforms.line_buffer import LineBuffer
from transforms.presets import InputMapping, items, map_record
from transforms.timestamp_forms import (
    AMBIGUOUS_TIMESTAMP,
    DAY_MONTH_ORDER,
    UNPARSEABLE_TIMESTAMP,
    ZONE_NAMED_TIMESTAMP,
    zone_name,
    zone_name_as_utc,
)
from transforms.timestamp_parsing import parse_timestamp, parse_timestamps

LOCATED_SCHEMA = {**RAW_POST_SCHEMA, "source": pl.String, "line": pl.Int64}
TRUNCATED = "truncated or corrupt compressed file"
"""Dead-letter reason for the unreadable rest of a compressed file (from that line on)."""
UNREADABLE_PARQUET = "unreadable Parquet data"
"""Dead-letter reason for the rows of a Parquet file from where it could no longer be read."""
FILE_LOSS_REASONS = (TRUNCATED, UNREADABLE_PARQUET)
"""Reasons that stand for an unknown number of lost records, not one record."""
_STRING_FIELDS = [name for name, dtype in RAW_POST_SCHEMA.items() if dtype == pl.String]
FIELD_FLAGS = {name: dtype == pl.Boolean for name, dtype in RAW_POST_SCHEMA.items()}
"""Each raw Post field's key → whether it is Boolean (`is_repost`) rather than text: the
`fields` that transforms.json_lines.plain_lines checks a line's values against."""


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
    lines: Sequence[bytes],
    *,
    source: str,
    first_line: int,
    mapping: InputMapping | None = None,
    engine: Engine = "auto",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse JSON Lines; `lines[i]` is line `first_line + i` of `source` (a list, or the
    transforms.line_buffer.LineBuffer a file is read into). Blank lines are skipped.

    Returns `(records, dead)`: records follow LOCATED_SCHEMA (numbers in string fields become
    their JSON text), dead letters say why a line was refused (invalid UTF-8, invalid JSON, not
    an object, a field of the wrong type). Every line is decoded and coerced on its own by the
    same code, so a line's fate never depends on the lines around it (duplicate keys: the last
    wins; a lone surrogate escape is invalid JSON). The lines transforms.json_lines.plain_lines
    accepts, where the two parsers agree, are parsed together by polars.read_ndjson (a
    compiled check: `engine`, transforms.engines.ENGINES; with the reference path every line
    takes the per-line path, with the same records). With a `mapping` (transforms.presets),
    each record is mapped onto the Post fields first; a line holding a response page gives one
    record per item (`presets.items`), all with the line's number.
    """
    if not isinstance(lines, LineBuffer):
        lines = LineBuffer.of(lines)
    bulk = np.zeros(len(lines), dtype=np.bool_)
    if not mapping and use_compiled(engine, len(lines)):
        from transforms.json_lines import plain_lines  # numba: loaded on use

        bulk = plain_lines(lines, FIELD_FLAGS)
    rows = _Columns(source)
    plain: list[dict] = []
    plain_at: list[int] = []
    dead: list[tuple[int, str, bytes]] = []
    for i in np.flatnonzero(~bulk).tolist():
        line, raw = first_line + i, lines[i]
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            if raw.strip():
                dead.append((line, json_problem(raw), raw))
            continue
        if not isinstance(obj, dict) and not (mapping and mapping.expand and isinstance(obj, list)):
            dead.append((line, "not a JSON object", raw))
            continue
        if mapping is None and (row := _plain_row(obj)) is not None:
            plain.append(row)
            plain_at.append(line)
            continue
        records = (
            [obj] if mapping is None else [map_record(r, mapping) for r in items(obj, mapping)]
        )
        for record in records:
            row, problem = coerce_record(record)
            if problem:
                dead.append((line, problem, raw))
                continue
            rows.append(row, line)
    frames = [rows.frame()]
    if plain:
        frames.append(
            pl.from_dicts(plain, schema=RAW_POST_SCHEMA).with_columns(
                pl.lit(source).alias("source"), pl.Series("line", plain_at, pl.Int64)
            )
        )
    if bulk.any():
        at = np.flatnonzero(bulk)
        parsed = pl.read_ndjson(lines.json_lines(bulk), schema=RAW_POST_SCHEMA)
        frames.append(
            parsed.with_columns(
                pl.lit(source).alias("source"), pl.Series("line", at + first_line, pl.Int64)
            )
        )
    frames = [frame for frame in frames if not frame.is_empty()] or frames[:1]
    records = frames[0] if len(frames) == 1 else pl.concat(frames).sort("line")
    return records, dead_letters(source, dead)


_TEXT = frozenset({str, type(None)})
_TEXT_OR_INT = frozenset({str, int, type(None)})
_FLAG = frozenset({bool, type(None)})


def _plain_row(obj: dict) -> dict | None:
    """`obj` as coerce_record would keep it, when that is a matter of types alone (text or
    null fields, integers in text fields as their decimal text, a boolean or null `is_repost`),
    else None: such rows are built in bulk, with the same values. orjson never yields a lone
    surrogate, so its strings need no check."""
    if type(obj.get("is_repost")) not in _FLAG:
        return None
    kinds = set(map(type, map(obj.get, _STRING_FIELDS)))
    if kinds <= _TEXT:
        return obj
    if kinds <= _TEXT_OR_INT:
        return {**obj, **{k: str(v) for k in _STRING_FIELDS if type(v := obj.get(k)) is int}}
    return None


class _Columns:
    """Coerced rows of one source gathered column by column (far cheaper than row dicts)."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._columns: dict[str, list] = {name: [] for name in RAW_POST_SCHEMA}
        self._lines: list[int] = []

    def append(self, row: dict, line: int) -> None:
        for name, column in self._columns.items():
            column.append(row[name])
        self._lines.append(line)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                **self._columns,
                "source": [self._source] * len(self._lines),
                "line": self._lines,
            },
            schema=LOCATED_SCHEMA,
        )


def json_problem(raw: bytes) -> str:
    """The dead-letter reason of a line that is not JSON: `invalid UTF-8` where its bytes do
    not decode, else `invalid JSON`."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid UTF-8"
    return "invalid JSON"


def map_rows(
    rows: Iterable[tuple[int, dict]], mapping: InputMapping | None, *, source: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decoded `(line, record)` rows of `source` (CSV or Parquet rows), mapped onto the Post
    fields when a `mapping` is given, and coerced: `(records, dead)` as parse_json_lines returns
    them. A dead letter hashes the record's JSON text."""
    kept = _Columns(source)
    dead: list[tuple[int, str, bytes]] = []
    for line, record in rows:
        mapped = record if mapping is None else map_record(record, mapping)
        row, problem = coerce_record(mapped)
        if problem:
            dead.append((line, problem, _record_bytes(record)))
            continue
        kept.append(row, line)
    return kept.frame(), dead_letters(source, dead)


def _record_bytes(record: dict) -> bytes:
    try:
        return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(record).encode("utf-8", "backslashreplace")


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def flag_from_text(values: dict) -> dict:
    """`values` with a textual `is_repost` (a CSV cell) read as a boolean: `true`, `1` or `yes`
    (any case) are true; `false`, `0`, `no` or blank false; other text is left for
    coerce_record to refuse. coerce_record applies the same rule itself."""
    repost = values.get("is_repost")
    if not isinstance(repost, str):
        return values
    word = repost.strip().lower()
    return {**values, "is_repost": True if word in _TRUE else False if word in _FALSE else repost}


def coerce_record(obj: dict) -> tuple[dict, str | None]:
    """One decoded record as a RAW_POST_SCHEMA row, or the reason it cannot be one.

    String fields accept strings, finite numbers as their JSON text (an epoch `created_at`, a
    numeric `id`; not a NarrowFloat, a 32-bit float's rounded digits), UTF-8 bytes, and dates/datetimes (Parquet) as ISO-8601 text. `is_repost`
    accepts a boolean, 0 or 1, or the words of flag_from_text. Anything else (a list, an
    object, NaN) is a reason naming the field; invalid UTF-8 (or a lone surrogate) is
    `invalid UTF-8`. Unknown fields
    are ignored.
    """
    row: dict = {}
    for name in _STRING_FIELDS:
        value = obj.get(name)
        if value is None or (
            type(value) is str and (value.isascii() or not _has_surrogates(value))
        ):
            row[name] = value
            continue
        value, problem = _as_text(value, name)
        if problem:
            return row, problem
        row[name] = value
    repost = flag_from_text(obj).get("is_repost")
    if isinstance(repost, int) and not isinstance(repost, bool) and repost in (0, 1):
        repost = bool(repost)
    if repost is not None and not isinstance(repost, bool):
        return row, "field is_repost must be true or false"
    row["is_repost"] = repost
    return row, None


class NarrowFloat(float):
    """A value past 2**24 of a 16- or 32-bit float (Parquet, in a column or nested in one),
    whose whole numbers are exact only up to there: a date written as digits (20240303 stored
    as 20240304) or an epoch is rounded. coerce_record refuses it as a Post field's text, where a 64-bit float (or a
    smaller 32-bit one) is its JSON text."""


def _as_text(value, name: str) -> tuple[str | None, str | None]:
    """Field `name`'s value as text, or the reason it cannot be one."""
    if value is None:
        return None, None
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None, "invalid UTF-8"
    if isinstance(value, str):
        if _has_surrogates(value):
            return None, "invalid UTF-8"
        return value, None
    if isinstance(value, bool):
        return None, f"field {name} must be a string"
    if isinstance(value, NarrowFloat):
        return None, f"field {name} is a 32-bit float, its digits rounded: store it as text"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return orjson.dumps(value).decode(), None
    if isinstance(value, datetime | date):
        return value.isoformat(), None
    return None, f"field {name} must be a string"


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


EARLIEST_DATE = date(2000, 1, 1)
"""The default start of the plausible-date window: older posts are dead letters."""


def validate(
    records: pl.DataFrame,
    *,
    source_tz: str,
    earliest: date = EARLIEST_DATE,
    max_text_chars: int = MAX_TEXT_CHARS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split parsed records into valid posts and dead letters.

    A record is refused for a missing required field, a text over `max_text_chars` characters,
    a `created_at` in none of TIMESTAMP_FORMS (unread_reason), or one dated before
    `earliest` (UTC; the plausible-date window's start, which also keeps later stages within
    the calendar's range; its end is the run's as-of date, transforms.posts). Valid posts gain
    `created_utc` (UTC datetime); a naive timestamp is read in `source_tz`. Dead letters here
    hash the record's fields, since its raw bytes are no longer at hand.
    """
    checked = records.with_columns(
        parse_timestamps(records.get_column("created_at"), source_tz=source_tz).alias("created_utc")
    )
    reason = pl.when(False).then(pl.lit(None, pl.String))
    for name in POST_REQUIRED:
        value = pl.col(name)
        reason = reason.when(value.is_null() | (value.str.strip_chars() == "")).then(
            pl.lit(f"missing field {name}")
        )
    start = datetime(earliest.year, earliest.month, earliest.day, tzinfo=UTC)
    reason = (
        reason.when(pl.col("text").str.len_chars() > max_text_chars)
        .then(pl.lit("oversized text"))
        .when(pl.col("created_utc").is_null())
        .then(pl.lit(UNPARSEABLE_TIMESTAMP))
        .when(pl.col("created_utc") < pl.lit(start).dt.cast_time_unit("us"))
        .then(pl.lit(f"timestamp before {earliest.isoformat()}"))
        .otherwise(None)
    )
    checked = checked.with_columns(reason.alias("_reason"))
    bad = checked.filter(pl.col("_reason").is_not_null()).with_columns(
        pl.when(pl.col("_reason") == UNPARSEABLE_TIMESTAMP)
        .then(unread_reason(pl.col("created_at"), source_tz=source_tz))
        .otherwise(pl.col("_reason"))
        .alias("_reason")
    )
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


def unread_reason(created_at: pl.Expr, *, source_tz: str) -> pl.Expr:
    """The dead-letter reason of a `created_at` that parse_timestamp does not read:
    AMBIGUOUS_TIMESTAMP where it starts with a date in DAY_MONTH_ORDER, ZONE_NAMED_TIMESTAMP
    (naming the zone) where it reads once its zone name is written as UTC, else
    UNPARSEABLE_TIMESTAMP."""
    text = created_at.str.strip_chars()
    name = zone_name(text)
    return (
        pl.when(text.str.contains(DAY_MONTH_ORDER))
        .then(pl.lit(AMBIGUOUS_TIMESTAMP))
        .when(
            name.is_not_null()
            & parse_timestamp(zone_name_as_utc(text), source_tz=source_tz).is_not_null()
        )
        .then(pl.format(ZONE_NAMED_TIMESTAMP, name))
        .otherwise(pl.lit(UNPARSEABLE_TIMESTAMP))
    )
