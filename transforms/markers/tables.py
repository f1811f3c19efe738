"""The tables the compiled lexicon scanner (transforms/markers/engine.py) runs on: what each
code point becomes in canonical text, and one lexicon compiled into tries of arrays.

`CharTable` holds, per code point, the characters `transforms.markers.rules.canonical` turns it
into and how each one splits the text. It is derived with polars' own lower-casing and
Unicode classes (those of `canonical`'s regexes). It starts with STARTING_BLOCKS and grows
lazily: other code points are computed as texts bring them. `Automaton` turns a `transforms.markers.rules.Lexicon` into a byte trie of the
words (chunks of canonical text between spaces) its patterns, negation cues and first-person
cues are made of, and a trie of the patterns as sequences of those words.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from transforms.markers.rules import (
    APOSTROPHES,
    FIRST_PERSON_CUES,
    FIRST_PERSON_SUFFIXES,
    NEGATION_CUES,
    Lexicon,
)
from transforms.text import fold_characters

OK, REFERENCE, UNSEEN = 0, 1, 2
"""Per-post status of a scan (transforms.markers.engine.scan_posts): scored; flagged for the
reference path; has a code point to compute."""
GUARD_ENTRY = 2
"""`entry_cue` of a guard (Marker.guards): it hides the marker's terms inside it, never counts."""
LETTER, NUMBER, SYMBOL, SPACE, DROP, INNER, MAPPED, UNKNOWN = range(8)
"""Kinds of output character: a letter or a number (`\\p{L}`, `\\p{N}`) inside a word; a symbol,
a word of its own; whitespace, which ends a word; dropped; another character inside a word (an
ASCII symbol that accent folding produced, which `canonical` leaves in place). A code point's
entry is one of the first five, standing for itself, or MAPPED to a list of output characters,
or UNKNOWN until computed."""


STARTING_BLOCKS = (
    range(0x250),
    range(0x2000, 0x2070),
    range(0x2190, 0x2800),
    range(0x1F000, 0x1FB00),
)
"""The code points a CharTable computes when it is made (~6k, ~15 ms): ASCII, Latin-1 and
Latin Extended-A/B, General Punctuation, arrows to dingbats, and the emoji and pictograph blocks.
Posts written in them scan in one pass; before, a table started with ASCII alone, and in the
first batch every post with another code point (half the sample's) was scanned twice, the
second time after learning it (transforms.markers.scan._scan_learned)."""


