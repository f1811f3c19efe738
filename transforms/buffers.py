"""Arrow buffers of a polars string column, and what compiled loops over its UTF-8 bytes share."""

from __future__ import annotations

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from transforms.kernel_cache import use_kernel_cache

use_kernel_cache()

kernel = numba.njit(cache=True, _nrt=False, nogil=True)
"""Compiles a function of a scanner's inner loop that allocates nothing (per post, per line,
per n-gram) without numba's reference counting: each call then skips an atomic increment and
decrement of every array argument (~0.2-0.3 µs a post or line where dozens of such calls are
made). It holds no Python object, so it releases the GIL while it runs (`nogil`), as every
kernel of `transforms` does: threads of one worker process run them side by side."""

inlined = numba.njit(cache=True, _nrt=False, nogil=True, inline="always")
"""A `kernel` that numba compiles into each kernel calling it instead of calling it: for a
named step of an inner loop that LLVM would not inline by itself. The steps of
transforms.markers.words.split_words made `tag` 2.1× slower as plain kernels, and as fast as
before inlined (benchmarks/lexicon.py --words-before)."""


def utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """`(data, offsets)` of `texts`: text `i` is the UTF-8 bytes `data[offsets[i]:offsets[i + 1]]`
    (uint8 and int64 arrays, no copy where polars already holds one large-string chunk; a null
    is an empty text)."""
    array = texts.rechunk().to_arrow()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data, offsets


@numba.njit(cache=True, nogil=True)
def decode(data, p):
    """The code point starting at byte `p` of valid UTF-8 `data`, and the byte after it."""
    b = data[p]
    if b < 0x80:
        return np.int64(b), p + 1
    if b < 0xE0:
        return (np.int64(b & 0x1F) << 6) | (data[p + 1] & 0x3F), p + 2
    if b < 0xF0:
        return (
            (np.int64(b & 0x0F) << 12) | (np.int64(data[p + 1] & 0x3F) << 6) | (data[p + 2] & 0x3F)
        ), p + 3
    return (
        (np.int64(b & 0x07) << 18)
        | (np.int64(data[p + 1] & 0x3F) << 12)
        | (np.int64(data[p + 2] & 0x3F) << 6)
        | (data[p + 3] & 0x3F)
    ), p + 4


@numba.njit(cache=True, nogil=True)
def code_points_where(data, offsets, rows, table, value):
    """The distinct code points of texts `rows` (see utf8_buffers) whose `table` entry is
    `value`, in order of first appearance."""
    mark = np.zeros(0x110000, dtype=np.uint8)
    found = []
    for t in rows:
        p = offsets[t]
        while p < offsets[t + 1]:
            c, p = decode(data, p)
            if table[c] == value and mark[c] == 0:
                mark[c] = 1
                found.append(c)
    return np.array(found, dtype=np.int64)


def put_utf8(buf, at, cp):
    """Write code point `cp` as UTF-8 into `buf` from `at`; the next free position is returned.
    Plain Python, compiled by each kernel that calls it (numba.njit of this function)."""
    if cp < 0x80:
        buf[at] = cp
        return at + 1
    if cp < 0x800:
        buf[at] = 0xC0 | (cp >> 6)
        buf[at + 1] = 0x80 | (cp & 0x3F)
        return at + 2
    if cp < 0x10000:
        buf[at] = 0xE0 | (cp >> 12)
        buf[at + 1] = 0x80 | ((cp >> 6) & 0x3F)
        buf[at + 2] = 0x80 | (cp & 0x3F)
        return at + 3
    buf[at] = 0xF0 | (cp >> 18)
    buf[at + 1] = 0x80 | ((cp >> 12) & 0x3F)
    buf[at + 2] = 0x80 | ((cp >> 6) & 0x3F)
    buf[at + 3] = 0x80 | (cp & 0x3F)
    return at + 4
