"""Character and word n-gram features of a post, for the `ngram` family of trained heads.

Language-agnostic and stateless, in one of two named recipes (RECIPES): `ngram-v1`, lower-cased
word unigrams and bigrams and character 2- to 5-grams within word boundaries, each hashed
(scikit-learn's HashingVectorizer, MurmurHash3) into NGRAM_BUCKETS buckets and L2-normalised,
side by side; `ngram-words`, the word unigrams and bigrams alone (about a quarter of the cost
per post). No vocabulary is stored, so a head is its non-zero weights by bucket, and it names
its recipe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from transforms.buffers import utf8_buffers
from transforms.ngram_hashing import CodePoints, hashed_logits, hashed_ngrams

NGRAM_FEATURES = "ngram-v1"
"""The recipe `moodcast markers train --family ngram` uses unless told otherwise."""
WORDS_ONLY = "ngram-words"
RECIPES = {NGRAM_FEATURES: (2, 5), WORDS_ONLY: None}
"""Recipe name → the character n-gram orders it adds to the word 1- and 2-grams (None: none).
A head names its recipe; a head of any other name is refused at load."""
NGRAM_BUCKETS = 2**18


def ngram_features(texts: Sequence[str], recipe: str = NGRAM_FEATURES):
    """Sparse CSR matrix of `recipe`'s features: for `ngram-v1` (len(texts), 2 * NGRAM_BUCKETS),
    word then character n-gram buckets as the module doc's HashingVectorizer pair makes them
    (transforms.ngram_hashing computes the same, compiled); for `ngram-words` (len(texts),
    NGRAM_BUCKETS), the word buckets alone. Raises KeyError for a recipe not in RECIPES."""
    return hashed_ngrams(texts, buckets=NGRAM_BUCKETS, chars=RECIPES[recipe])


def ngram_logits(features, indices: Sequence[int], coef: Sequence[float], intercept: float):
    """Logit of a head with weights `coef` on buckets `indices`, per row of `features`."""
    weights = np.asarray(coef, dtype=np.float64)
    return features[:, np.asarray(indices, dtype=np.int64)] @ weights + intercept


@dataclass(frozen=True)
class NgramWeights:
    """The n-gram part of a head: weights `coef` on buckets `indices` of `recipe`'s features,
    plus `intercept`."""

    recipe: str
    indices: tuple[int, ...]
    coef: tuple[float, ...]
    intercept: float = 0.0


def ngram_head_logits(
    texts: Sequence[str] | pl.Series, weights: Mapping[str, NgramWeights]
) -> dict[str, np.ndarray]:
    """Each entry's logit per text: ngram_logits of ngram_features, bit for bit (an entry's
    indices being distinct, as trained heads' are), computed without the features
    (transforms.ngram_hashing.hashed_logits), in one compiled pass per recipe the entries use."""
    series = texts if isinstance(texts, pl.Series) else pl.Series(list(texts), dtype=pl.String)
    data, offsets = utf8_buffers(series)
    logits = {}
    for recipe in sorted({part.recipe for part in weights.values()}):
        names = [name for name, part in weights.items() if part.recipe == recipe]
        chars = RECIPES[recipe]
        kept = np.unique(np.concatenate([np.asarray(weights[n].indices, np.int64) for n in names]))
        coef = np.zeros((kept.size, len(names)), dtype=np.float64)
        for h, name in enumerate(names):
            rows = np.searchsorted(kept, np.asarray(weights[name].indices, np.int64))
            coef[rows, h] = weights[name].coef
        sums = hashed_logits(
            data, offsets, _code_points(), buckets=NGRAM_BUCKETS, chars=chars, kept=kept, coef=coef
        )
        logits |= {name: sums[h] + weights[name].intercept for h, name in enumerate(names)}
    return {name: logits[name] for name in weights}


@cache
def _code_points() -> tuple[CodePoints, CodePoints]:
    """The process's code point tables (hashed_logits fills them in as texts need it)."""
    return CodePoints(lowercase=True), CodePoints(lowercase=False)


def ngram_scores(texts: Sequence[str] | pl.Series, heads: Mapping) -> dict[str, np.ndarray]:
    """Each head's probability (the logistic of ngram_logits) per text, for `heads` (name →
    a head with `indices`, `coef`, `intercept` and its recipe as `model`)."""
    weights = {
        name: NgramWeights(head.model, head.indices, head.coef, head.intercept)
        for name, head in heads.items()
    }
    logits = ngram_head_logits(texts, weights)
    return {name: 1.0 / (1.0 + np.exp(-values)) for name, values in logits.items()}
