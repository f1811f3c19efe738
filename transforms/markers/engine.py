"""The compiled lexicon scanner (numba): one pass per post over the Arrow UTF-8 buffers that
finds every term of one language and applies the matching rules, with the results of
`transforms.markers.rules.occurrences` (FORMAT.md, "Matching"). `transforms.markers.scan` drives it.

Per post, `scan_posts` splits the text into words with `transforms.markers.words.split_words`
(as `transforms.markers.rules.canonical` would, without writing the canonical text, walking
each word through the lexicon's byte trie as it grows); then it walks the pattern trie from
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

from transforms.buffers import kernel
from transforms.kernel_cache import use_kernel_cache
from transforms.markers.rules import FIRST_PERSON_WINDOW, NEGATION_WINDOW
from transforms.markers.tables import GUARD_ENTRY, OK, REFERENCE, UNSEEN, edge_slot
from transforms.markers.words import (
    AT,
    CHAR_AT,
    CHARS,
    HITS,
    LEN,
    LETTERS,
    SENTENCE_END,
    START,
    WORD_ID,
    WORDISH,
    split_words,
)

use_kernel_cache()

CONTEXT_CHARS = 160
"""How far before and after an occurrence `transforms.markers.rules.occurrences` looks."""

_edge_slot = kernel(edge_slot)

_ENTRY, _OCC_START, _OCC_END, _FIRST, _LAST, _KEEP = range(6)
"""Columns of an occurrence: entry, byte span in canonical text, first and last word (for a
prefix term, the word it starts), whether it counts."""
_OCC_FIELDS = 6


@numba.njit(cache=True, nogil=True)
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
        n, n_words, beside = split_words(
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
        word = w_int[WORD_ID, i]
        if (word < 0 or root_child[word] < 0) and w_int[HITS, i] == w_int[HITS, i + 1]:
            continue
        node = 0
        k = i
        while True:
            for h in range(w_int[HITS, k], w_int[HITS, k + 1]):
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
                                occ, found, x, w_int[AT, i] - 1, w_int[AT, k] + hits[1, h], i, k
                            )
                            found += 1
            word = w_int[WORD_ID, k]
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
            end = w_int[AT, k] + w_int[LEN, k] + 1
            for x in range(whole_off[node], whole_off[node + 1]):
                if found == cap:
                    return -1
                _record(occ, found, x, w_int[AT, i] - 1, end, i, k)
                found += 1
            k += 1
            if k == n:
                break
    return found


@kernel
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
        visible = w_int[CHAR_AT, i] - CONTEXT_CHARS
        verdict = _before(
            i, 1, NEGATION_WINDOW, visible, buf, w_int, w_flags, w_cue, suffixes, suffix_len
        )
        if verdict < 0:
            return False
        if verdict == 1:
            occ[a, _KEEP] = 0
            continue
        if not entry_cue[occ[a, _ENTRY]] or i == 0 or w_flags[i - 1] & SENTENCE_END:
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
        if w_int[CHAR_AT, k] < visible:
            return -1
        if _has_cue(k, bit, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
            return 1
        if not w_flags[k] & WORDISH:
            return 0
    return 0


@kernel
def _after(last, n, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """Whether a first-person word comes at most FIRST_PERSON_WINDOW words after word `last`
    with only words between, ending within CONTEXT_CHARS characters of it."""
    origin = w_int[CHAR_AT, last] + w_int[CHARS, last]
    for k in range(last + 1, min(n, last + 1 + FIRST_PERSON_WINDOW)):
        if w_int[CHAR_AT, k] + w_int[CHARS, k] - origin + 1 > CONTEXT_CHARS:
            return False
        if _has_cue(k, 2, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
            return True
        if not w_flags[k] & WORDISH:
            return False
    return False


@kernel
def _has_cue(k, bit, buf, w_int, w_flags, w_cue, suffixes, suffix_len):
    """Whether word `k` is a cue of `bit` (1: negation, 2: first person, which includes a word
    of letters ending in one of `suffixes`, `\\p{L}+rme`)."""
    if w_cue[k] & bit:
        return True
    if bit != 2 or not w_flags[k] & LETTERS:
        return False
    end = w_int[START, k] + w_int[LEN, k]
    for i in range(suffixes.shape[0]):
        m = suffix_len[i]
        if w_int[CHARS, k] > m and w_int[LEN, k] >= m:
            same = True
            for j in range(m):
                if buf[end - m + j] != suffixes[i, j]:
                    same = False
                    break
            if same:
                return True
    return False


@numba.njit(cache=True, nogil=True)
def _grown(array, rows):
    out = np.empty((rows, array.shape[1]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
