"""Lines held in one buffer as a file is read (LineBuffer), apart from the compiled check of
transforms.json_lines, so that reading a file imports no numba."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineBuffer(Sequence[bytes]):
    """Lines held in one buffer, as read: line `i` is `data[starts[i]:ends[i]]` (int64 arrays),
    without its line feed; lines follow each other in `data`, with only line feeds, and the
    carriage returns before them, in between."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, lines: Sequence[bytes]) -> LineBuffer:
        """`lines` (without their line feeds) joined into one buffer."""
        lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        ends = np.cumsum(lengths + 1) - 1
        return cls(b"\n".join(lines), ends - lengths, ends)

    @classmethod
    def at(cls, data: bytes, feeds: np.ndarray) -> LineBuffer:
        """The complete lines of `data`, whose line feeds are at `feeds` (line_feeds; a carriage
        return before one is not part of the line)."""
        starts = np.zeros_like(feeds)
        starts[1:] = feeds[:-1] + 1
        return cls(data, starts, _without_return(data, starts, feeds))

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return LineBuffer(self.data, self.starts[i], self.ends[i])
        return self.data[self.starts[i] : self.ends[i]]

    def json_lines(self, kept: np.ndarray) -> bytes:
        """JSON Lines text of the lines where Boolean `kept` is set, in order: the buffer with
        every other line blanked (spaces, which polars.read_ndjson skips as an empty line)."""
        first, last = int(self.starts[0]), int(self.ends[-1])
        if kept.all():
            return self.data[first:last]
        text = bytearray(self.data[first:last])
        for i in np.flatnonzero(~kept).tolist():
            start, end = int(self.starts[i]) - first, int(self.ends[i]) - first
            text[start:end] = b" " * (end - start)
        return bytes(text)


def line_feeds(data: bytes) -> np.ndarray:
    """The positions of the line feeds in `data` (int64)."""
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)


def _without_return(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """`ends`, one less where the line (`starts[i]:ends[i]` of `data`) ends with `\\r`."""
    if b"\r" not in data:
        return ends
    last = np.maximum(ends - 1, 0)
    return ends - ((np.frombuffer(data, dtype=np.uint8)[last] == 13) & (ends > starts))
