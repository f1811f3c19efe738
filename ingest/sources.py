"""Reading post files into parsed chunks: JSON Lines (plain, gzip, zstd), CSV and Parquet.

Each file is read as raw bytes and parsed per record, so one bad byte or line becomes one dead
letter instead of an aborted run. Any filesystem Beam supports works (local paths, gs://, s3://).
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import json
import logging
import lzma
import os
import re
import stat
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import apache_beam as beam
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from apache_beam.coders import registry
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems

from ingest.archives import archive_advice
from ingest.coders import FramesCoder
from transforms.contracts import RAW_POST_SCHEMA
from transforms.csv_rows import csv_rows
from transforms.errors import InputError as InputError
from transforms.json_lines import LineBuffer, line_feeds
from transforms.presets import InputMapping
from transforms.records import (
    LOCATED_SCHEMA,
    TRUNCATED,
    UNREADABLE_PARQUET,
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


class InputFileError(InputError):
    """An InputError about particular input files, `paths` (as matched): refused before a run
    (not a regular file, not UTF-8 text), damaged, changed while a run read them, or new files
    whose periods an earlier input covers that is gone or changed since it was loaded. A
    caller can leave those files aside and go on with the others (follow mode does)."""

    def __init__(self, message: str, *, paths: Sequence[str]):
        super().__init__(message)
        self.paths = tuple(paths)


class ParsedChunk(NamedTuple):
    """Records of one stretch of one file (LOCATED_SCHEMA), and the dead letters found there."""

    records: pl.DataFrame
    dead: pl.DataFrame


registry.register_coder(ParsedChunk, FramesCoder)


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
        mapping = self._mappings.get(path)
        if mapping is not None and mapping.reads_post_fields:
            mapping = None
        with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            if kind == "parquet":
                yield from self._parquet(handle, path, mapping)
                return
            stream = _Lines(handle, compression(path))
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

    def _jsonl(self, stream: _Lines, path: str, mapping: InputMapping | None):
        first = 1
        for lines in stream.line_buffers(self._chunk):
            yield ParsedChunk(
                *parse_json_lines(lines, source=path, first_line=first, mapping=mapping)
            )
            first += len(lines)

    def _csv(self, stream: _Lines, path: str, mapping: InputMapping | None):
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
                    rows = enumerate(batch.to_pylist(), start=first)
                    yield ParsedChunk(*map_rows(rows, mapping, source=path))
                first += batch.num_rows
        except (pa.ArrowException, OSError, ValueError) as exc:
            log.warning("%s: unreadable Parquet data from row %d: %s", path, first, exc)
            yield ParsedChunk(
                pl.DataFrame(schema=LOCATED_SCHEMA),
                dead_letters(path, [(first, UNREADABLE_PARQUET, str(exc).encode())]),
            )


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


_DECOMPRESSORS = {
    "gzip": lambda: zlib.decompressobj(wbits=31),
    "zstd": lambda: zstandard.ZstdDecompressor().decompressobj(),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}


def compression(path: str) -> str | None:
    """`gzip`, `zstd`, `bz2`, `xz` or None (plain), from the file name."""
    name = path.lower()
    for suffix, kind in ((".gz", "gzip"), (".zst", "zstd"), (".zstd", "zstd"), (".bz2", "bz2")):
        if name.endswith(suffix):
            return kind
    return "xz" if name.endswith(".xz") else None


_BOM = b"\xef\xbb\xbf"
_NO_FEEDS = np.zeros(0, dtype=np.int64)


class _Lines:
    """The lines (each with its `\\n`, the last maybe without) of a binary handle, decompressed
    when `kind` names a compression. Concatenated members/frames are read in turn; a stream
    that stops inside one, or is corrupt, ends the lines and sets `problem`. `number` counts
    the lines split off so far; `rest` holds the bytes of a partial line lost with the damage."""

    def __init__(self, handle, kind: str | None, block_bytes: int = 1 << 22) -> None:
        self._handle, self._kind, self._block = handle, kind, block_bytes
        self.problem: str | None = None
        self.number = 0
        self.rest = b""

    def _blocks(self) -> Iterator[bytes]:
        if self._kind is None:
            while block := self._handle.read(self._block):
                yield block
            return
        make = _DECOMPRESSORS[self._kind]
        decompressor, data, started = make(), b"", False
        while True:
            data = data or self._handle.read(self._block)
            if not data:
                break
            try:
                out = decompressor.decompress(data)
            except (EOFError, OSError, ValueError, zlib.error, zstandard.ZstdError) as exc:
                self.problem = f"corrupt {self._kind} stream: {exc}"
                return
            data, started = b"", True
            if out:
                yield out
            if decompressor.eof:
                data, decompressor, started = decompressor.unused_data, make(), False
        if started:
            self.problem = f"{self._kind} stream ends before its end marker"

    def __iter__(self) -> Iterator[bytes]:
        for lines, ended in self.line_lists():
            yield from (line + b"\n" for line in lines) if ended else lines

    def line_buffers(self, size: int) -> Iterator[LineBuffer]:
        """The lines in LineBuffers of `size` lines (the last may hold fewer), each without its
        `\\r\\n` or `\\n`, the first without a byte-order mark. Each block is searched for line
        feeds once, and its bytes joined into a buffer once (twice where a buffer's last lines
        wait for the next block)."""
        held: list[bytes] = []
        feeds: list[np.ndarray] = []
        length = complete = 0
        for block in self._blocks():
            feeds.append(line_feeds(block) + length)
            held.append(block)
            length += len(block)
            complete += len(feeds[-1])
            if complete < size:
                continue
            data, ends = b"".join(held), np.concatenate(feeds)
            lines = self._first_line(LineBuffer.at(data, ends))
            full = len(lines) - len(lines) % size
            for at in range(size, full + 1, size):
                self.number += size
                yield lines[at - size : at]
            used = int(ends[full - 1]) + 1
            held, length = [data[used:]], len(data) - used
            feeds, complete = [ends[full:] - used], len(lines) - full
        data = b"".join(held)
        lines = self._first_line(LineBuffer.at(data, np.concatenate([*feeds, _NO_FEEDS])))
        rest = data[data.rfind(b"\n") + 1 :]
        if self.problem:
            self.rest = rest
        elif rest:
            rest = rest.removeprefix(_BOM) if self.number == 0 and not len(lines) else rest
            lines = LineBuffer.of([*lines, rest.removesuffix(b"\r")])
        self.number += len(lines)
        if len(lines):
            yield lines

    def _first_line(self, lines: LineBuffer) -> LineBuffer:
        """`lines`, the first without a byte-order mark when it is the file's first line."""
        if self.number == 0 and len(lines) and lines[0].startswith(_BOM):
            starts = lines.starts.copy()
            starts[0] += len(_BOM)
            return LineBuffer(lines.data, starts, lines.ends)
        return lines

    def line_lists(self) -> Iterator[tuple[list[bytes], bool]]:
        """The lines without their `\\n`, a block's worth at a time, each list with whether its
        lines ended with one (all but a last line that has none)."""
        rest = b""
        for block in self._blocks():
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            self.number += len(lines)
            yield lines, True
        if self.problem:
            self.rest = rest
        elif rest:
            self.number += 1
            yield [rest], False


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


