"""Reading a post file into parsed chunks: JSON Lines, CSV (plain, gzip, zstd, bz2, xz), Parquet.

Each file is read as raw bytes and parsed per record, so one bad byte or line becomes one dead
letter instead of an aborted run. Imports no Beam: the job's DoFn (ingest.sources.ReadChunksFn)
hands read_chunks a file it opened, and read_file opens one local file itself for commands that
read posts without running the job (`moodcast tag`), so they do not pay Beam's import.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.file_checks import refuse_irregular, refuse_unsplittable_bytes, unmatched
from ingest.lines import FileLines, compression, file_format
from transforms.contracts import RAW_POST_SCHEMA
from transforms.csv_rows import csv_rows
from transforms.errors import InputError
from transforms.presets import InputMapping, record_reading
from transforms.records import (
    LOCATED_SCHEMA,
    TRUNCATED,
    UNREADABLE_PARQUET,
    NarrowFloat,
    dead_letters,
    map_rows,
    parse_json_lines,
)

log = logging.getLogger(__name__)

CHUNK_RECORDS = 50_000
"""Records per chunk. Every step of a chunk (validation, preparation, scoring, decisions,
keying, the spill) costs tens of milliseconds a call besides its posts: at 1M posts the job
spent ~1.5 CPU s less with 50,000 than with 20,000 (50 chunks), for ~20-35 MiB more peak
RSS; 100,000 saved little more and cost ~130 MiB (docs/throughput.md)."""


class ParsedChunk(NamedTuple):
    """Records of one stretch of one file (LOCATED_SCHEMA), and the dead letters found there."""

    records: pl.DataFrame
    dead: pl.DataFrame


def read_file(
    path: str, *, mapping: InputMapping | None = None, chunk_records: int = CHUNK_RECORDS
) -> Iterator[ParsedChunk]:
    """The ParsedChunks of one file (of up to `chunk_records` records) read outside a pipeline,
    exactly as the job reads it (read_chunks, after the job's checks), for commands that read
    posts without running the job (`moodcast tag`). A path that names an existing local file
    (no scheme such as gs://, no glob character) is opened here, and one that names nothing is
    refused here; any other is matched through Beam's filesystems (ingest.inputs.matched_files,
    imported only then) and must match one file. Raises InputError for a path that matches no
    file, a directory or another file that is not regular, or text that cannot be split into
    UTF-8 lines."""
    if _plain_local(path) and not os.path.lexists(path):
        raise unmatched(path)
    if is_local_file(path):
        refuse_irregular(path)
        with open(path, "rb") as handle:
            refuse_unsplittable_bytes(path, handle)
            handle.seek(0)
            yield from read_chunks(handle, path, mapping=mapping, chunk_records=chunk_records)
        return
    from ingest.inputs import matched_files, open_input

    found = matched_files([path])
    if len(found) != 1:
        raise InputError(f"{path!r} matches {len(found)} files: give one file")
    with open_input(found[0].path) as handle:
        yield from read_chunks(handle, found[0].path, mapping=mapping, chunk_records=chunk_records)


def is_local_file(path: str) -> bool:
    """Whether `path` is an existing local path that Beam's FileSystems.match would give back as
    it is (_plain_local)."""
    return _plain_local(path) and os.path.exists(path)


def _plain_local(path: str) -> bool:
    """Whether `path` is a local path that Beam's FileSystems.match reads as itself: no scheme,
    no glob character, no trailing separator (which match reads as `*`)."""
    return "://" not in path and not re.search(r"[*?[]", path) and not path.endswith(("/", "\\"))


def read_chunks(
    handle: BinaryIO,
    path: str,
    *,
    mapping: InputMapping | None = None,
    chunk_records: int = CHUNK_RECORDS,
) -> Iterator[ParsedChunk]:
    """The ParsedChunks of file `path`, of up to `chunk_records` records each, from `handle`
    (its stored bytes, open at its start). With a `mapping` (a preset or user mapping,
    transforms.presets) each record is mapped onto the Post fields before it is coerced;
    without, the file already uses them.

    Compressed files are decompressed here, frame by frame, and must end where their format
    says they end: a truncated or corrupt stream keeps the records read before the damage and
    adds one dead letter with reason TRUNCATED at the line after them (the run then refuses
    or records the loss, moodcast.run). A Parquet file that cannot be read is likewise one
    UNREADABLE_PARQUET dead letter where reading stopped."""
    kind = file_format(path)
    reading = record_reading(mapping)
    if kind == "parquet":
        yield from _parquet(handle, path, reading, chunk_records)
        return
    stream = FileLines(handle, compression(path))
    if kind == "csv":
        yield from _csv(stream, path, reading, chunk_records)
    else:
        yield from _jsonl(stream, path, reading, chunk_records)
    if stream.problem:
        log.warning("%s: %s after line %d", path, stream.problem, stream.number)
        yield ParsedChunk(
            pl.DataFrame(schema=LOCATED_SCHEMA),
            dead_letters(path, [(stream.number + 1, TRUNCATED, stream.rest)]),
        )


def _jsonl(stream: FileLines, path: str, mapping: InputMapping | None, chunk_records: int):
    first = 1
    for lines in stream.line_buffers(chunk_records):
        yield ParsedChunk(*parse_json_lines(lines, source=path, first_line=first, mapping=mapping))
        first += len(lines)


def _csv(stream: FileLines, path: str, mapping: InputMapping | None, chunk_records: int):
    texts = (
        raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff") if n == 1 else
        raw.decode("utf-8", "surrogateescape")
        for n, raw in enumerate(stream, start=1)
    )  # fmt: skip
    good: list[tuple[int, dict]] = []
    dead: list[tuple[int, str, bytes]] = []
    for row in csv_rows(texts):
        if row.problem:
            dead.append((row.line, row.problem, row.raw.encode("utf-8", "surrogateescape")))
        else:
            good.append((row.line, row.values))
        if len(good) + len(dead) >= chunk_records:
            yield _chunk(map_rows(good, mapping, source=path), dead_letters(path, dead))
            good, dead = [], []
    if good or dead:
        yield _chunk(map_rows(good, mapping, source=path), dead_letters(path, dead))


def _parquet(handle, path: str, mapping: InputMapping | None, chunk_records: int):
    first = 1
    try:
        for batch in pq.ParquetFile(handle).iter_batches(batch_size=chunk_records):
            if mapping is None and _plain_columns(batch.schema):
                yield ParsedChunk(_bulk(batch, path, first), dead_letters(path, []))
            else:
                rows = enumerate(_python_rows(batch), start=first)
                yield ParsedChunk(*map_rows(rows, mapping, source=path))
            first += batch.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        log.warning("%s: unreadable Parquet data from row %d: %s", path, first, exc)
        yield ParsedChunk(
            pl.DataFrame(schema=LOCATED_SCHEMA),
            dead_letters(path, [(first, UNREADABLE_PARQUET, str(exc).encode())]),
        )


def _python_rows(batch: pa.RecordBatch) -> list[dict]:
    """A Parquet batch's rows as Python objects, the values of its 16- and 32-bit floats past
    2**24 marked as NarrowFloat (their digits rounded, which coerce_record refuses as text),
    in a top-level column or nested in a struct, list or map a mapping's dotted path reads;
    smaller ones, whose whole numbers are exact, are kept."""
    rows = batch.to_pylist()
    narrow = {field.name: field.type for field in batch.schema if _has_narrow(field.type)}
    for row in rows if narrow else ():
        row.update({name: _marked(row[name], kind) for name, kind in narrow.items()})
    return rows


def _has_narrow(kind: pa.DataType) -> bool:
    """Whether a value of type `kind` is, or holds, a 16- or 32-bit float."""
    if pa.types.is_floating(kind):
        return kind.bit_width < 64
    if pa.types.is_map(kind):
        return _has_narrow(kind.key_type) or _has_narrow(kind.item_type)
    if pa.types.is_struct(kind):
        return any(_has_narrow(field.type) for field in kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _has_narrow(kind.value_type)
    return False


def _marked(value, kind: pa.DataType):
    """`value` (of Parquet type `kind`, as to_pylist gives it) with its narrow floats past
    2**24 marked as NarrowFloat, however deep."""
    if value is None or not _has_narrow(kind):
        return value
    if pa.types.is_floating(kind):
        return NarrowFloat(value) if abs(value) > 1 << 24 else value
    if pa.types.is_map(kind):
        return [(_marked(k, kind.key_type), _marked(v, kind.item_type)) for k, v in value]
    if pa.types.is_struct(kind):
        kinds = {field.name: field.type for field in kind}
        return {name: _marked(item, kinds[name]) for name, item in value.items()}
    return [_marked(item, kind.value_type) for item in value]


_TEXT_TYPES = (pa.string(), pa.large_string(), pa.string_view(), pa.null())


def _plain_columns(schema: pa.Schema) -> bool:
    """True when every Post field a Parquet batch has is text (or all null), and `is_repost`
    boolean: then coerce_record would keep every value as it is, so the batch is converted in
    bulk (a per-file property of the types, never of neighbouring values)."""
    for name in RAW_POST_SCHEMA:
        if name not in schema.names:
            continue
        kind = schema.field(name).type
        allowed = (pa.bool_(), pa.null()) if name == "is_repost" else _TEXT_TYPES
        if kind not in allowed:
            return False
    return True


def _bulk(batch: pa.RecordBatch, path: str, first: int) -> pl.DataFrame:
    frame = pl.from_arrow(batch)
    return frame.select(
        *(
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in RAW_POST_SCHEMA.items()
        ),
        pl.lit(path).alias("source"),
        pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("line"),
    )


def _chunk(parsed: tuple[pl.DataFrame, pl.DataFrame], dead: pl.DataFrame) -> ParsedChunk:
    records, refused = parsed
    return ParsedChunk(records, pl.concat([dead, refused]))
