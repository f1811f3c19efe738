"""Reading post files into parsed chunks: JSON Lines, CSV (plain, gzip, zstd, bz2, xz), Parquet.

Each file is read as raw bytes and parsed per record, so one bad byte or line becomes one dead
letter instead of an aborted run. Any filesystem Beam supports works (local paths, gs://, s3://).
The files are found and checked by ingest.inputs and cut into lines by ingest.lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import apache_beam as beam
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.coders import registry
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from ingest.coders import FramesCoder
from ingest.inputs import matched_files
from ingest.lines import FileLines, compression, file_format
from ingest.worker_errors import ours_ungrouped
from transforms.contracts import RAW_POST_SCHEMA
from transforms.csv_rows import csv_header, csv_rows
from transforms.errors import InputError as InputError
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


registry.register_coder(ParsedChunk, FramesCoder)


@ours_ungrouped
class ReadChunksFn(beam.DoFn):
    """A matched file → ParsedChunks of up to CHUNK_RECORDS records each. A file with an entry
    in `mappings` (path → a preset or user mapping, transforms.presets) has each record mapped
    onto the Post fields before it is coerced; the others already use them.

    Compressed files are decompressed here, frame by frame, and must end where their format
    says they end: a truncated or corrupt stream keeps the records read before the damage and
    adds one dead letter with reason TRUNCATED at the line after them (the run then refuses
    or records the loss, moodcast.run). A Parquet file that cannot be read is likewise one
    UNREADABLE_PARQUET dead letter where reading stopped."""

    def __init__(
        self,
        chunk_records: int = CHUNK_RECORDS,
        mappings: Mapping[str, InputMapping] | None = None,
    ):
        self._chunk = chunk_records
        self._mappings = dict(mappings or {})

    def process(self, readable: fileio.ReadableFile) -> Iterator[ParsedChunk]:
        path = readable.metadata.path
        kind = file_format(path)
        mapping = record_reading(self._mappings.get(path))
        with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            if kind == "parquet":
                yield from self._parquet(handle, path, mapping)
                return
            stream = FileLines(handle, compression(path))
            if kind == "csv":
                yield from self._csv(stream, path, mapping)
            else:
                yield from self._jsonl(stream, path, mapping)
            if stream.problem:
                log.warning("%s: %s after line %d", path, stream.problem, stream.number)
                yield ParsedChunk(
                    pl.DataFrame(schema=LOCATED_SCHEMA),
                    dead_letters(path, [(stream.number + 1, TRUNCATED, stream.rest)]),
                )

    def _jsonl(self, stream: FileLines, path: str, mapping: InputMapping | None):
        first = 1
        for lines in stream.line_buffers(self._chunk):
            yield ParsedChunk(
                *parse_json_lines(lines, source=path, first_line=first, mapping=mapping)
            )
            first += len(lines)

    def _csv(self, stream: FileLines, path: str, mapping: InputMapping | None):
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
            if len(good) + len(dead) >= self._chunk:
                yield _chunk(map_rows(good, mapping, source=path), dead_letters(path, dead))
                good, dead = [], []
        if good or dead:
            yield _chunk(map_rows(good, mapping, source=path), dead_letters(path, dead))

    def _parquet(self, handle, path: str, mapping: InputMapping | None):
        first = 1
        try:
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=self._chunk):
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


class ReadPostChunks(beam.PTransform):
    """File patterns → ParsedChunks. Patterns that match nothing fail the run with their name.
    `mappings` (path → a preset or user mapping) maps the records of those files onto the Post
    fields."""

    def __init__(
        self,
        patterns: list[str],
        *,
        chunk_records: int = CHUNK_RECORDS,
        mappings: Mapping[str, InputMapping] | None = None,
    ):
        super().__init__()
        self._patterns = patterns
        self._chunk = chunk_records
        self._mappings = dict(mappings or {})

    def expand(self, pipeline):
        return (
            pipeline
            | "Patterns" >> beam.Create(self._patterns)
            | "MatchFiles"
            >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.DISALLOW)
            | "OpenFiles" >> fileio.ReadMatches()
            | "ReadChunks"
            >> beam.ParDo(ReadChunksFn(self._chunk, self._mappings)).with_output_types(ParsedChunk)
        )


def read_file(
    path: str, *, mapping: InputMapping | None = None, chunk_records: int = CHUNK_RECORDS
) -> Iterator[ParsedChunk]:
    """The ParsedChunks of one file (of up to `chunk_records` records) read outside a pipeline,
    exactly as the job reads it (ReadChunksFn), for commands that read posts without running
    the job (`moodcast tag`). Raises InputError for a path that matches no file or a directory
    (matched_files)."""
    found = matched_files([path])
    if len(found) != 1:
        raise InputError(f"{path!r} matches {len(found)} files: give one file")
    meta = found[0]
    mappings = {meta.path: mapping} if mapping is not None else None
    yield from ReadChunksFn(chunk_records, mappings).process(fileio.ReadableFile(meta))


class JsonDocument(NamedTuple):
    """The start of a JSON Lines input that is one JSON document instead (peek_document): an
    `array` (else pretty-printed objects, one after another), the `items` (array items, or
    objects) whole in its first PEEK_CHARS bytes, whether those bytes hold it `whole` (so
    `items` is every item), whether they hold no line end, `one_line` (so a line reader reads
    the document as one line), and its `first` item (None where none is whole). One line not
    `whole` may also be the first of JSON Lines of arrays: what follows it was not read."""

    array: bool
    items: int
    whole: bool
    one_line: bool
    first: object


PEEK_CHARS = 1 << 20
"""How many bytes (decompressed) of a JSON file peek_record, peek_fields and peek_document read
to find its first record, whether a JSON line or the first item of a document (an array of
posts on one line or many, pretty-printed objects): a first record longer than that is not
found, and what follows it is never read."""


def peek_document(path: str) -> JsonDocument | None:
    """What a JSON Lines input `path` that is one JSON document instead holds (_opens_document:
    its first line opens an array, or holds only `{`), read from its first PEEK_CHARS bytes;
    None for any other file (CSV, Parquet, JSON Lines, lines that are arrays among them, such as
    one Reddit thread a line; one that cannot be read)."""
    if file_format(path) != "jsonl":
        return None
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            head, cut = _head(FileLines(handle, compression(path)))
    except OSError:
        return None
    body = head.strip()
    first, _, rest = body.partition("\n")
    if not _opens_document(first) or (rest.strip() and _whole_value(first)):
        return None
    items, ended = _items(body)
    array = body.startswith("[")
    return JsonDocument(
        array, len(items), ended and not cut, "\n" not in body, items[0] if items else None
    )


def peek_record(path: str) -> dict:
    """A post file's first record as read (transforms.presets.suggest_reading judges it): a
    JSON line's object, or where the file is one JSON document (peek_document), the array's
    first item or the first object, decoded from its first PEEK_CHARS bytes; a CSV's first row
    as the job reads it (transforms.csv_rows: a quoted field's newlines and blank lines kept,
    empty cells None, a malformed record passed over) keyed by its header, or the header's names
    with "" where it holds no row; a Parquet file's first row. Empty when none can be read;
    never raises for a malformed file."""
    kind = file_format(path)
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            if kind == "parquet":
                rows = next(pq.ParquetFile(handle).iter_batches(batch_size=1), None)
                return rows.to_pylist()[0] if rows is not None and rows.num_rows else {}
            stream = FileLines(handle, compression(path))
            if kind == "csv":
                rows = csv_rows(_texts(stream))
                row = next((row.values for row in rows if row.values is not None), None)
                return row if row is not None else dict.fromkeys(peek_fields(path), "")
            head, _ = _head(stream)
            first = next(line for line in head.split("\n") if line.strip())
            record = (
                next(iter(_items(head.strip())[0]), None)
                if _opens_document(first)
                else json.loads(first)
            )
            return record if isinstance(record, dict) else {}
    except (OSError, ValueError, StopIteration):
        return {}


def peek_fields(path: str, *, limit: int = 40) -> list[str]:
    """The field names of a post file's first record, at most `limit`: a CSV's header as the job
    reads it (transforms.csv_rows.csv_header: a quoted name's newline kept, a malformed record
    before it passed over), a Parquet schema, the keys of peek_record's JSON object (read from
    the first PEEK_CHARS bytes). Empty when none can be read; never raises for a malformed file
    (an error message uses this to say what a file holds)."""
    kind = file_format(path)
    if kind == "jsonl":
        return list(peek_record(path))[:limit]
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            if kind == "parquet":
                return pq.ParquetFile(handle).schema_arrow.names[:limit]
            return csv_header(_texts(FileLines(handle, compression(path))))[:limit]
    except (OSError, ValueError):
        return []


def _texts(lines: FileLines) -> Iterator[str]:
    """A file's lines decoded, each with its line ending, the first without a byte-order mark."""
    for n, raw in enumerate(lines):
        text = raw.decode("utf-8", "replace")
        yield text.removeprefix("\ufeff") if n == 0 else text


