"""The compiled lexicon scanner (numba): one pass per post over the Arrow UTF-8 buffers that
finds every term of one language and applies the matching rules, with the results of
`transforms.markers.rules.occurrences` (FORMAT.md, "Matching"). `transforms.markers.scan` drives it.

Per post, `scan_posts` splits the text into words as `transforms.markers.rules.canonical` would
(lower-casing and folding per code point through a `CharTable`, apostrophes dropped,
elongations cut, symbols as words of their own) without writing the canonical text, walking
each word through the lexicon's byte trie as it grows; then it walks the pattern trie from
every word. Of the occurrences of one marker, those inside a longer one are dropped; the
others count unless negated, or, when their term needs a first-person cue, uncued.

`occurrences` reads the text 160 characters before an occurrence for its negation and cue
windows; a post whose window reaches further back (words of dozens of characters) is flagged
for that reference path instead of being scored here. So is a post with a code point the
CharTable has not computed yet.
"""

from __future__ import annotations

import numba
import numpy as np

from transforms.buffers import kernel, put_utf8
from transforms.markers.rules import FIRST_PERSON_WINDOW, NEGATION_WINDOW
from transforms.markers.tables import (
    DROP,
    GUARD_ENTRY,
    LETTER,
    MAPPED,
    NUMBER,
    SPACE,
    SYMBOL,
    UNKNOWN,
    edge_slot,
)
from transforms.text import APOSTROPHES

CONTEXT_CHARS = 160
"""How far before and after an occurrence `transforms.markers.rules.occurrences` looks."""

_edge_slot = kernel(edge_slot)

OK, REFERENCE, UNSEEN = 0, 1, 2
"""Per-post status: scored; flagged for the reference path; has a code point to compute."""

_APOSTROPHES = tuple(ord(c) for c in APOSTROPHES)

_WORD, _WORDISH, _LETTERS, _SENTENCE_END = 1, 2, 4, 8
"""Word flags: starts with a letter or number; only letters, numbers and `_`; only letters;
ends with `.`, `!`, `?`, `¡` or `¿`."""

_START, _LEN, _CHARS, _AT, _CHAR_AT, _WORD_ID, _HITS = range(7)
"""Rows of the per-word integers: byte start in the word buffer, bytes, characters, byte and
character offsets in canonical text, word id (-1: not a lexicon word), first prefix hit."""

_ENTRY, _OCC_START, _OCC_END, _FIRST, _LAST, _KEEP = range(6)
"""Columns of an occurrence: entry, byte span in canonical text, first and last word (for a
prefix term, the word it starts), whether it counts."""
_OCC_FIELDS = 6


_put = kernel(put_utf8)


