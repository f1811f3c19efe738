"""Language identification of many texts at once, with py3langid's model and decisions.

py3langid classifies one text at a time, walking its byte DFA in a Python loop (~10k texts/s
of CPU here). `identify` walks the same DFA for all texts in one compiled loop (numba,
transforms.langid_walk), LANES texts side by side, that counts each text's features, and
scores them all with one sparse product: same features, same naive Bayes scores (up to float32
rounding), same labels. Below transforms.engines.COMPILED_FROM texts and COMPILED_FROM_BYTES
of text, in a process that has not loaded numba (`engine="auto"`), it walks with py3langid's
own loop and sums each text's scores in the sparse product's order instead, with the same
results, and loads neither numba nor scipy.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Collection, Sequence

import numpy as np
import polars as pl

from transforms.engines import Engine, use_compiled
from transforms.langid_model import load_identifier


@functools.cache
def _model():
    """py3langid's model, loaded once per process (transforms.langid_model: from its
    decompressed copy in the user's cache)."""
    model = load_identifier()
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


def feature_counts(
    texts: Sequence[str | None], *, engine: Engine = "auto"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (`indptr`, `features` ascending per text, `counts`) of the features py3langid
    counts in each text (a missing text counts as empty): its `visit_counts` of the text's
    bytes as it encodes them, text by text; by the compiled walk or by py3langid's own loop
    (`engine`, transforms.engines.ENGINES)."""
    return _counts(*_walked(texts, engine))


def _walked(texts: Sequence[str | None], engine: str) -> tuple[list[bytes], bool]:
    """The bytes py3langid scores of each text, and whether `engine` walks them compiled (by
    their number and their bytes)."""
    encoded = [_encoded(t) for t in texts]
    return encoded, use_compiled(engine, len(encoded), text_bytes=sum(map(len, encoded)))


def _counts(encoded: list[bytes], compiled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """feature_counts' CSR arrays of `encoded` texts, by the compiled walk or py3langid's."""
    identifier, nextmove, rowbase, output = _model()
    if not compiled:
        return _python_counts(encoded, identifier)
    from transforms.langid_walk import visits  # numba: loaded on use

    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return visits(data, starts, nextmove, rowbase, output)


def _python_counts(encoded: list[bytes], identifier) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """feature_counts' CSR arrays of `encoded` texts by py3langid's `visit_counts`."""
    from py3langid.langid import visit_counts

    rowbase = [r << 8 for r in identifier.tk_row]
    rows = [
        sorted(
            (visit_counts(identifier.tk_nextmove, rowbase, identifier.tk_output, t) or {}).items()
        )
        for t in encoded
    ]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    pairs = np.array([p for r in rows for p in r], dtype=np.int64).reshape(-1, 2)
    return indptr, pairs[:, 0].copy(), pairs[:, 1].copy()


def known_languages() -> frozenset[str]:
    """The ISO 639-1 codes py3langid's model knows."""
    return frozenset(_model()[0].nb_classes)


def identify(
    texts: Sequence[str | None],
    *,
    languages: Collection[str] | None = None,
    engine: Engine = "auto",
) -> list[str]:
    """The ISO 639-1 code py3langid gives each text (a missing text counts as empty), chosen
    among `languages` when given (py3langid's `set_languages`; an unknown code raises
    ValueError). A text with no feature gets the model's first language, as in py3langid.
    `engine`: see identify_scored."""
    return identify_scored(texts, languages=languages, engine=engine)[0]


def identify_scored(
    texts: Sequence[str | None],
    *,
    languages: Collection[str] | None = None,
    engine: Engine = "auto",
) -> tuple[list[str], list[float]]:
    """`identify`'s labels, and each one's probability normalised over the languages chosen
    among (py3langid's `norm_probs`); a text with no feature has them all equally likely.
    `engine` (transforms.engines.ENGINES) chooses how features are counted and scored: the
    compiled walk and scipy's sparse product, or Python and numpy summing in the same order;
    every setting gives the same labels and probabilities."""
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
    encoded, compiled = _walked(texts, engine)
    indptr, features, counts = _counts(encoded, compiled)
    floor = np.float32(np.finfo(np.float32).min)
    scores = np.full((len(texts), len(classes)), floor, dtype=np.float32)
    if features.size:
        present = np.bincount(features, minlength=identifier.nb_ptc.shape[0]) > 0
        used, column = np.flatnonzero(present), np.cumsum(present) - 1
        weights = np.log1p(counts.astype(np.float32))
        table = identifier.nb_ptc[used][:, columns].astype(np.float32)
        featured = np.flatnonzero(np.diff(indptr))
        products = _products(weights, column[features], indptr, table, compiled=compiled)
        scores[featured] = products[featured] + identifier.nb_pc[columns]
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


def _products(
    weights: np.ndarray, cols: np.ndarray, indptr: np.ndarray, table: np.ndarray, *, compiled: bool
) -> np.ndarray:
    """The product of the CSR matrix (`weights`, `cols`, `indptr`) with dense `table` (float32):
    scipy's, or each row's terms added one after another as scipy adds them."""
    if compiled:
        from scipy import sparse

        visits = sparse.csr_matrix((weights, cols, indptr), shape=(len(indptr) - 1, len(table)))
        return visits @ table
    out = np.zeros((len(indptr) - 1, table.shape[1]), dtype=np.float32)
    bounds = indptr.tolist()
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        for weight, col in zip(weights[start:end].tolist(), cols[start:end].tolist(), strict=True):
            out[i] += np.float32(weight) * table[col]
    return out


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
