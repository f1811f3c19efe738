"""Cutting a post file's bytes into lines: its format and compression from its name, and its
lines (decompressed frame by frame) from an open binary handle. Touches no filesystem and no
Beam: the callers open the files (ingest.files reads them, ingest.file_checks checks them).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Iterator

import numpy as np
import zstandard

from transforms.line_buffer import LineBuffer, line_feeds

COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz")
"""The name endings of the compressions `compression` reads."""


def split_compression(name: str) -> tuple[str, str]:
    """`name` as what comes before its compression suffix (COMPRESSION_SUFFIXES, any case) and
    that suffix, "" where it has none: `posts.JSONL.gz` → (`posts.JSONL`, `.gz`)."""
    suffix = next((s for s in COMPRESSION_SUFFIXES if name.lower().endswith(s)), "")
    return name[: len(name) - len(suffix)], name[len(name) - len(suffix) :]


def file_format(path: str) -> str:
    """`jsonl`, `csv` or `parquet`, from the file name (compression suffixes ignored)."""
    name = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return "jsonl"


_DECOMPRESSORS = {
    "gzip": lambda: zlib.decompressobj(wbits=31),
    "zstd": lambda: zstandard.ZstdDecompressor().decompressobj(),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}

STREAM_ERRORS = (EOFError, OSError, ValueError, lzma.LZMAError, zlib.error, zstandard.ZstdError)
"""What the _DECOMPRESSORS raise for bytes that are no stream of their kind (xz's LZMAError is
no OSError, as gzip's and bz2's are)."""


def compression(path: str) -> str | None:
    """`gzip`, `zstd`, `bz2`, `xz` or None (plain), from the file name."""
    name = path.lower()
    for suffix, kind in ((".gz", "gzip"), (".zst", "zstd"), (".zstd", "zstd"), (".bz2", "bz2")):
        if name.endswith(suffix):
            return kind
    return "xz" if name.endswith(".xz") else None


BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark, dropped from the start of a file's first line."""
_NO_FEEDS = np.zeros(0, dtype=np.int64)


class FileLines:
    """The lines (each with its `\\n`, the last maybe without) of a binary handle, decompressed
    when `kind` names a compression. Concatenated members/frames are read in turn; a stream
    that stops inside one, or is corrupt, ends the lines and sets `problem`. `number` counts
    the lines split off so far; `rest` holds the bytes of a partial line lost with the damage."""

    def __init__(self, handle, kind: str | None, block_bytes: int = 1 << 22) -> None:
        self._handle, self._kind, self._block = handle, kind, block_bytes
        self.problem: str | None = None
        self.number = 0
        self.rest = b""

    def blocks(self) -> Iterator[bytes]:
        """The handle's bytes in blocks of up to `block_bytes` (decompressed: as each frame
        gives them), not cut at line ends; damage ends them and sets `problem`."""
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
            except STREAM_ERRORS as exc:
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
        for block in self.blocks():
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
            rest = rest.removeprefix(BOM) if self.number == 0 and not len(lines) else rest
            lines = LineBuffer.of([*lines, rest.removesuffix(b"\r")])
        self.number += len(lines)
        if len(lines):
            yield lines

    def _first_line(self, lines: LineBuffer) -> LineBuffer:
        """`lines`, the first without a byte-order mark when it is the file's first line."""
        if self.number == 0 and len(lines) and lines[0].startswith(BOM):
            starts = lines.starts.copy()
            starts[0] += len(BOM)
            return LineBuffer(lines.data, starts, lines.ends)
        return lines

    def line_lists(self) -> Iterator[tuple[list[bytes], bool]]:
        """The lines without their `\\n`, a block's worth at a time, each list with whether its
        lines ended with one (all but a last line that has none)."""
        rest = b""
        for block in self.blocks():
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            self.number += len(lines)
            yield lines, True
        if self.problem:
            self.rest = rest
        elif rest:
            self.number += 1
            yield [rest], False