class InputFile(NamedTuple):
    """One matched input: its path, size in bytes, the SHA-256 of its bytes (as stored), and
    when it was last changed (seconds since the epoch, as its filesystem tells), read before
    the hash."""

    path: str
    bytes: int
    sha256: str
    modified: float


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


def match_inputs(patterns: Sequence[str], *, check_text: bool = True) -> list[InputFile]:
    """Expand file patterns (any filesystem Beam supports) into hashed inputs, sorted by path.

    Raises InputError as matched_files does (`check_text`: its text checked).
    """
    return [
        InputFile(
            meta.path, meta.size_in_bytes, file_sha256(meta.path), meta.last_updated_in_seconds
        )
        for meta in matched_files(patterns, check_text=check_text)
    ]


def changed_inputs(files: Sequence[InputFile]) -> list[str]:
    """The paths of `files` that are gone, whose size is no longer what match_inputs saw, or
    whose modification time moved and whose bytes no longer hash to the SHA-256 it computed:
    what was read of them may match neither their hashed content nor their present one. A
    file only touched (same bytes, a new modification time) is unchanged."""
    now = FileSystems.match([literal_pattern(f.path) for f in files])
    changed = []
    for f, result in zip(files, now, strict=True):
        seen = [
            (m.size_in_bytes, m.last_updated_in_seconds)
            for m in result.metadata_list
            if m.path == f.path
        ]
        if seen == [(f.bytes, f.modified)]:
            continue
        if len(seen) != 1 or seen[0][0] != f.bytes or not _same_bytes(f):
            changed.append(f.path)
    return changed


