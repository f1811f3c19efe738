"""Lexicon scoring of a batch of posts with a CompiledMarkers, by one of two engines: the
compiled scanner (`transforms.markers.engine`) for each language, with the reference path
(`transforms.markers.rules`) for the few posts it flags; or the reference path for every post
(transforms.engines: `auto` takes it below COMPILED_FROM posts and COMPILED_FROM_BYTES of
text while the process has not loaded numba, and then does not load it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from transforms.engines import Engine, use_compiled
from transforms.markers.rules import Lexicon, canonical, occurrences
from transforms.markers.tables import REFERENCE, UNKNOWN, UNSEEN
from transforms.text import SPACED_APOSTROPHE

if TYPE_CHECKING:
    from transforms.markers.compiled import CompiledMarkers

_SIGMA = 0x3A3
"""Σ lower-cases to σ or, ending a word, ς: it stays out of the table, so its posts are
lower-cased as a whole and scanned again, like posts with a code point not computed yet."""


@dataclass(frozen=True)
class Scan:
    """What `scan` found: `counts[marker, post]` (UInt32), `words[post]` (the post's words in
    canonical text), and, when asked, `terms`, one row per counting occurrence (`row`,
    `marker` index, written `term`) in post order, then text order within a post and marker.
    Posts flagged for the reference path are included, scored by it. `spaced`: the posts
    (ascending) in a language of `scan`'s `spaced` where SPACED_APOSTROPHE matches."""

    counts: np.ndarray
    words: np.ndarray
    terms: pl.DataFrame | None
    spaced: np.ndarray


def scan(
    texts: pl.Series, langs: pl.Series, markers: CompiledMarkers, *,
    explain: bool = False, engine: Engine = "auto", spaced: Collection[str] = (),
) -> Scan:  # fmt: skip
    """Score hashtag-split `texts` against the Lexicon of each post's language (`langs`;
    posts in other languages, or without text, get zeros); counts follow `markers`' order.
    Posts in a language of `spaced` where SPACED_APOSTROPHE matches are listed (`Scan.spaced`):
    the compiled scanner finds them in its own pass over the text, so a caller that joins
    contractions (`transforms.text.join_contractions`) needs to rewrite only those.

    `engine` (transforms.engines.ENGINES): the compiled scanner, the reference engine (the
    readable polars rules the compiled one is tested against: the same results), or `auto`,
    by the number of posts and their bytes of text. Raises ValueError for an `engine` not in
    ENGINES."""
    compiled = use_compiled(engine, texts.len(), text_bytes=texts.str.len_bytes().sum())
    n = texts.len()
    counts = np.zeros((len(markers), n), dtype=np.uint32)
    words = np.zeros(n, dtype=np.float64)
    status = np.zeros(n, dtype=np.uint8)
    apart = np.zeros(n, dtype=np.uint8)
    found = []
    rows = _rows_by_language(langs, texts, markers.lexicons)
    if not compiled:
        for lang_rows in rows.values():
            status[lang_rows] = REFERENCE
    else:
        found += _scan_texts(texts, rows, markers, counts, words, status, explain, spaced, apart)
        found += _scan_learned(texts, rows, markers, counts, words, status, explain, spaced, apart)
    unseen = np.flatnonzero(status == UNSEEN)
    if unseen.size:
        found += _scan_unseen(
            texts, langs, unseen, markers, counts, words, status, explain, spaced, apart
        )
    reference = np.flatnonzero(status == REFERENCE)
    if reference.size and spaced:
        beside = langs.gather(reference).is_in(list(spaced)) & texts.gather(reference).str.contains(
            SPACED_APOSTROPHE
        )
        apart[reference[beside.fill_null(False).to_numpy()]] = 1
    if reference.size:
        found += _scan_reference(texts, langs, reference, markers, counts, words)
    terms = None
    if explain:
        schema = {"row": pl.Int64, "marker": pl.Int32, "term": pl.String}
        terms = pl.concat([f.cast(schema) for f in found]) if found else pl.DataFrame(schema=schema)
        terms = terms.sort("row", maintain_order=True)
    return Scan(counts=counts, words=words, terms=terms, spaced=np.flatnonzero(apart))


def _scan_learned(
    texts: pl.Series, rows: Mapping[str, np.ndarray], markers: CompiledMarkers,
    counts: np.ndarray, words: np.ndarray, status: np.ndarray, explain: bool,
    spaced: Collection[str], apart: np.ndarray,
) -> list[pl.DataFrame]:  # fmt: skip
    """Add the code points of the posts the scanner could not read (`status` UNSEEN: one not
    in `markers.chars` yet; the table starts with tables.STARTING_BLOCKS) to the table, Σ left out (see _SIGMA),
    and scan those posts again as they are. A code point's entry is what lower-casing and
    folding make of it alone, so this equals scanning the lower-cased post wherever no Σ
    needs its context; the posts with one stay UNSEEN."""
    from transforms.buffers import code_points_where, utf8_buffers  # numba: loaded on use

    rows = {lang: r[status[r] == UNSEEN] for lang, r in rows.items()}
    if not any(r.size for r in rows.values()):
        return []
    table = markers.chars
    data, offsets = utf8_buffers(texts)
    new = code_points_where(data, offsets, np.concatenate(list(rows.values())), table.info, UNKNOWN)
    table.add(c for c in new.tolist() if c != _SIGMA)
    return _scan_texts(texts, rows, markers, counts, words, status, explain, spaced, apart)


