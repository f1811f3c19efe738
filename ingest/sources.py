"""Reading post files into parsed chunks: JSON Lines (plain, gzip, zstd), CSV and Parquet.

Each file is read as raw bytes and parsed per record, so one bad byte or line becomes one dead
letter instead of an aborted run. Any filesystem Beam supports works (local paths, gs://, s3://).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import apache_beam as beam
import polars as pl
import pyarrow.parquet as pq
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems

from transforms.contracts import RAW_POST_SCHEMA
from transforms.errors import InputError as InputError
from transforms.presets import InputMapping, map_record
from transforms.records import (
    LOCATED_SCHEMA,
    coerce_record,
    dead_letters,
    flag_from_text,
    map_rows,
    parse_json_lines,
)

CHUNK_RECORDS = 20_000


class ParsedChunk(NamedTuple):
    """Records of one stretch of one file (LOCATED_SCHEMA), and the dead letters found there."""

    records: pl.DataFrame
    dead: pl.DataFrame


def file_format(path: str) -> str:
    """`jsonl`, `csv` or `parquet`, from the file name (compression suffixes ignored)."""
    name = path.lower()
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return "jsonl"


class ReadChunksFn(beam.DoFn):
    """A matched file → ParsedChunks of up to CHUNK_RECORDS records each. A file with an entry
    in `mappings` (path → a preset or user mapping, transforms.presets) has each record mapped
    onto the Post fields before it is coerced; the others already use them."""

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
        mapping = self._mappings.get(path)
        if mapping is not None and mapping.reads_post_fields:
            mapping = None
        if kind == "parquet":
            yield from self._parquet(readable, path, mapping)
            return
        with readable.open(compression_type=CompressionTypes.AUTO) as handle:
            if kind == "csv":
                yield from self._csv(handle, path, mapping)
            else:
                yield from self._jsonl(handle, path, mapping)

    def _jsonl(self, handle, path: str, mapping: InputMapping | None) -> Iterator[ParsedChunk]:
        lines: list[bytes] = []
        first = 1
        for raw in _lines(handle):
            lines.append(raw.removesuffix(b"\r"))
            if len(lines) == self._chunk:
                yield ParsedChunk(
                    *parse_json_lines(lines, source=path, first_line=first, mapping=mapping)
                )
                first += len(lines)
                lines = []
        if lines:
            yield ParsedChunk(
                *parse_json_lines(lines, source=path, first_line=first, mapping=mapping)
            )

    def _csv(self, handle, path: str, mapping: InputMapping | None) -> Iterator[ParsedChunk]:
        text = io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(text)
        rows, dead = [], []
        for row in reader:
            line = reader.line_num
            raw = "\x1f".join(f"{k}={v}" for k, v in row.items()).encode("utf-8", "surrogateescape")
            values = {k: (v if v != "" else None) for k, v in row.items() if k is not None}
            if any(isinstance(v, str) and _has_surrogates(v) for v in values.values()):
                dead.append((line, "invalid UTF-8", raw))
                continue
            if None in row:
                dead.append((line, "more fields than the header", raw))
                continue
            if mapping is not None:
                values = map_record(values, mapping)
            record, problem = coerce_record(flag_from_text(values))
            if problem:
                dead.append((line, problem, raw))
                continue
            record["source"], record["line"] = path, line
            rows.append(record)
            if len(rows) + len(dead) >= self._chunk:
                yield ParsedChunk(
                    pl.DataFrame(rows, schema=LOCATED_SCHEMA), dead_letters(path, dead)
                )
                rows, dead = [], []
        if rows or dead:
            yield ParsedChunk(pl.DataFrame(rows, schema=LOCATED_SCHEMA), dead_letters(path, dead))

    def _parquet(
        self, readable: fileio.ReadableFile, path: str, mapping: InputMapping | None
    ) -> Iterator[ParsedChunk]:
        with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            parquet = pq.ParquetFile(handle)
            first = 1
            for batch in parquet.iter_batches(batch_size=self._chunk):
                frame = pl.from_arrow(batch)
                if mapping is not None:
                    numbered = enumerate(frame.iter_rows(named=True), start=first)
                    first += frame.height
                    yield ParsedChunk(*map_rows(numbered, mapping, source=path))
                    continue
                present = [
                    pl.col(name).cast(dtype, strict=False)
                    if name in frame.columns
                    else pl.lit(None, dtype)
                    for name, dtype in RAW_POST_SCHEMA.items()
                ]
                records = frame.select(
                    *(
                        expr.alias(name)
                        for expr, name in zip(present, RAW_POST_SCHEMA, strict=True)
                    ),
                    pl.lit(path).alias("source"),
                    pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("line"),
                )
                first += frame.height
                yield ParsedChunk(records, dead_letters(path, []))


def _lines(handle, block_bytes: int = 1 << 22) -> Iterator[bytes]:
    """The lines of a binary file-like object (compressed or not), without their newlines."""
    rest = b""
    while block := handle.read(block_bytes):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
            | "ReadChunks" >> beam.ParDo(ReadChunksFn(self._chunk, self._mappings))
        )


class InputFile(NamedTuple):
    """One matched input: its path, size in bytes and the SHA-256 of its bytes (as stored)."""

    path: str
    bytes: int
    sha256: str


def read_file(path: str, *, mapping: InputMapping | None = None) -> Iterator[ParsedChunk]:
    """The ParsedChunks of one file read outside a pipeline, exactly as the job reads it
    (ReadChunksFn), for commands that read posts without running the job (`moodcast tag`).
    Raises InputError for a path that matches no file or a directory (match_inputs)."""
    found = match_inputs([path])
    if len(found) != 1:
        raise InputError(f"{path!r} matches {len(found)} files: give one file")
    meta = FileMetadata(found[0].path, found[0].bytes)
    mappings = {meta.path: mapping} if mapping is not None else None
    yield from ReadChunksFn(mappings=mappings).process(fileio.ReadableFile(meta))


def match_inputs(patterns: Sequence[str]) -> list[InputFile]:
    """Expand file patterns (any filesystem Beam supports) into hashed inputs, sorted by path.

    Raises InputError naming a pattern that matches no file, or a directory.
    """
    found: dict[str, InputFile] = {}
    for pattern, result in zip(patterns, FileSystems.match(list(patterns)), strict=True):
        if not result.metadata_list:
            raise InputError(
                f"no input file matches {pattern!r}: check the path (relative paths start from "
                "the current directory) and quote a glob, e.g. 'posts/*.jsonl'"
            )
        for meta in result.metadata_list:
            if os.path.isdir(meta.path):
                raise InputError(
                    f"{meta.path} is a directory: give the files in it, e.g. "
                    f"'{meta.path.rstrip('/')}/*.jsonl' (quoted, so that moodcast expands it)"
                )
            found[meta.path] = InputFile(meta.path, meta.size_in_bytes, file_sha256(meta.path))
    return [found[path] for path in sorted(found)]


def file_sha256(path: str) -> str:
    """SHA-256 of a file's stored bytes, streamed (any filesystem Beam supports)."""
    digest = hashlib.sha256()
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def peek_fields(path: str, *, limit: int = 40) -> list[str]:
    """The field names of a post file's first record, at most `limit`: a CSV's header, a Parquet
    schema, the keys of the first JSON object. Empty when none can be read; never raises for a
    malformed file (an error message uses this to say what a file holds)."""
    kind = file_format(path)
    try:
        if kind == "parquet":
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                return pq.ParquetFile(handle).schema_arrow.names[:limit]
        with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as handle:
            for raw in _lines(handle):
                if not raw.strip():
                    continue
                line = raw.decode("utf-8", "replace").lstrip("\ufeff")
                if kind == "csv":
                    return next(csv.reader([line]))[:limit]
                record = json.loads(line)
                return list(record)[:limit] if isinstance(record, dict) else []
    except (OSError, ValueError, StopIteration):
        return []
    return []