def _same_bytes(f: InputFile) -> bool:
    """Whether `f`'s bytes still hash to its SHA-256 (False when it cannot be read now)."""
    try:
        return file_sha256(f.path) == f.sha256
    except OSError:
        return False


def literal_pattern(path: str) -> str:
    """A pattern that Beam's FileSystems.match (and fileio.MatchAll) match to `path`: its glob
    characters `*` and `?` each in a bracket of its own, `[` as `[\\[]` (Beam's brackets hold no
    lone `[` without a warning; this one also matches a backslash in its place). A matched file
    named `posts [1].jsonl`, given back as it is, is a glob that matches `posts 1.jsonl`."""
    escaped = {"*": "[*]", "?": "[?]", "[": "[\\[]"}
    return re.sub(r"[*?[]", lambda glob: escaped[glob.group()], path)


def matched_files(patterns: Sequence[str], *, check_text: bool = True) -> list[FileMetadata]:
    """Expand file patterns (any filesystem Beam supports) into the files' metadata, sorted by
    path, each file once.

    A pattern with glob characters that is itself the name of an existing file (`posts
    [1].jsonl`) is that file, not the glob. Raises InputError naming a pattern that matches no
    file, a match that is not a regular file (a directory's message says how to give the files
    in it; refuse_irregular), or, with `check_text`, one whose text cannot be split into UTF-8
    lines (refuse_unsplittable).
    """
    found: dict[str, FileMetadata] = {}
    exact = [literal_pattern(p) if _names_a_file(p) else p for p in patterns]
    for pattern, result in zip(patterns, FileSystems.match(exact), strict=True):
        if not result.metadata_list:
            raise InputFileError(
                f"no input file matches {pattern!r}: check the path (relative paths start from "
                "the current directory) and quote a glob, e.g. 'posts/*.jsonl'",
                paths=[pattern],
            )
        for meta in result.metadata_list:
            if os.path.isdir(meta.path):
                raise InputFileError(
                    f"{meta.path} is a directory: give the files in it, e.g. "
                    f"'{meta.path.rstrip('/')}/*.jsonl' (quoted, so that moodcast expands it)",
                    paths=[meta.path],
                )
            refuse_irregular(meta.path)
            if check_text:
                refuse_unsplittable(meta.path)
            found[meta.path] = meta
    return [found[path] for path in sorted(found)]


def _names_a_file(pattern: str) -> bool:
    """Whether `pattern` holds glob characters and is itself the name of an existing path."""
    return bool(re.search(r"[*?[]", pattern)) and FileSystems.exists(pattern)


def refuse_irregular(path: str) -> None:
    """Raise InputError when a local `path` is not a regular file (a FIFO, a device such as
    /dev/zero, a directory, a socket): reading one could wait or run forever. Paths on other
    filesystems (a scheme such as gs://) hold only files."""
    if "://" in path:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(
            f"cannot read input {path}: {exc.strerror or exc}", paths=[path]
        ) from exc
    if not stat.S_ISREG(mode):
        raise InputFileError(
            f"{path} is not a regular file (a directory, pipe or device); give moodcast files "
            f"of posts, e.g. posts/*.jsonl",
            paths=[path],
        )


MIN_FOREIGN_LINES = 3
"""Lines of a file's first block that must fail to decode as UTF-8 (and outnumber the lines
of UTF-8 beyond ASCII) before the file is refused as text in another encoding: fewer are stray
bytes, each a dead letter of its own."""