@kernel
def _words(
    data, lo, hi, info, out_off, out_cp, out_kind, ascii_entry,
    byte_class, trans, buf, w_int, w_flags, w_cue, hits, spaced,
):  # fmt: skip
    """Split `data[lo:hi]` into canonical words with the CharTable's arrays and walk each
    through the lexicon's byte trie as it grows: word `k`'s bytes are
    `buf[w_int[_START, k]:][:w_int[_LEN, k]]`, and `w_int[:, k]`, `w_flags[k]`, `w_cue[k]`
    say the rest; its prefix hits are `hits[:, w_int[_HITS, k]:w_int[_HITS, k + 1]]` (prefix
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
                    w_int[_HITS, n] = n_hits
                    start = pos
                    length = 0
                    flags = _WORD | _WORDISH | _LETTERS
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
            w_int[_HITS, n] = n_hits
            start = pos
            length = 0
            flags = _WORD | _WORDISH | _LETTERS if kind <= NUMBER else _WORDISH | _LETTERS
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
                    while n_hits > w_int[_HITS, n] and hits[1, n_hits - 1] > pos - start:
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
            flags &= _WORD | (_WORDISH if kind == NUMBER or cp == 0x5F else 0)
        last = cp
    w_int[_HITS, n] = n_hits
    w_int[_CHAR_AT, n] = char_at
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
    w_int[_START, n] = start
    w_int[_LEN, n] = pos - start
    w_int[_CHARS, n] = length
    w_int[_AT, n] = at
    w_int[_CHAR_AT, n] = char_at
    ends = last == 0x2E or last == 0x21 or last == 0x3F or last == 0xA1 or last == 0xBF
    w_flags[n] = flags | (_SENTENCE_END if ends else 0)
    w_int[_WORD_ID, n] = trans[node + 1]
    w_cue[n] = trans[node + 2]
    return n + 1, n_words + (flags & _WORD), at + pos - start + 1, char_at + length + 1


@numba.njit(cache=True)
def scan_posts(
    data, offsets, rows, chars, lexicon, expansion, counts, words_out, status, explain, spaced,
    apart,
):  # fmt: skip
    """Score the posts `rows` (indices into `offsets`) with one language's automaton
    (`lexicon`, the arrays of an Automaton in field order) and the CharTable's arrays
    (`chars`): add counting occurrences to `counts[marker, row]`, set `words_out[row]` and
    `status[row]`. With `spaced`, set `apart[row]` where an apostrophe of the post has a space
    beside it (where `transforms.text.SPACED_APOSTROPHE` matches). With `explain`, also
    returns the counting occurrences as (row, marker, term) in post order, and in text order
    within a post and marker."""
    info, out_off, out_cp, out_kind, ascii_entry = chars
    (
        byte_class, trans, suffixes, suffix_len,
        root_child, edge_key, edge_node, whole_off,
        prefix_off, prefix_word, prefix_first, prefix_last, root_prefix,
        entry_marker, entry_term, entry_cue,
    ) = lexicon  # fmt: skip
    longest = 1
    for r in rows:
        longest = max(longest, offsets[r + 1] - offsets[r])
    size = longest * expansion + 4
    buf = np.empty(size, dtype=np.uint8)
    w_int = np.empty((7, size + 1), dtype=np.int32)
    w_flags = np.empty(size, dtype=np.uint8)
    w_cue = np.empty(size, dtype=np.uint8)
    hits = np.empty((2, size), dtype=np.int32)
    reach = np.full(counts.shape[0], -1, dtype=np.int64)
    occ = np.empty((64, _OCC_FIELDS), dtype=np.int64)
    explained = np.empty((1024 if explain else 0, 3), dtype=np.int64)
    n_explained = 0
    for r in rows:
        n, n_words, beside = _words(
            data, offsets[r], offsets[r + 1], info, out_off, out_cp, out_kind, ascii_entry,
            byte_class, trans, buf, w_int, w_flags, w_cue, hits, spaced,
        )  # fmt: skip
        if beside:
            apart[r] = 1
        if n < 0:
            status[r] = UNSEEN
            continue
        status[r] = OK
        words_out[r] = n_words
        found = -1
        while found < 0:
            found = _match(
                n, root_child, edge_key, edge_node, whole_off,
                prefix_off, prefix_word, prefix_first, prefix_last, root_prefix, w_int, hits, occ,
            )  # fmt: skip
            if found < 0:
                occ = _grown(occ, 2 * occ.shape[0])
        if found == 0:
            continue
        _drop_contained(found, occ, entry_marker, reach)
        if not _apply_rules(
            found, occ, n, entry_cue, buf, w_int, w_flags, w_cue, suffixes, suffix_len
        ):
            status[r] = REFERENCE
            continue
        for a in range(found):
            if occ[a, _KEEP]:
                entry = occ[a, _ENTRY]
                marker = entry_marker[entry]
                counts[marker, r] += 1
                if explain:
                    if n_explained == explained.shape[0]:
                        explained = _grown(explained, 2 * n_explained)
                    explained[n_explained, 0] = r
                    explained[n_explained, 1] = marker
                    explained[n_explained, 2] = entry_term[entry]
                    n_explained += 1
    return explained[:n_explained]


@kernel
def _match(
    n, root_child, edge_key, edge_node, whole_off,
    prefix_off, prefix_word, prefix_first, prefix_last, root_prefix, w_int, hits, occ,
):  # fmt: skip
    """Every occurrence of a pattern in the `n` looked-up words, by start then end, into
    `occ`; -1 when `occ` is too small. At the root, a prefix hit finds its entries directly
    (`root_prefix`); deeper nodes have a few prefixes each, searched in turn."""
    cap = occ.shape[0]
    found = 0
    for i in range(n):
        word = w_int[_WORD_ID, i]
        if (word < 0 or root_child[word] < 0) and w_int[_HITS, i] == w_int[_HITS, i + 1]:
            continue
        node = 0
        k = i
        while True:
            for h in range(w_int[_HITS, k], w_int[_HITS, k + 1]):
                if node == 0:
                    lo = root_prefix[hits[0, h]]
                    hi = lo + 1 if lo >= 0 else 0
                    lo = max(lo, 0)
                else:
                    lo = prefix_off[node]
                    hi = prefix_off[node + 1]
                for t in range(lo, hi):
                    if prefix_word[t] == hits[0, h]:
                        for x in range(prefix_first[t], prefix_last[t]):
                            if found == cap:
                                return -1
                            _record(
                                occ, found, x, w_int[_AT, i] - 1, w_int[_AT, k] + hits[1, h], i, k
                            )
                            found += 1
            word = w_int[_WORD_ID, k]
            if word < 0:
                break
            child = -1
            if node == 0:
                child = root_child[word]
            else:
                key = node * root_child.shape[0] + word
                mask = edge_key.shape[0] - 1
                slot = _edge_slot(key, mask)
                while edge_key[slot] >= 0:
                    if edge_key[slot] == key:
                        child = edge_node[slot]
                        break
                    slot = (slot + 1) & mask
            if child < 0:
                break
            node = child
            end = w_int[_AT, k] + w_int[_LEN, k] + 1
            for x in range(whole_off[node], whole_off[node + 1]):
                if found == cap:
                    return -1
                _record(occ, found, x, w_int[_AT, i] - 1, end, i, k)
                found += 1
            k += 1
            if k == n:
                break
    return found


@numba.njit(cache=True)
def _record(occ, a, entry, start, end, first, last):
    occ[a, _ENTRY] = entry
    occ[a, _OCC_START] = start
    occ[a, _OCC_END] = end
    occ[a, _FIRST] = first
    occ[a, _LAST] = last


@kernel
def _drop_contained(found, occ, entry_marker, reach):
    """Mark which occurrences survive the longest match: occurrences come by start, then end,
    so only the longest of one marker at one start can, if it reaches past that marker's
    earlier ones. Leaves `reach` all -1."""
    for a in range(found):
        keep = True
        marker = entry_marker[occ[a, _ENTRY]]
        for b in range(a + 1, found):
            if occ[b, _FIRST] != occ[a, _FIRST]:
                break
            if entry_marker[occ[b, _ENTRY]] == marker:
                keep = False
                break
        if keep:
            keep = occ[a, _OCC_END] > reach[marker]
            if keep:
                reach[marker] = occ[a, _OCC_END]
        occ[a, _KEEP] = keep
    for a in range(found):
        reach[entry_marker[occ[a, _ENTRY]]] = -1


@kernel
def _apply_rules(found, occ, n, entry_cue, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """Unmark guards, negated occurrences, and those whose term needs a first-person cue and
    has none. Returns False when a verdict depends on text beyond CONTEXT_CHARS (the reference
    path's window)."""
    for a in range(found):
        if not occ[a, _KEEP]:
            continue
        if entry_cue[occ[a, _ENTRY]] == GUARD_ENTRY:
            occ[a, _KEEP] = 0
            continue
        i = occ[a, _FIRST]
        visible = w_int[_CHAR_AT, i] - CONTEXT_CHARS
        verdict = _before(
            i, 1, NEGATION_WINDOW, visible, buf, w_int, w_flags, w_cue, suffixes, suffix_len
        )
        if verdict < 0:
            return False
        if verdict == 1:
            occ[a, _KEEP] = 0
            continue
        if not entry_cue[occ[a, _ENTRY]] or i == 0 or w_flags[i - 1] & _SENTENCE_END:
            continue
        verdict = _before(
            i, 2, FIRST_PERSON_WINDOW, visible, buf, w_int, w_flags, w_cue, suffixes, suffix_len
        )
        if verdict < 0:
            return False
        if verdict == 0:
            occ[a, _KEEP] = _after(
                occ[a, _LAST], n, buf, w_int, w_flags, w_cue, suffixes, suffix_len
            )
    return True


@kernel
def _before(i, bit, window, visible, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """1 when a word with cue `bit` comes at most `window` words before word `i` with only
    words (letters, numbers, `_`) between; 0 when not; -1 when that depends on text before
    character `visible`."""
    for k in range(i - 1, max(-1, i - 1 - window), -1):
        if w_int[_CHAR_AT, k] < visible:
            return -1
        if _has_cue(k, bit, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
            return 1
        if not w_flags[k] & _WORDISH:
            return 0
    return 0


@kernel
def _after(last, n, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """Whether a first-person word comes at most FIRST_PERSON_WINDOW words after word `last`
    with only words between, ending within CONTEXT_CHARS characters of it."""
    origin = w_int[_CHAR_AT, last] + w_int[_CHARS, last]
    for k in range(last + 1, min(n, last + 1 + FIRST_PERSON_WINDOW)):
        if w_int[_CHAR_AT, k] + w_int[_CHARS, k] - origin + 1 > CONTEXT_CHARS:
            return False
        if _has_cue(k, 2, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
            return True
        if not w_flags[k] & _WORDISH:
            return False
    return False


@kernel
def _has_cue(k, bit, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """Whether word `k` is a cue of `bit` (1: negation, 2: first person, which includes a word
    of letters ending in one of `suffixes`, `\\p{L}+rme`)."""
    if w_cue[k] & bit:
        return True
    if bit != 2 or not w_flags[k] & _LETTERS:
        return False
    end = w_int[_START, k] + w_int[_LEN, k]
    for i in range(suffixes.shape[0]):
        m = suffix_len[i]
        if w_int[_CHARS, k] > m and w_int[_LEN, k] >= m:
            same = True
            for j in range(m):
                if buf[end - m + j] != suffixes[i, j]:
                    same = False
                    break
            if same:
                return True
    return False


@numba.njit(cache=True)
def _grown(array, rows):
    out = np.empty((rows, array.shape[1]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
