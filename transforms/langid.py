"""Language identification of many texts at once, with py3langid's model and decisions.

py3langid classifies one text at a time, walking its byte DFA in a Python loop (~10k texts/s
of CPU here). `identify` walks the same DFA for all texts in one compiled loop (numba), LANES
texts side by side, that counts each text's features, and scores them all with one sparse
product: same features, same naive Bayes scores (up to float32 rounding), same labels.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Collection, Sequence

import numba
import numpy as np
import polars as pl
from scipy import sparse

from transforms.kernel_cache import use_kernel_cache

use_kernel_cache()


@functools.cache
def _model():
    """py3langid's model, loaded once per process (~1.5 s: it is stored compressed)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE)
    nextmove = np.frombuffer(model.tk_nextmove, dtype=np.uint32)
    rowbase = np.asarray(model.tk_row, dtype=np.int64) << 8
    output = np.asarray(model.tk_output, dtype=np.int64)
    return model, nextmove, rowbase, output


def _encoded(text: str | None) -> bytes:
    """The bytes py3langid scores: lower-cased if all upper case, NFC, UTF-8."""
    text = text or ""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")


LANES = 8
"""Texts whose DFA walks `_walk` interleaves: one walk is a chain of dependent loads from a
~40 MB table, so walking several at once lets their cache misses overlap."""


def _visits(data, starts, nextmove, rowbase, output):
    """The DFA walked over each text (bytes `data[starts[i]:starts[i + 1]]`) → CSR arrays
    (`indptr`, `features` ascending per text, `counts`) of the features of the states each
    text visits and how often it visits them (py3langid's `visit_counts`, text by text)."""
    found, found_counts = _walk(data, starts, nextmove, rowbase, output)
    return _tallied(found, found_counts, starts)