def refuse_unsplittable(path: str) -> None:
    """Raise InputError when the first bytes of a JSON Lines or CSV file (decompressed) show text
    that cannot be split into UTF-8 lines: UTF-16 or UTF-32 (their byte-order marks), lines
    ended by carriage returns alone, or lines mostly in another 8-bit encoding such as Latin-1
    or Windows-1252 or binary data (at least MIN_FOREIGN_LINES of the complete lines are not
    UTF-8 or hold a NUL byte, and more than hold UTF-8 beyond ASCII; a line the block cuts is
    left out). Read, every line of such a file (of an 8-bit one, every line with an accent)
    would be a dead letter. Archives and compressed streams it cannot read are refused first
    (ingest.archives.archive_advice)."""
    if file_format(path) == "parquet":
        return
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        raw = handle.read(16)
        handle.seek(0)
        head = next(_Lines(handle, compression(path), block_bytes=1 << 16)._blocks(), b"")
    if advice := archive_advice(path, raw, head, decompressed=compression(path)):
        raise InputFileError(advice, paths=[path])
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise InputFileError(
            f"{path} is UTF-16 or UTF-32 text (it starts with that byte-order mark); moodcast "
            "reads UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8 IN > OUT",
            paths=[path],
        )
    if head.count(b"\r") > 1 and b"\n" not in head:
        raise InputFileError(
            f"{path} ends its lines with carriage returns alone, so it would read as one line; "
            "convert them to line feeds first, e.g. tr '\\r' '\\n' < IN > OUT",
            paths=[path],
        )
    lines = head.split(b"\n")[:-1]
    foreign, beyond_ascii = _foreign_lines(lines)
    if foreign >= MIN_FOREIGN_LINES and foreign > beyond_ascii and b"\x00" in head:
        raise InputFileError(
            f"{path} holds NUL bytes on {foreign} of its first {len(lines)} lines: it is binary "
            "data (or UTF-16/UTF-32 text without a byte-order mark), not lines of posts. moodcast "
            "reads JSON Lines and CSV in UTF-8 (plain, .gz, .zst, .bz2 or .xz) and Parquet: leave "
            "it out of the inputs (a narrower pattern, e.g. 'DIR/*.jsonl') or convert it",
            paths=[path],
        )
    if foreign >= MIN_FOREIGN_LINES and foreign > beyond_ascii:
        raise InputFileError(
            f"{path} is not UTF-8: {foreign} of its first {len(lines)} lines are not (and "
            f"{beyond_ascii} hold UTF-8 beyond ASCII), so it is likely Latin-1 or Windows-1252 "
            "text, whose every line with an accent would be a dead letter; moodcast reads UTF-8: "
            "convert it first, e.g. iconv -f CP1252 -t UTF-8 IN > OUT (or from its own encoding)",
            paths=[path],
        )


def _foreign_lines(lines: list[bytes]) -> tuple[int, int]:
    """How many of `lines` are not UTF-8 text (or hold a NUL byte, which no text line of posts
    does), and how many are UTF-8 with bytes beyond ASCII."""
    foreign = beyond_ascii = 0
    for line in lines:
        if b"\x00" in line:
            foreign += 1
            continue
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            foreign += 1
        else:
            beyond_ascii += 1
    return foreign, beyond_ascii


def file_sha256(path: str) -> str:
    """SHA-256 of a file's stored bytes, streamed (any filesystem Beam supports)."""
    digest = hashlib.sha256()
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def json_document_advice(path: str) -> str:
    """What to do when a JSON Lines input is one JSON document instead (its first line opens an
    array, or holds only `{`: an array of posts or pretty-printed objects, which read as one
    dead letter per line); empty otherwise. Never raises for a malformed or unreadable file."""
    if file_format(path) != "jsonl":
        return ""
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            first = next(
                (raw.strip() for raw in _Lines(handle, compression(path)) if raw.strip()), b""
            )
    except OSError:
        return ""
    if first.removeprefix(_BOM).startswith(b"[") or first.removeprefix(_BOM) == b"{":
        return (
            f"{path} looks like one JSON document (an array, or pretty-printed objects), not "
            "JSON Lines (one object per line): convert it, e.g. jq -c '.[]' IN > OUT.jsonl for "
            "an array of posts, or jq -c . IN > OUT.jsonl for pretty-printed objects."
        )
    return ""


def peek_fields(path: str, *, limit: int = 40) -> list[str]:
    """The field names of a post file's first record, at most `limit`: a CSV's header, a Parquet
    schema, the keys of the first JSON object. Empty when none can be read; never raises for a
    malformed file (an error message uses this to say what a file holds)."""
    kind = file_format(path)
    try:
        if kind == "parquet":
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                return pq.ParquetFile(handle).schema_arrow.names[:limit]
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            for raw in _Lines(handle, compression(path)):
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
