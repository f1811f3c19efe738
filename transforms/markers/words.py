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

from transforms.buffers import decode, inlined, kernel, put_utf8
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

    Each turn takes the next canonical character: from the expansion of a MAPPED code point
    (`out_cp[q:q_end]`), else from the text (`_read`), else one closing space. A space or
    symbol closes the open word; a symbol is a word of its own: it opens one that the next
    character closes (`alone`). A letter written three times or more in a row is kept once,
    as `canonical` cuts elongations: the third takes the second back (`_cut_repeat`), the
    others are skipped. While a word is open and no expansion is pending, ASCII letters are
    taken straight from the text, without the table (the loop at the top of each turn), up to
    a repeated letter or any other byte; one space between two letters there closes the word
    and opens the next."""
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
                pos, node, n_hits = _append(
                    buf, pos, b, start, trans, byte_class, node, hits, n_hits
                )
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
            cp, kind, p = _read(data, p, ascii_entry, info)
            if kind == MAPPED:
                q = out_off[cp]
                q_end = out_off[cp + 1]
                continue
            if kind == UNKNOWN:
                return -1, 0, beside
        elif done:
            break
        else:
            done = True
            cp = 0x20
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
                    pos, length, node, n_hits = _cut_repeat(
                        cp, pos, length, run_node, start, n_hits, w_int[HITS, n], hits
                    )
                continue
        else:
            run_cp = cp if (0x61 <= cp <= 0x7A or cp == 0xF1) else -1
            run = 1
        pos, node, n_hits = _append(buf, pos, cp, start, trans, byte_class, node, hits, n_hits)
        length += 1
        if kind != LETTER:
            flags &= WORD | (WORDISH if kind == NUMBER or cp == 0x5F else 0)
        last = cp
    w_int[HITS, n] = n_hits
    w_int[CHAR_AT, n] = char_at
    return n, n_words, beside


_decode = kernel(decode.py_func)


@inlined
def _read(data, p, ascii_entry, info):
    """The character at byte `p` of the text: its code point, its CharTable kind and the byte
    after it; for a MAPPED one, the index of its expansion in `out_off` instead of the code
    point."""
    if data[p] < 0x80:
        entry = ascii_entry[data[p]]
        return entry >> 3, entry & 7, p + 1
    cp, after = _decode(data, p)
    entry = np.int64(info[cp])
    kind = entry & 7
    return (entry >> 3 if kind == MAPPED else cp), kind, after


@inlined
def _append(buf, pos, cp, start, trans, byte_class, node, hits, n_hits):
    """Write code point `cp` as UTF-8 at `buf[pos]` into the word that starts at `start`,
    walking the byte trie from `node` by each of its bytes (_step). Returns the next free
    position, the trie node and the number of hits."""
    if cp < 0x80:
        buf[pos] = cp
        node, n_hits = _step(trans, byte_class, node, cp, hits, n_hits, pos - start + 1)
        return pos + 1, node, n_hits
    end = _put(buf, pos, cp)
    for j in range(pos, end):
        node, n_hits = _step(trans, byte_class, node, buf[j], hits, n_hits, j - start + 1)
    return end, node, n_hits


@inlined
def _cut_repeat(cp, pos, length, run_node, start, n_hits, first_hit, hits):
    """Take back the second of three repeats of letter `cp` (an ASCII letter or `ñ`) from the
    word that starts at `start`: its bytes before `pos`, its character, the trie walk past
    `run_node` (the node before it) and the prefix hits from `first_hit` on that walk found.
    Returns the position, length, node and number of hits without it."""
    pos -= 1 if cp < 0x80 else 2
    while n_hits > first_hit and hits[1, n_hits - 1] > pos - start:
        n_hits -= 1
    return pos, length - 1, run_node, n_hits


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
