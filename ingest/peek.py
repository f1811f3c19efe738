"""What a post file's first record holds, read for advice on how to read the file
(moodcast.reading, after a run, `tag` or `markers adapt` found no usable post in it). Imports
no Beam for a local file, which is opened directly (ingest.files.is_local_file): the refusal of
a first run's wrong file does not pay Beam's import; any other path is opened through Beam's
filesystems (ingest.inputs.open_input, imported only then).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import pyarrow.parquet as pq

from ingest.files import is_local_file
from ingest.lines import FileLines, compression, file_format, split_compression
from transforms.csv_rows import csv_header, csv_rows


def _opened(path: str) -> BinaryIO:
    """The stored bytes of the file at `path`, open from its start: a local file directly,
    another through Beam's filesystems."""
    if is_local_file(path):
        return open(path, "rb")
    from ingest.inputs import open_input

    return open_input(path)


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
    if file_format(path) != "jsonl" or (read := _read_head(path)) is None:
        return None
    head, cut = read
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
        with _opened(path) as handle:
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


def peek_records(path: str, limit: int = 100) -> list[dict]:
    """Up to `limit` of a post file's first records as read, for a judgement that one record
    would get wrong (a key a post holds only sometimes): a JSON Lines file's whole lines within
    its first PEEK_CHARS bytes that are objects (a malformed line passed over), a JSON
    document's first objects (peek_document's file), else peek_record's one record (a CSV's
    rows and a Parquet file's share their columns). Empty when none can be read; never raises
    for a malformed file."""
    if file_format(path) in ("csv", "parquet"):
        return [record] if (record := peek_record(path)) else []
    try:
        with _opened(path) as handle:
            head, cut = _head(FileLines(handle, compression(path)))
    except (OSError, ValueError):
        return []
    lines = [line for line in head.split("\n") if line.strip()]
    if lines and _opens_document(lines[0]):
        values = _items(head.strip())[0]
    else:
        values = [_loaded(line) for line in (lines[:-1] if cut else lines)]
    return [value for value in values if isinstance(value, dict)][:limit]


def _loaded(line: str) -> object:
    """A JSON line's value, or None where it is malformed."""
    try:
        return json.loads(line)
    except ValueError:
        return None


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
        with _opened(path) as handle:
            if kind == "parquet":
                return pq.ParquetFile(handle).schema_arrow.names[:limit]
            return csv_header(_texts(FileLines(handle, compression(path))))[:limit]
    except (OSError, ValueError):
        return []


def looks_like_csv(path: str) -> bool:
    """Whether an input named as JSON (`.jsonl`, `.ndjson`, `.json`, compressed or not) looks
    like CSV instead: its first non-blank line (of its first PEEK_CHARS bytes) holds no `{` or
    `[`, is no JSON value, and splits at commas into two fields or more, as a CSV header does
    (transforms.csv_rows.csv_header). False for any other file (a `.txt` of prose with commas
    among them) and one that cannot be read; never raises."""
    named_json = split_compression(path)[0].lower().endswith((".jsonl", ".ndjson", ".json"))
    if not named_json or (read := _read_head(path)) is None:
        return False
    first = next((line for line in read[0].split("\n") if line.strip()), "")
    if not first or "{" in first or "[" in first or _whole_value(first):
        return False
    return len(csv_header([first])) >= 2


def _texts(lines: FileLines) -> Iterator[str]:
    """A file's lines decoded, each with its line ending, the first without a byte-order mark."""
    for n, raw in enumerate(lines):
        text = raw.decode("utf-8", "replace")
        yield text.removeprefix("\ufeff") if n == 0 else text


def _read_head(path: str) -> tuple[str, bool] | None:
    """_head of the file at `path`, None where it cannot be opened or read."""
    try:
        with _opened(path) as handle:
            return _head(FileLines(handle, compression(path)))
    except OSError:
        return None


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
