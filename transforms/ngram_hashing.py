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

from collections.abc import Sequence

import numba
import numpy as np
from scipy.sparse import csr_matrix

from transforms.buffers import code_points_where, decode, inlined, kernel, put_utf8
from transforms.kernel_cache import use_kernel_cache
from transforms.ngram import TOKEN, WHITE_SPACES, murmur_block, murmur_finish

use_kernel_cache()

BATCH_TEXTS = 8192
"""Texts featurised in one compiled pass; `hashed_ngrams` joins the passes into one matrix."""


def hashed_ngrams(
    texts: Sequence[str], *, buckets: int, chars: tuple[int, int] | None = (2, 5)
) -> csr_matrix:
    """CSR matrix (len(texts), 2 * `buckets`): the L2-normalised word 1- and 2-gram counts, then
    the L2-normalised character n-gram counts (within word boundaries; `chars` = the smallest and
    largest n, 2 to 5 by default), by bucket. `chars=None`: word n-grams only, shape
    (len(texts), `buckets`)."""
    batches = range(0, len(texts), BATCH_TEXTS)
    parts = [_batch(texts[i : i + BATCH_TEXTS], buckets, chars) for i in batches]
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
    words = "\n".join(" ".join(TOKEN.findall(text)) for text in lowered).encode("utf-8")
    padded = (
        "\n".join(_padded(WHITE_SPACES.sub(" ", text).split()) for text in lowered)
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


_block = inlined(murmur_block)
_finished = inlined(murmur_finish)


@kernel
def _murmur3(buf, start, end):
    """MurmurHash3_x86_32 of `buf[start:end]` with seed 0, as a signed 32-bit value."""
    h, p = _blocks(buf, start, end, 0)
    return _finish(buf, p, end, h, end - start)


@kernel
def _blocks(buf, p, end, h):
    """MurmurHash3's state after mixing the whole 4-byte blocks of `buf[p:end]` into state
    `h`, and the byte where they stop: a key's blocks mixed so far can be carried on into a
    longer key with the same start (a word bigram after its first word)."""
    while end - p >= 4:
        k = (
            np.int64(buf[p])
            | (np.int64(buf[p + 1]) << 8)
            | (np.int64(buf[p + 2]) << 16)
            | (np.int64(buf[p + 3]) << 24)
        )
        h = _block(h, k)
        p += 4
    return h, p


@kernel
def _finish(buf, p, end, h, n):
    """MurmurHash3 of a key of `n` bytes from its state `h` after its whole blocks, which
    stop at `p` (the last 0 to 3 bytes are `buf[p:end]`), as a signed 32-bit value."""
    tail = np.int64(0)
    for b in range(end - 1, p - 1, -1):
        tail = (tail << 8) | np.int64(buf[b])
    return _finished(h, tail, n)


@kernel
def _bucket(buf, start, end, buckets):
    """The bucket of one feature, as sklearn.feature_extraction.FeatureHasher picks it."""
    return _bucket_of(_murmur3(buf, start, end), buckets)


@kernel
def _bucket_of(h, buckets):
    """The bucket of a feature of signed hash `h` (a mask instead of a division when `buckets`
    is a power of two)."""
    h = abs(h)
    if buckets & (buckets - 1) == 0:
        return h & (buckets - 1)
    return h % buckets


@numba.njit(cache=True, nogil=True)
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


@kernel
def _word_buckets(buf, start, end, buckets, out):
    """Buckets of the tokens (single spaces between them) in `buf[start:end]`, then of each
    pair of neighbours (`a b`, hashed on from the blocks of `a`); written to `out`, their
    number returned."""
    n = 0
    prev = -1
    prev_h = prev_p = 0
    i = start
    while i < end:
        j = i
        while j < end and buf[j] != 32:
            j += 1
        h, p = _blocks(buf, i, j, 0)
        out[n] = _bucket_of(_finish(buf, p, j, h, j - i), buckets)
        n += 1
        if prev >= 0:
            pair_h, pair_p = _blocks(buf, prev_p, j, prev_h)
            out[n] = _bucket_of(_finish(buf, pair_p, j, pair_h, j - prev), buckets)
            n += 1
        prev, prev_h, prev_p = i, h, p
        i = j + 1
    return n


@kernel
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


@numba.njit(cache=True, nogil=True)
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


@numba.njit(cache=True, nogil=True)
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


UNKNOWN = -1
"""A code point's entry in a CodePoints table before it is learned."""
AS_A_WHOLE = -2
"""The entry of a code point that Python lower-cases by its context (Σ) or to several code
points (İ): a text holding one is lower-cased by Python as a whole (hashed_logits)."""
_WORD, _SPACE = 1, 2


class CodePoints:
    """What hashed_logits needs of each code point, learned as texts bring it: `lower[c]`, the
    code point `str.lower` makes of `c` (UNKNOWN, or AS_A_WHOLE with `lowercase`; `c` itself
    without it, for texts Python lower-cased already), and `flags[c]`: whether that lower-cased
    code point is `\\w` (a `re` word character) and whether it is white space (`str.split`)."""

    def __init__(self, *, lowercase: bool) -> None:
        self.lowercase = lowercase
        self.lower = np.full(0x110000, UNKNOWN, dtype=np.int32)
        self.flags = np.zeros(0x110000, dtype=np.uint8)
        self.learn(np.arange(128))

    def learn(self, code_points: np.ndarray) -> None:
        """Fill in the entries of `code_points`, from Python's own `str` rules (`flags` before
        `lower`, which says an entry is known)."""
        for c in code_points.tolist():
            char = chr(c)
            lowered = char.lower() if self.lowercase else char
            if len(lowered) != 1 or (self.lowercase and c == 0x3A3):
                self.lower[c] = AS_A_WHOLE
                continue
            self.flags[c] = (
                _WORD * (lowered.isalnum() or lowered == "_") + _SPACE * lowered.isspace()
            )
            self.lower[c] = ord(lowered)


def hashed_logits(
    data: np.ndarray, offsets: np.ndarray, tables: tuple[CodePoints, CodePoints], *,
    buckets: int, chars: tuple[int, int] | None, kept: np.ndarray, coef: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Each head's sum of weights times hashed_ngrams' features, per text, without building
    them: the UTF-8 texts `data[offsets[i]:offsets[i + 1]]` (an Arrow string array's buffers)
    lower-cased, cut, hashed and multiplied in one compiled pass. `kept` holds the features
    (columns) any head weighs, ascending, and row `i` of `coef` (features × heads) the heads'
    weights on feature `kept[i]` (0 for a head without one). The sums are taken in hashed_ngrams' column order, so they equal its matrix times
    the weights (scipy's product) bit for bit. `tables` are a lower-casing CodePoints and one
    that is not, both filled in as the texts need it. Returns (heads, texts) float64."""
    n = len(offsets) - 1
    out = np.zeros((coef.shape[1], n), dtype=np.float64)
    smallest, largest = chars or (0, -1)
    width = (2 if chars else 1) * buckets
    slots = np.full(width, -1, dtype=np.int32)
    slots[kept] = np.arange(len(kept))
    mask = np.packbits(slots >= 0, bitorder="little")
    pending, table = np.arange(n, dtype=np.int64), tables[0]
    while pending.size:
        status = _logits(data, offsets, pending, table.lower, table.flags, buckets, smallest,
                         largest, mask, slots, coef, out)  # fmt: skip
        if (status == UNKNOWN).any():
            table.learn(
                code_points_where(data, offsets, pending[status == UNKNOWN], table.lower, UNKNOWN)
            )
            pending = pending[status != 0]
            continue
        whole = pending[status == AS_A_WHOLE]
        if whole.size == 0:
            break
        lowered = [bytes(data[offsets[i] : offsets[i + 1]]).decode().lower() for i in whole]
        encoded = [text.encode() for text in lowered]
        sub_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        sub_offsets[1:] = np.cumsum([len(b) for b in encoded])
        sub = hashed_logits(
            np.frombuffer(b"".join(encoded), dtype=np.uint8), sub_offsets, (tables[1], tables[1]),
            buckets=buckets, chars=chars, kept=kept, coef=coef,
        )  # fmt: skip
        out[:, whole] = sub
        break
    return out


_encode = kernel(put_utf8)
_decode = kernel(decode.py_func)


@kernel
def _split(data, start, end, lower, flags, words, padded, pad):
    """Lower-case `data[start:end]` into `words` (its `\\w` runs, one space between them) and,
    with `pad`, `padded` (its white-space separated words, each as ` word `, as char_wb pads
    them).
    Returns the two lengths, or (a code point's `lower` entry, 0) where one is not usable."""
    nw = 0
    np_ = 0
    in_word = False
    in_split = False
    p = start
    while p < end:
        c, p = _decode(data, p)
        low = lower[c]
        if low < 0:
            return np.int64(low), np.int64(0)
        f = flags[c]
        if f & _WORD:
            if not in_word and nw > 0:
                words[nw] = 32
                nw += 1
            nw = _encode(words, nw, low)
            in_word = True
        else:
            in_word = False
        if not pad:
            continue
        if f & _SPACE:
            if in_split:
                padded[np_] = 32
                np_ += 1
            in_split = False
        else:
            if not in_split:
                padded[np_] = 32
                np_ += 1
            np_ = _encode(padded, np_, low)
            in_split = True
    if in_split:
        padded[np_] = 32
        np_ += 1
    return nw, np_


@kernel
def _add(found, n, offset, mask, slots, coef, table, stamp, hits, acc):
    """Add one L2-normalised block of counts (the buckets `found[:n]`, + `offset` as columns)
    times its weights to `acc` (per head), column by column in ascending order. The buckets
    are counted in a small open-addressing `table` (rows: bucket, count, stamp; a slot whose
    stamp is not this block's `stamp` is free, so nothing is cleared after use); only the
    weighed ones (set in the bit `mask`, their `coef` row in `slots`) are kept, in ascending
    order, in `hits` (rows: bucket, slot)."""
    size = 16
    while size < 2 * n:
        size *= 2
    total = 0
    k = 0
    for i in range(n):
        bucket = found[i]
        at = bucket & (size - 1)
        while table[2, at] == stamp and table[0, at] != bucket:
            at = (at + 1) & (size - 1)
        if table[2, at] != stamp:
            table[0, at] = bucket
            table[1, at] = 1
            table[2, at] = stamp
            total += 1
            column = bucket + offset
            if mask[column >> 3] & (1 << (column & 7)):
                x = k
                while x > 0 and hits[0, x - 1] > bucket:
                    hits[0, x] = hits[0, x - 1]
                    hits[1, x] = hits[1, x - 1]
                    x -= 1
                hits[0, x] = bucket
                hits[1, x] = at
                k += 1
        else:
            total += 2 * table[1, at] + 1
            table[1, at] += 1
    norm = np.sqrt(np.float64(total))
    for i in range(k):
        row = slots[hits[0, i] + offset]
        value = table[1, hits[1, i]] / norm
        for h in range(acc.shape[0]):
            acc[h] += value * coef[row, h]


@numba.njit(cache=True, nogil=True)
def _logits(data, offsets, rows, lower, flags, buckets, smallest, largest, mask, slots, coef, out):
    """Fill `out[:, t]` for the texts `rows` (see hashed_logits); each row's status is 0, or
    the `lower` entry that stopped it (UNKNOWN or AS_A_WHOLE)."""
    longest = 1
    for t in rows:
        longest = max(longest, offsets[t + 1] - offsets[t])
    words = np.empty(2 * longest + 4, dtype=np.uint8)
    padded = np.empty(4 * longest + 4, dtype=np.uint8)
    sizes = max(largest - smallest + 1, 2)
    found = np.empty(sizes * len(padded) + 2 * len(words), dtype=np.int64)
    cuts = np.empty(len(padded) + 2, dtype=np.int64)
    table = np.zeros((3, 4 * len(found) + 16), dtype=np.int64)
    hits = np.empty((2, len(found)), dtype=np.int64)
    acc = np.zeros(coef.shape[1], dtype=np.float64)
    status = np.zeros(len(rows), dtype=np.int64)
    for r in range(len(rows)):
        t = rows[r]
        nw, np_ = _split(
            data, offsets[t], offsets[t + 1], lower, flags, words, padded, largest >= smallest
        )
        if nw < 0:
            status[r] = nw
            continue
        acc[:] = 0.0
        n = _word_buckets(words, 0, nw, buckets, found)
        _add(found, n, 0, mask, slots, coef, table, 2 * r + 1, hits, acc)
        if largest >= smallest:
            n = _char_buckets(padded, 0, np_, buckets, found, cuts, smallest, largest)
            _add(found, n, buckets, mask, slots, coef, table, 2 * r + 2, hits, acc)
        out[:, t] = acc
    return status
