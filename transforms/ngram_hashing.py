"""Hashed n-gram counts at compiled speed: scikit-learn's HashingVectorizer (`analyzer="word"`,
`token_pattern=r"(?u)\\b\\w+\\b"`, word 1- and 2-grams; `analyzer="char_wb"`, character 2- to
5-grams; `alternate_sign=False`, `norm="l2"`) with the same output, bit for bit.

Python keeps the parts whose Unicode rules must be Python's own (`str.lower`, `str.split`, the
`re` token pattern), each one C call per text; numba does the rest, which scikit-learn does in
Python per n-gram: cutting the n-grams, MurmurHash3 (x86, 32 bits, seed 0) of their UTF-8
bytes, summing duplicate buckets and the L2 normalisation (integer counts, so their sum of
squares is exact in any order). tests/transforms/test_ngram_hashing.py holds it to
scikit-learn on texts built to reach every branch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numba
import numpy as np
from scipy.sparse import csr_matrix

_WHITE_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(r"\w+")
"""scikit-learn's token pattern `(?u)\\b\\w+\\b` finds the maximal runs of `\\w`, as this one
does (both are Unicode in Python 3; a run always ends and starts on a word boundary), at ~3/4
of its cost."""
_BATCH = 8192
_MASK = 0xFFFFFFFF


def hashed_ngrams(
    texts: Sequence[str], *, buckets: int, chars: tuple[int, int] | None = (2, 5)
) -> csr_matrix:
    """CSR matrix (len(texts), 2 * `buckets`): the L2-normalised word 1- and 2-gram counts, then
    the L2-normalised character n-gram counts (within word boundaries; `chars` = the smallest and
    largest n, 2 to 5 by default), by bucket. `chars=None`: word n-grams only, shape
    (len(texts), `buckets`)."""
    parts = [_batch(texts[i : i + _BATCH], buckets, chars) for i in range(0, len(texts), _BATCH)]
    indptr = [np.zeros(1, dtype=np.int64)]
    offset = 0
    for part_indptr, part_indices, _ in parts:
        indptr.append(part_indptr[1:] + offset)
        offset += len(part_indices)
    return csr_matrix(
        (
            np.concatenate([np.zeros(0), *(data for _, _, data in parts)]),
            np.concatenate([np.zeros(0, dtype=np.int32), *(ix for _, ix, _ in parts)]),
            np.concatenate(indptr),
        ),
        shape=(len(texts), (2 if chars else 1) * buckets),
    )


def _batch(
    texts: Sequence[str], buckets: int, chars: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lowered = [text.lower() for text in texts]
    words = "\n".join(" ".join(_TOKEN.findall(text)) for text in lowered).encode("utf-8")
    padded = (
        "\n".join(_padded(_WHITE_SPACES.sub(" ", text).split()) for text in lowered)
        if chars
        else "\n" * (len(texts) - 1)
    )
    smallest, largest = chars or (0, -1)
    return _count(
        np.frombuffer(words, dtype=np.uint8),
        np.frombuffer(padded.encode("utf-8"), dtype=np.uint8),
        len(texts),
        buckets,
        smallest,
        largest,
    )


def _padded(words: list[str]) -> str:
    """Each word with a space either side, as char_wb pads it: ` a  b `."""
    return f" {'  '.join(words)} " if words else ""


@numba.njit(cache=True)
def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & _MASK


@numba.njit(cache=True)
def _murmur3(buf, start, end):
    """MurmurHash3_x86_32 of `buf[start:end]` with seed 0, as a signed 32-bit value."""
    h = 0
    n = end - start
    p = start
    for _ in range(n // 4):
        k = (
            np.int64(buf[p])
            | (np.int64(buf[p + 1]) << 8)
            | (np.int64(buf[p + 2]) << 16)
            | (np.int64(buf[p + 3]) << 24)
        )
        k = _rotl((k * 0xCC9E2D51) & _MASK, 15)
        h ^= (k * 0x1B873593) & _MASK
        h = (_rotl(h, 13) * 5 + 0xE6546B64) & _MASK
        p += 4
    rest = n & 3
    if rest:
        k = 0
        if rest == 3:
            k ^= np.int64(buf[p + 2]) << 16
        if rest >= 2:
            k ^= np.int64(buf[p + 1]) << 8
        k ^= np.int64(buf[p])
        h ^= (_rotl((k * 0xCC9E2D51) & _MASK, 15) * 0x1B873593) & _MASK
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h >= (1 << 31) else h


@numba.njit(cache=True)
def _bucket(buf, start, end, buckets):
    """The bucket of one feature, as sklearn.feature_extraction.FeatureHasher picks it (a
    mask instead of a division when `buckets` is a power of two)."""
    h = abs(_murmur3(buf, start, end))
    if buckets & (buckets - 1) == 0:
        return h & (buckets - 1)
    return h % buckets


@numba.njit(cache=True)
def _segments(buf, n_texts):
    """Start and end byte of each of `n_texts` newline-separated texts in `buf`."""
    bounds = np.empty(n_texts + 1, dtype=np.int64)
    bounds[0] = 0
    t = 1
    for i in range(len(buf)):
        if buf[i] == 10:
            bounds[t] = i + 1
            t += 1
    ends = np.empty(n_texts, dtype=np.int64)
    for i in range(n_texts - 1):
        ends[i] = bounds[i + 1] - 1
    ends[n_texts - 1] = len(buf)
    return bounds[:n_texts], ends


@numba.njit(cache=True)
def _word_buckets(buf, start, end, buckets, out):
    """Buckets of the tokens (single spaces between them) in `buf[start:end]`, then of each
    pair of neighbours (`a b`); written to `out`, their number returned."""
    n = 0
    prev = -1
    i = start
    while i < end:
        j = i
        while j < end and buf[j] != 32:
            j += 1
        out[n] = _bucket(buf, i, j, buckets)
        n += 1
        if prev >= 0:
            out[n] = _bucket(buf, prev, j, buckets)
            n += 1
        prev = i
        i = j + 1
    return n


@numba.njit(cache=True)
def _char_buckets(buf, start, end, buckets, out, cuts, smallest, largest):
    """Buckets of the `smallest`- to `largest`-grams of each padded word (` word `, two spaces between words) in
    `buf[start:end]`, cut by code point as char_wb cuts them; written to `out` (`cuts` is
    scratch for code point offsets), their number returned."""
    n = 0
    i = start
    while i < end:
        j = i + 1
        while buf[j] != 32:
            j += 1
        length = 0
        for b in range(i, j + 1):
            if buf[b] & 0xC0 != 0x80:
                cuts[length] = b
                length += 1
        cuts[length] = j + 1
        for size in range(smallest, largest + 1):
            if length <= size:
                out[n] = _bucket(buf, i, j + 1, buckets)
                n += 1
                break
            for first in range(length - size + 1):
                out[n] = _bucket(buf, cuts[first], cuts[first + size], buckets)
                n += 1
        i = j + 1
    return n


@numba.njit(cache=True)
def _row(found, n, offset, seen, counts, indices, data, at):
    """Sum repeats of `found[:n]` (through `seen`, a per-bucket mark, and `counts`), write the
    distinct buckets in order (+ `offset`) with their counts to `indices`/`data` from `at`,
    L2-normalise them; the next free position is returned."""
    first = at
    for k in range(n):
        bucket = found[k]
        if seen[bucket] != 1:
            seen[bucket] = 1
            counts[bucket] = 0
            indices[at] = bucket
            at += 1
        counts[bucket] += 1
    indices[first:at].sort()
    total = 0.0
    for x in range(first, at):
        bucket = indices[x]
        seen[bucket] = 0
        data[x] = counts[bucket]
        total += data[x] * data[x]
        indices[x] = bucket + offset
    if total != 0.0:
        norm = np.sqrt(total)
        for x in range(first, at):
            data[x] /= norm
    return at


@numba.njit(cache=True)
def _count(words, chars, n_texts, buckets, smallest, largest):
    """CSR parts (indptr, indices, data) of the newline-separated texts of `words` (tokens)
    and `chars` (padded words; none counted when `largest` < `smallest`)."""
    word_starts, word_ends = _segments(words, n_texts)
    char_starts, char_ends = _segments(chars, n_texts)
    sizes = max(largest - smallest + 1, 0)
    capacity = 2 * len(words) + sizes * len(chars) + 2
    indices = np.empty(capacity, dtype=np.int32)
    data = np.empty(capacity, dtype=np.float64)
    indptr = np.zeros(n_texts + 1, dtype=np.int64)
    longest = 1
    for t in range(n_texts):
        longest = max(longest, word_ends[t] - word_starts[t], char_ends[t] - char_starts[t])
    found = np.empty(max(sizes, 2) * longest + 2, dtype=np.int64)
    cuts = np.empty(longest + 2, dtype=np.int64)
    seen = np.zeros(buckets, dtype=np.uint8)
    counts = np.zeros(buckets, dtype=np.int64)
    at = 0
    for t in range(n_texts):
        n = _word_buckets(words, word_starts[t], word_ends[t], buckets, found)
        at = _row(found, n, 0, seen, counts, indices, data, at)
        if largest >= smallest:
            n = _char_buckets(
                chars, char_starts[t], char_ends[t], buckets, found, cuts, smallest, largest
            )
            at = _row(found, n, buckets, seen, counts, indices, data, at)
        indptr[t + 1] = at
    return indptr, indices[:at].copy(), data[:at].copy()