class CharTable:
    """Per code point: `info[cp] = kind | index << 3`, where a MAPPED code point's outputs are
    `out_cp[out_off[index]:out_off[index + 1]]` with kinds `out_kind[…]`. `expansion` bounds
    the UTF-8 bytes of output per input byte. `ascii[cp] = output << 3 | kind`: the one
    output of each ASCII code point (an upper-case letter maps to its lower-case letter)."""

    def __init__(self) -> None:
        self.info = np.full(0x110000, UNKNOWN, dtype=np.uint32)
        self.out_off = np.zeros(1, dtype=np.int64)
        self.out_cp = np.zeros(0, dtype=np.int32)
        self.out_kind = np.zeros(0, dtype=np.uint8)
        self.expansion = 1
        self.ascii: np.ndarray | None = None
        self._adding = threading.Lock()
        self.add(code for block in STARTING_BLOCKS for code in block)

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """What the scanner takes: `info`, `out_off`, `out_cp`, `out_kind`, `ascii`."""
        return self.info, self.out_off, self.out_cp, self.out_kind, self.ascii

    def add(self, code_points) -> None:
        """Compute the entries of `code_points` (not surrogates). The new output arrays are
        published before the entries that point into them, in a new `info`, so a scan that
        read `arrays` and then `expansion` always sees a consistent table. Threads that share
        the table add one at a time: each numbers its outputs after the ones already there."""
        with self._adding:
            self._add([chr(c) for c in code_points])

    def _add(self, chars: list[str]) -> None:
        if not chars:
            return
        lowered = pl.Series(chars, dtype=pl.String).str.to_lowercase().to_list()
        pieces = sorted({c for text in lowered for c in text})
        folded = dict(zip(pieces, _fold(pieces), strict=True))
        outputs = sorted({c for f in folded.values() for c in f} | set(pieces))
        kinds = dict(zip(outputs, _kinds(outputs), strict=True))
        info = self.info.copy()
        offsets, cps, out_kinds = [], [], []
        count = len(self.out_cp)
        expansion = self.expansion
        for char, lower in zip(chars, lowered, strict=True):
            out = [o for piece in lower for o in _outputs(piece, folded[piece], kinds)]
            code = ord(char)
            if len(out) == 1 and out[0] == (char, out[0][1]) and out[0][1] != INNER:
                info[code] = out[0][1]
            elif not out:
                info[code] = DROP
            else:
                info[code] = MAPPED | (len(self.out_off) - 1 + len(offsets)) << 3
                cps += [ord(o) for o, _ in out]
                out_kinds += [k for _, k in out]
                count += len(out)
                offsets.append(count)
                size = sum(len(o.encode()) for o, _ in out)
                expansion = max(expansion, -(-size // len(char.encode())))
        self.out_off = np.concatenate([self.out_off, np.asarray(offsets, dtype=np.int64)])
        self.out_cp = np.concatenate([self.out_cp, np.asarray(cps, dtype=np.int32)])
        self.out_kind = np.concatenate([self.out_kind, np.asarray(out_kinds, dtype=np.uint8)])
        self.expansion = expansion
        if self.ascii is None:
            kind = (info[:128] & 7).astype(np.int32)
            cp = np.arange(128, dtype=np.int32)
            mapped = kind == MAPPED
            first = self.out_off[info[:128] >> 3][mapped]
            cp[mapped] = self.out_cp[first]
            kind[mapped] = self.out_kind[first]
            self.ascii = cp << 3 | kind
        self.info = info


def _fold(chars: list[str]) -> list[str]:
    """`transforms.text.fold_characters` of each character (itself when unchanged)."""
    return fold_characters(pl.Series(chars, dtype=pl.String)).to_list()


def _kinds(chars: list[str]) -> list[int]:
    """LETTER, NUMBER, SPACE or SYMBOL for each character, by polars' regex classes."""
    frame = pl.DataFrame({"c": chars}).select(
        pl.when(pl.col("c").str.contains(r"^\p{L}$"))
        .then(LETTER)
        .when(pl.col("c").str.contains(r"^\p{N}$"))
        .then(NUMBER)
        .when(pl.col("c").str.contains(r"^\s$"))
        .then(SPACE)
        .otherwise(SYMBOL)
    )
    return frame.to_series().to_list()


def _outputs(piece: str, folded: str, kinds: dict[str, int]) -> list[tuple[str, int]]:
    """What `canonical` makes of one lower-cased character: accent folding, which replaces it
    and whose output is not looked at again for apostrophes or ASCII symbols; else dropped
    apostrophes; else ASCII symbols as words of their own; else itself."""
    if ord(piece) >= 0x80 and folded != piece:
        return [(c, INNER if ord(c) < 0x80 and kinds[c] == SYMBOL else kinds[c]) for c in folded]
    if piece in APOSTROPHES:
        return []
    return [(piece, kinds[piece])]


@dataclass(frozen=True)
class Automaton:
    """One Lexicon as arrays for the scanner.

    Byte trie: `byte_class` maps a byte to a column of the node rows of `trans`, `width`
    columns each; a node is the offset of its row (the root's is 0). Columns 0 to 2 of a row
    hold the prefix ending at the node (or -1), the word ending there (or -1) and its cue bits
    (1: a negation cue, 2: a first-person cue); the others the offset of its child per byte
    class, negated when a prefix ends at the child (so the scanner reads column 0 only then),
    where a missing edge, and column 3 (the class of every byte no word has), lead to a dead
    node: a row like any other, with no prefix, word or cue, whose children are all itself.
    Pattern trie over word ids: `root_child[word]`, and for other nodes an open-addressing
    hash table (`edge_key`: `node × words + word`, -1 when empty; `edge_node`; slot
    `edge_slot(key)` onwards, see `transforms.markers.engine`); the entries a node completes,
    `whole_off`; the entries completed by a prefix at a node, `prefix_off` into
    `prefix_word`, `prefix_first`, `prefix_last`, and at the root, by prefix id,
    `root_prefix` (the index into those, or -1). An entry is a (pattern, marker) pair:
    `entry_marker`, `entry_term` (index into `terms`), `entry_cue` (0: no rule; GUARD_ENTRY:
    a guard, which never counts; 1: the occurrence needs a first-person cue). `suffixes`:
    first-person endings, as UTF-8 rows.
    """

    byte_class: np.ndarray
    trans: np.ndarray
    suffixes: np.ndarray
    suffix_len: np.ndarray
    root_child: np.ndarray
    edge_key: np.ndarray
    edge_node: np.ndarray
    whole_off: np.ndarray
    prefix_off: np.ndarray
    prefix_word: np.ndarray
    prefix_first: np.ndarray
    prefix_last: np.ndarray
    root_prefix: np.ndarray
    entry_marker: np.ndarray
    entry_term: np.ndarray
    entry_cue: np.ndarray
    terms: pl.Series

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every array, in field order: what the scanner takes."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "terms")


def compile_automaton(lexicon: Lexicon, marker_index: dict[str, int]) -> Automaton:
    """The Automaton of `lexicon`; `marker_index` numbers the markers (output columns)."""
    rows = lexicon.table.select("pattern", "marker", "term", "needs_cue", "guard").rows()
    terms = list(dict.fromkeys(term for _, _, term, _, _ in rows))
    term_index = {term: i for i, term in enumerate(terms)}
    by_pattern: dict[str, list[tuple[int, int, int]]] = {}
    for pattern, marker, term, needs_cue, guard in rows:
        entry = (marker_index[marker], term_index[term], GUARD_ENTRY if guard else int(needs_cue))
        by_pattern.setdefault(pattern, []).append(entry)
    words, prefixes, nodes, whole, ends = _pattern_trie(by_pattern)
    trie = _byte_trie(words, prefixes, lexicon.lang)
    root_child = np.full(max(len(words), 1), -1, dtype=np.int32)
    for word, child in nodes[0].items():
        root_child[word] = child
    edge_key, edge_node = _edge_table(nodes, len(root_child))
    offsets, entry_columns = _entry_columns(whole, ends)
    whole_off, prefix_off, prefix_word, prefix_first, prefix_last = offsets
    root_prefix = np.full(max(len(prefixes), 1), -1, dtype=np.int32)
    for t in range(prefix_off[1]):
        root_prefix[prefix_word[t]] = t
    suffixes = [s.encode() for s in FIRST_PERSON_SUFFIXES.get(lexicon.lang, ())]
    width = max((len(s) for s in suffixes), default=1)
    suffix_rows = np.zeros((len(suffixes), width), dtype=np.uint8)
    for i, s in enumerate(suffixes):
        suffix_rows[i, : len(s)] = np.frombuffer(s, dtype=np.uint8)
    i32 = np.int32
    entry_marker, entry_term, entry_cue = entry_columns
    return Automaton(
        byte_class=trie.byte_class,
        trans=np.asarray(trie.trans, dtype=i32),
        root_child=root_child,
        edge_key=edge_key,
        edge_node=edge_node,
        whole_off=np.asarray(whole_off, dtype=i32),
        prefix_off=np.asarray(prefix_off, dtype=i32),
        prefix_word=np.asarray(prefix_word, dtype=i32),
        prefix_first=np.asarray(prefix_first, dtype=i32),
        prefix_last=np.asarray(prefix_last, dtype=i32),
        root_prefix=root_prefix,
        entry_marker=np.asarray(entry_marker, dtype=i32),
        entry_term=np.asarray(entry_term, dtype=i32),
        entry_cue=np.asarray(entry_cue, dtype=np.int8),
        suffixes=suffix_rows,
        suffix_len=np.asarray([len(s) for s in suffixes], dtype=i32),
        terms=pl.Series(terms, dtype=pl.String),
    )


_Entry = tuple[int, int, int]
"""An entry as compile_automaton builds it: (marker index, term index, cue)."""


def _pattern_trie(by_pattern: dict[str, list[_Entry]]):
    """The pattern trie of `by_pattern` (pattern → its entries) over word ids: the ids of its
    whole words and of its prefixes (a pattern's last word when it has no closing space), each
    node's children by word id, the entries each node completes, and those each prefix
    completes at each node."""
    words: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    nodes: list[dict[int, int]] = [{}]
    whole: list[list[_Entry]] = [[]]
    ends: list[dict[int, list[_Entry]]] = [{}]
    for pattern, entries in by_pattern.items():
        chunks = pattern.strip(" ").split(" ")
        is_prefix = not pattern.endswith(" ")
        node = 0
        for chunk in chunks[:-1] if is_prefix else chunks:
            word = words.setdefault(chunk, len(words))
            if word not in nodes[node]:
                nodes[node][word] = len(nodes)
                nodes.append({})
                whole.append([])
                ends.append({})
            node = nodes[node][word]
        if is_prefix:
            prefix = prefixes.setdefault(chunks[-1], len(prefixes))
            ends[node].setdefault(prefix, []).extend(entries)
        else:
            whole[node].extend(entries)
    return words, prefixes, nodes, whole, ends


def _byte_trie(words: dict[str, int], prefixes: dict[str, int], lang: str) -> _ByteTrie:
    """The byte trie of `words` and `prefixes` (by id) and of `lang`'s negation and
    first-person cues."""
    trie = _ByteTrie()
    for word, i in words.items():
        trie.insert(word)[0] = i
    for prefix, i in prefixes.items():
        trie.insert(prefix)[1] = i
    for cue in NEGATION_CUES.get(lang, ("not",)):
        trie.insert(cue)[2] |= 1
    for cue in FIRST_PERSON_CUES.get(lang, ("i",)):
        trie.insert(cue)[2] |= 2
    return trie


def _edge_table(nodes: list[dict[int, int]], n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """`edge_key` and `edge_node` (see Automaton): the pattern trie's edges below the root in an
    open-addressing hash table at most half full."""
    edges = [
        (node * n_words + w, c) for node in range(1, len(nodes)) for w, c in nodes[node].items()
    ]
    slots = 1 << max(4, (2 * len(edges)).bit_length())
    edge_key = np.full(slots, -1, dtype=np.int64)
    edge_node = np.full(slots, -1, dtype=np.int32)
    for key, child in edges:
        slot = edge_slot(key, slots - 1)
        while edge_key[slot] >= 0:
            slot = (slot + 1) & (slots - 1)
        edge_key[slot] = key
        edge_node[slot] = child
    return edge_key, edge_node


def _entry_columns(whole: list[list[_Entry]], ends: list[dict[int, list[_Entry]]]):
    """The entries laid out node by node, those each node completes first, then those its
    prefixes complete (by prefix id): the offsets (`whole_off`, `prefix_off`, `prefix_word`,
    `prefix_first`, `prefix_last`) and the entry columns (`entry_marker`, `entry_term`,
    `entry_cue`) of an Automaton, as lists."""
    whole_off, entry_marker, entry_term, entry_cue = [0], [], [], []
    prefix_off, prefix_word, prefix_first, prefix_last = [0], [], [], []

    def add_entries(entries):
        for marker, term, cue in entries:
            entry_marker.append(marker)
            entry_term.append(term)
            entry_cue.append(cue)

    for node in range(len(whole)):
        add_entries(whole[node])
        whole_off.append(len(entry_marker))
    for node in range(len(whole)):
        for prefix, entries in sorted(ends[node].items()):
            prefix_word.append(prefix)
            prefix_first.append(len(entry_marker))
            add_entries(entries)
            prefix_last.append(len(entry_marker))
        prefix_off.append(len(prefix_word))
    offsets = (whole_off, prefix_off, prefix_word, prefix_first, prefix_last)
    return offsets, (entry_marker, entry_term, entry_cue)


def edge_slot(key: int, mask: int) -> int:
    """The first hash slot of a pattern-trie edge `key` in a table of `mask + 1` slots (the
    scanner compiles this same function; the product stays below 2**63)."""
    return (((key & 0x7FFFFFFF) * 2654435761) >> 16) & mask


_DEAD_CLASS = 3
"""The byte class of bytes no word has: its column leads every node to the dead node."""


class _ByteTrie:
    """A byte trie whose nodes carry [word id, prefix id, cue bits]; `trans` is the flat
    table Automaton describes, over the byte classes of every byte inserted. Node 0 is the
    root, node 1 the dead node."""

    def __init__(self) -> None:
        self.byte_class = np.full(256, _DEAD_CLASS, dtype=np.int32)
        self.width = _DEAD_CLASS + 1
        self.nodes: list[list[int]] = [[-1, -1, 0], [-1, -1, 0]]
        self.edges: list[dict[int, int]] = [{}, {}]

    def insert(self, text: str) -> list[int]:
        node = 0
        for byte in text.encode():
            if self.byte_class[byte] == _DEAD_CLASS:
                self.byte_class[byte] = self.width
                self.width += 1
            if byte not in self.edges[node]:
                self.edges[node][byte] = len(self.nodes)
                self.nodes.append([-1, -1, 0])
                self.edges.append({})
            node = self.edges[node][byte]
        return self.nodes[node]

    @property
    def trans(self) -> list[int]:
        dead = self.width
        flat = [dead] * (len(self.nodes) * self.width)
        for node, edges in enumerate(self.edges):
            word, prefix, cue = self.nodes[node]
            flat[node * self.width : node * self.width + 3] = [prefix, word, cue]
            for byte, child in edges.items():
                sign = -1 if self.nodes[child][1] >= 0 else 1
                flat[node * self.width + int(self.byte_class[byte])] = sign * child * self.width
        return flat
