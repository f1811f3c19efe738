"""The word splitter of the compiled lexicon scanner (numba): splits a post's UTF-8 bytes
into words as `transforms.markers.rules.canonical` would (lower-casing and folding per code
point through a `CharTable`, apostrophes dropped, elongations cut, symbols as words of their
own) without writing the canonical text, and walks each word through the lexicon's byte trie as
it grows. `transforms.markers.engine` matches patterns and applies the rules over its words.

A word is described by the columns of one integer array (rows START to HITS), one flag byte
(WORD to SENTENCE_END) and one cue byte; see `split_words`.
"""

from __future__ import annotations

import numpy as np

from transforms.buffers import kernel, put_utf8
from transforms.markers.tables import DROP, LETTER, MAPPED, NUMBER, SPACE, SYMBOL, UNKNOWN
from transforms.text import APOSTROPHES

_APOSTROPHES = tuple(ord(c) for c in APOSTROPHES)

WORD, WORDISH, LETTERS, SENTENCE_END = 1, 2, 4, 8
"""Word flags: starts with a letter or number; only letters, numbers and `_`; only letters;
ends with `.`, `!`, `?`, `¡` or `¿`."""

START, LEN, CHARS, AT, CHAR_AT, WORD_ID, HITS = range(7)
"""Rows of the per-word integers: byte start in the word buffer, bytes, characters, byte and
character offsets in canonical text, word id (-1: not a lexicon word), first prefix hit."""

_put = kernel(put_utf8)


@kernel
def split_words(
    data, lo, hi, info, out_off, out_cp, out_kind, ascii_entry,
    byte_class, trans, buf, w_int, w_flags, w_cue, hits, spaced,
):  # fmt: skip
    """Split `data[lo:hi]` into canonical words with the CharTable's arrays and walk each
    through the lexicon's byte trie as it grows: word `k`'s bytes are
    `buf[w_int[START, k]:][:w_int[LEN, k]]`, and `w_int[:, k]`, `w_flags[k]`, `w_cue[k]`
    say the rest; its prefix hits are `hits[:, w_int[HITS, k]:w_int[HITS, k + 1]]` (prefix
    id, length in bytes). Returns the number of words and of those starting with a letter or
    number, or (-1, 0) at a code point the table has not computed; third, with `spaced`,
    whether an apostrophe of the text has a space beside it (`_beside_space`).

    A symbol is a word of its own: it opens one that the next character closes (`alone`).
    After the text, one more space closes the last word."""
    n = 0
    n_words = 0
    n_hits = 0
    beside = False
    pos = 0
    p = lo
    q = 0
    q_end = 0
    done = False
    open_word = False
    alone = False
    start = 0
    length = 0
    flags = 0
    last = 0
    run_cp = -1
    run = 0
    node = 0
    run_node = 0
    at = 1
    char_at = 1
    while True:
        if open_word and not alone and q >= q_end:
            while p < hi:
                b = data[p] | 0x20
                if b < 0x61 or b > 0x7A or b == run_cp:
                    if data[p] != 0x20 or p + 1 == hi or not 0x61 <= data[p + 1] | 0x20 <= 0x7A:
                        break
                    n, n_words, at, char_at = _close_word(
                        n, n_words, start, pos, length, at, char_at, flags, last, node,
                        trans, w_int, w_flags, w_cue,
                    )  # fmt: skip
                    w_int[HITS, n] = n_hits
                    start = pos
                    length = 0
                    flags = WORD | WORDISH | LETTERS
                    node = 0
                    p += 1
                    b = data[p] | 0x20
                run_cp = b
                run = 1
                buf[pos] = b
                node, n_hits = _step(trans, byte_class, node, b, hits, n_hits, pos - start + 1)
                pos += 1
                length += 1
                last = b
                p += 1
        s = -1
        if q < q_end:
            cp = out_cp[q]
            kind = out_kind[q]
            q += 1
        elif p < hi:
            s = p
            b = data[p]
            if b < 0x80:
                entry = ascii_entry[b]
                cp = entry >> 3
                kind = entry & 7
                p += 1
            else:
                if b < 0xE0:
                    cp = np.int32(((b & 0x1F) << 6) | (data[p + 1] & 0x3F))
                    p += 2
                elif b < 0xF0:
                    cp = np.int32(
                        ((b & 0x0F) << 12) | ((data[p + 1] & 0x3F) << 6) | (data[p + 2] & 0x3F)
                    )
                    p += 3
                else:
                    cp = np.int32(
                        ((b & 0x07) << 18)
                        | ((data[p + 1] & 0x3F) << 12)
                        | ((data[p + 2] & 0x3F) << 6)
                        | (data[p + 3] & 0x3F)
                    )
                    p += 4
                entry = info[cp]
                kind = entry & 7
                if kind == MAPPED:
                    index = entry >> 3
                    q = out_off[index]
                    q_end = out_off[index + 1]
                    continue
                if kind == UNKNOWN:
                    return -1, 0, beside
        elif done:
            break
        else:
            done = True
            cp = np.int32(0x20)
            kind = SPACE
        if kind == DROP:
            if spaced and not beside and s >= 0:
                beside = _beside_space(data, lo, hi, s, p, cp)
            continue
        if open_word and (alone or kind in (SPACE, SYMBOL)):
            n, n_words, at, char_at = _close_word(
                n, n_words, start, pos, length, at, char_at, flags, last, node,
                trans, w_int, w_flags, w_cue,
            )  # fmt: skip
            open_word = False
        if kind == SPACE:
            continue
        if not open_word:
            open_word = True
            alone = kind == SYMBOL
            w_int[HITS, n] = n_hits
            start = pos
            length = 0
            flags = WORD | WORDISH | LETTERS if kind <= NUMBER else WORDISH | LETTERS
            run_cp = -1
            run = 0
            node = 0
        if cp == run_cp:
            run += 1
            if run == 2:
                run_node = node
            else:
                if run == 3:
                    pos -= 1 if cp < 0x80 else 2
                    length -= 1
                    node = run_node
                    while n_hits > w_int[HITS, n] and hits[1, n_hits - 1] > pos - start:
                        n_hits -= 1
                continue
        else:
            run_cp = cp if (0x61 <= cp <= 0x7A or cp == 0xF1) else -1
            run = 1
        if cp < 0x80:
            buf[pos] = cp
            node, n_hits = _step(trans, byte_class, node, cp, hits, n_hits, pos - start + 1)
            pos += 1
        else:
            end = _put(buf, pos, cp)
            for j in range(pos, end):
                node, n_hits = _step(trans, byte_class, node, buf[j], hits, n_hits, j - start + 1)
            pos = end
        length += 1
        if kind != LETTER:
            flags &= WORD | (WORDISH if kind == NUMBER or cp == 0x5F else 0)
        last = cp
    w_int[HITS, n] = n_hits
    w_int[CHAR_AT, n] = char_at
    return n, n_words, beside