def _head(stream: FileLines) -> tuple[str, bool]:
    """A file's first PEEK_CHARS bytes (decompressed) decoded, without a byte-order mark, and
    whether the file goes on past them."""
    data = bytearray()
    for block in stream.blocks():
        data += block[: PEEK_CHARS + 1 - len(data)]
        if len(data) > PEEK_CHARS:
            break
    cut = len(data) > PEEK_CHARS
    return data[:PEEK_CHARS].decode("utf-8", "replace").removeprefix("\ufeff"), cut


def _opens_document(line: str) -> bool:
    """Whether a JSON Lines file whose first non-blank line is `line` is one JSON document
    instead: the line opens an array, or holds only `{` (pretty-printed objects)."""
    return line.lstrip().startswith("[") or line.strip() == "{"


def _whole_value(line: str) -> bool:
    """Whether `line` is one whole JSON value (a JSON Lines file's line, an array included)."""
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


_SPACE = re.compile(r"\s*")


def _items(body: str) -> tuple[list, bool]:
    """The values whole at the start of a JSON document's stripped text `body`: an array's
    items, else the values one after another; and whether `body` ends with them (the array
    closed)."""
    decoder, array = json.JSONDecoder(), body.startswith("[")
    items, at = [], _SPACE.match(body, int(array)).end()
    while at < len(body) and not (array and body[at] == "]"):
        try:
            value, at = decoder.raw_decode(body, at)
        except ValueError:
            return items, False
        items.append(value)
        at = _SPACE.match(body, at).end()
        if array and body.startswith(",", at):
            at = _SPACE.match(body, at + 1).end()
        elif array and not body.startswith("]", at):
            return items, False
    return items, not array or at == len(body) - 1