@numba.njit(cache=True, nogil=True)
def _walk(data, starts, nextmove, rowbase, output):  # pragma: no cover
    """The features of the states each text visits, in visiting order: text `i`'s are
    `found[starts[i]:starts[i] + counts[i]]` (a byte visits at most one). LANES walks go on
    side by side, each taking the next text when its own ends."""
    n = starts.size - 1
    found = np.empty(data.size, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    text = np.full(LANES, -1, dtype=np.int64)
    position = np.zeros(LANES, dtype=np.int64)
    state = np.zeros(LANES, dtype=np.int64)
    following = 0
    for lane in range(LANES):
        text[lane], position[lane], following = _next_text(starts, following)
    while True:
        walking = False
        for lane in range(LANES):
            t = text[lane]
            if t < 0:
                continue
            walking = True
            s = nextmove[rowbase[state[lane]] + data[position[lane]]]
            state[lane] = s
            if output[s] >= 0:
                found[starts[t] + counts[t]] = output[s]
                counts[t] += 1
            position[lane] += 1
            if position[lane] == starts[t + 1]:
                text[lane], position[lane], following = _next_text(starts, following)
                state[lane] = 0
        if not walking:
            return found, counts


@numba.njit(cache=True, nogil=True)
def _next_text(starts, following):  # pragma: no cover
    """The first text from `following` with a byte (-1 when none), its first byte, and the
    text after it."""
    n = starts.size - 1
    while following < n and starts[following] == starts[following + 1]:
        following += 1
    if following == n:
        return -1, 0, n
    return following, starts[following], following + 1


@numba.njit(cache=True, nogil=True)
def _tallied(found, found_counts, starts):  # pragma: no cover
    """CSR arrays (`indptr`, distinct features ascending per text, `counts`) of `_walk`'s
    features."""
    n = starts.size - 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    features = np.empty(found.size, dtype=np.int64)
    counts = np.empty(found.size, dtype=np.int64)
    nnz = 0
    for i in range(n):
        m = found_counts[i]
        ordered = np.sort(found[starts[i] : starts[i] + m])
        j = 0
        while j < m:
            c = 1
            while j + c < m and ordered[j + c] == ordered[j]:
                c += 1
            features[nnz], counts[nnz] = ordered[j], c
            nnz += 1
            j += c
        indptr[i + 1] = nnz
    return indptr, features[:nnz], counts[:nnz]


def feature_counts(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (`indptr`, `features` ascending per text, `counts`) of the features py3langid
    counts in each text (a missing text counts as empty): its `visit_counts` of the text's
    bytes as it encodes them, text by text."""
    _, nextmove, rowbase, output = _model()
    encoded = [_encoded(t) for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return _visits(data, starts, nextmove, rowbase, output)


def known_languages() -> frozenset[str]:
    """The ISO 639-1 codes py3langid's model knows."""
    return frozenset(_model()[0].nb_classes)


def identify(texts: Sequence[str | None], *, languages: Collection[str] | None = None) -> list[str]:
    """The ISO 639-1 code py3langid gives each text (a missing text counts as empty), chosen
    among `languages` when given (py3langid's `set_languages`; an unknown code raises
    ValueError). A text with no feature gets the model's first language, as in py3langid."""
    return identify_scored(texts, languages=languages)[0]


def identify_scored(
    texts: Sequence[str | None], *, languages: Collection[str] | None = None
) -> tuple[list[str], list[float]]:
    """`identify`'s labels, and each one's probability normalised over the languages chosen
    among (py3langid's `norm_probs`); a text with no feature has them all equally likely."""
    if not texts:
        return [], []
    model = _model()
    identifier = model[0]
    classes = list(identifier.nb_classes)
    columns = np.arange(len(classes))
    if languages is not None:
        unknown = set(languages) - set(classes)
        if unknown:
            raise ValueError(f"unknown language code(s) {sorted(unknown)}; known: {classes}")
        columns = np.array([i for i, c in enumerate(classes) if c in set(languages)])
        classes = [classes[i] for i in columns]
    indptr, features, counts = feature_counts(texts)
    floor = np.float32(np.finfo(np.float32).min)
    scores = np.full((len(texts), len(classes)), floor, dtype=np.float32)
    if features.size:
        present = np.bincount(features, minlength=identifier.nb_ptc.shape[0]) > 0
        used, column = np.flatnonzero(present), np.cumsum(present) - 1
        visits = sparse.csr_matrix(
            (np.log1p(counts.astype(np.float32)), column[features], indptr),
            shape=(len(texts), used.size),
        )
        table = identifier.nb_ptc[used][:, columns].astype(np.float32)
        featured = np.flatnonzero(np.diff(indptr))
        scores[featured] = (visits @ table)[featured] + identifier.nb_pc[columns]
    _fold_aliases(scores, classes, floor)
    best = scores.argmax(axis=1)
    live = scores > floor
    shifted = np.where(live, scores - scores.max(axis=1, keepdims=True), -np.inf)
    weights = np.exp(shifted.astype(np.float64))
    totals = weights.sum(axis=1)
    featureless = ~live.any(axis=1)
    confidence = np.where(
        featureless, 1.0 / max(len(set(classes)), 1), 1.0 / np.maximum(totals, 1.0)
    )
    return [classes[i] for i in best], confidence.tolist()


def _fold_aliases(scores: np.ndarray, classes: list[str], floor: np.float32) -> None:
    """A label that appears in several columns keeps its best score in the first (py3langid)."""
    first: dict[str, int] = {}
    for j, label in enumerate(classes):
        if label in first:
            i = first[label]
            scores[:, i] = np.maximum(scores[:, i], scores[:, j])
            scores[:, j] = floor
        else:
            first[label] = j


def identify_series(texts: pl.Series, *, languages: Collection[str] | None = None) -> pl.Series:
    """`identify` of a String Series, as a String Series of the same length."""
    return pl.Series(texts.name, identify(texts.to_list(), languages=languages), dtype=pl.String)