def _scan_unseen(
    texts: pl.Series, langs: pl.Series, unseen: np.ndarray, markers: CompiledMarkers,
    counts: np.ndarray, words: np.ndarray, status: np.ndarray, explain: bool,
    spaced: Collection[str], apart: np.ndarray,
) -> list[pl.DataFrame]:  # fmt: skip
    """Scan the posts `unseen` (those _scan_learned left: a Σ) again lower-cased, their code
    points added to `markers.chars` (Σ stays out of the table; see _SIGMA); what is still
    unseen goes to the reference path (its `status` becomes REFERENCE)."""
    original = texts.gather(unseen)
    lowered = original.str.to_lowercase()
    table = markers.chars
    non_ascii = pl.concat([original, lowered]).str.extract_all(r"[^\x00-\x7F]")
    seen = non_ascii.explode().drop_nulls().unique()
    table.add(c for c in map(ord, seen) if table.info[c] == UNKNOWN and c != _SIGMA)
    sub_rows = _rows_by_language(langs.gather(unseen), lowered, markers.lexicons)
    sub_counts = np.zeros((len(markers), unseen.size), dtype=np.uint32)
    sub_words = np.zeros(unseen.size, dtype=np.float64)
    sub_status = np.zeros(unseen.size, dtype=np.uint8)
    sub_apart = np.zeros(unseen.size, dtype=np.uint8)
    sub_found = _scan_texts(
        lowered, sub_rows, markers, sub_counts, sub_words, sub_status, explain, spaced, sub_apart
    )
    apart[unseen] |= sub_apart
    counts[:, unseen] = sub_counts
    words[unseen] = sub_words
    status[unseen] = np.where(sub_status == UNSEEN, REFERENCE, sub_status)
    return [f.with_columns(pl.Series("row", unseen).gather(f["row"])) for f in sub_found]


def _scan_reference(
    texts: pl.Series, langs: pl.Series, reference: np.ndarray, markers: CompiledMarkers,
    counts: np.ndarray, words: np.ndarray,
) -> list[pl.DataFrame]:  # fmt: skip
    """Score the posts `reference` with `transforms.markers.rules` (canonical text, then
    `occurrences`): their counts, their words (those starting with a letter or number), and
    their counting occurrences (`Scan.terms` rows)."""
    canon = pl.select(canonical(pl.lit(texts.gather(reference)))).to_series()
    words[reference] = canon.str.count_matches(r" [\p{L}\p{N}]").fill_null(0).to_numpy()
    sub_langs = langs.gather(reference)
    index = {name: i for i, name in enumerate(markers)}
    found = []
    for lang, lexicon in markers.lexicons.items():
        sub = (sub_langs == lang).fill_null(False).arg_true()
        occ = occurrences(canon.gather(sub), lexicon)
        rows_back = pl.Series(reference).gather(sub.gather(occ["row"]))
        occ = occ.select(
            rows_back.alias("row"),
            pl.col("marker").replace_strict(index, return_dtype=pl.Int32),
            "term",
        )
        np.add.at(counts, (occ["marker"].to_numpy(), occ["row"].to_numpy()), 1)
        found.append(occ)
    return found


def _rows_by_language(
    langs: pl.Series, texts: pl.Series, lexicons: Mapping[str, Lexicon]
) -> dict[str, np.ndarray]:
    """Per language of `lexicons`, the indices of the posts in it that have a text."""
    has_text = texts.is_not_null()
    return {
        lang: np.flatnonzero(((langs == lang) & has_text).fill_null(False).to_numpy())
        for lang in lexicons
    }


def _scan_texts(
    texts: pl.Series,
    rows: Mapping[str, np.ndarray],
    markers: CompiledMarkers,
    counts: np.ndarray,
    words: np.ndarray,
    status: np.ndarray,
    explain: bool,
    spaced: Collection[str],
    apart: np.ndarray,
) -> list[pl.DataFrame]:
    """Run the scanner over `rows` of `texts` per language, filling `counts`, `words` and
    `status`; with `explain`, the counting occurrences (`Scan.terms` rows). Posts in a
    language of `spaced` with a spaced apostrophe get `apart` set (`scan`)."""
    from transforms.buffers import utf8_buffers  # numba: loaded on use
    from transforms.markers.engine import scan_posts

    table = markers.chars
    data, offsets = utf8_buffers(texts)
    found = []
    for lang, automaton in markers.automata.items():
        if rows[lang].size == 0:
            continue
        explained = scan_posts(
            data, offsets, rows[lang], table.arrays,
            automaton.arrays, table.expansion, counts, words, status, explain, lang in spaced,
            apart,
        )  # fmt: skip
        if explain:
            found.append(
                pl.DataFrame(
                    {
                        "row": explained[:, 0],
                        "marker": explained[:, 1].astype(np.int32),
                        "term": automaton.terms.gather(explained[:, 2]),
                    }
                )
            )
    return found