@kernel
def _beside_space(data, lo, hi, s, e, cp):
    """Whether code point `cp`, the bytes `data[s:e]` of the text `data[lo:hi]`, is one of
    APOSTROPHES with a space after it, before it, or before an `n` or `N` before it: where
    `transforms.text.SPACED_APOSTROPHE` matches."""
    if cp not in _APOSTROPHES:
        return False
    if e < hi and data[e] == 0x20:
        return True
    if s > lo and data[s - 1] == 0x20:
        return True
    return s - 2 >= lo and data[s - 1] | 0x20 == 0x6E and data[s - 2] == 0x20


@kernel
def _step(trans, byte_class, node, byte, hits, n_hits, length):
    """Walk the byte trie from `node` by `byte`, the `length`-th byte of its word; a prefix
    ending there is recorded as hit `n_hits`. Returns the new node and number of hits."""
    node = trans[node + byte_class[byte]]
    if node < 0:
        node = -node
        hits[0, n_hits] = trans[node]
        hits[1, n_hits] = length
        n_hits += 1
    return node, n_hits


@kernel
def _close_word(
    n, n_words, start, pos, length, at, char_at, flags, last, node, trans, w_int, w_flags, w_cue,
):  # fmt: skip
    """Record word `n` (bytes `buf[start:pos]`, `length` characters, at byte `at` and
    character `char_at` of canonical text, ending at trie node `node`); returns the number of
    words and of those starting with a letter or number, and the byte and character offsets of
    the next word."""
    w_int[START, n] = start
    w_int[LEN, n] = pos - start
    w_int[CHARS, n] = length
    w_int[AT, n] = at
    w_int[CHAR_AT, n] = char_at
    ends = last == 0x2E or last == 0x21 or last == 0x3F or last == 0xA1 or last == 0xBF
    w_flags[n] = flags | (SENTENCE_END if ends else 0)
    w_int[WORD_ID, n] = trans[node + 1]
    w_cue[n] = trans[node + 2]
    return n + 1, n_words + (flags & WORD), at + pos - start + 1, char_at + length + 1
