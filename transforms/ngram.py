"""Character and word n-gram features of a post, for the `ngram` family of trained heads.

Language-agnostic and stateless: lower-cased word unigrams and bigrams and character 2- to
5-grams within word boundaries, each hashed (scikit-learn's HashingVectorizer, MurmurHash3)
into NGRAM_BUCKETS buckets and L2-normalised, side by side. No vocabulary is stored, so a head
is its non-zero weights by bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np

from transforms.ngram_hashing import hashed_ngrams

NGRAM_FEATURES = "ngram-v1"
"""Name of the feature recipe below; a head trained on another recipe is refused."""
NGRAM_BUCKETS = 2**18


@cache
def _vectorizers():
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"n_features": NGRAM_BUCKETS, "alternate_sign": False, "norm": "l2"}
    return (
        HashingVectorizer(
            analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common
        ),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common),
    )


def ngram_features(texts: Sequence[str]):
    """Sparse CSR matrix (len(texts), 2 * NGRAM_BUCKETS): word then character n-gram buckets,
    as `_vectorizers` make them (transforms.ngram_hashing computes the same, compiled)."""
    return hashed_ngrams(texts, buckets=NGRAM_BUCKETS)


def ngram_logits(features, indices: Sequence[int], coef: Sequence[float], intercept: float):
    """Logit of a head with weights `coef` on buckets `indices`, per row of `features`."""
    weights = np.asarray(coef, dtype=np.float64)
    return features[:, np.asarray(indices, dtype=np.int64)] @ weights + intercept


NGRAM_BATCH = 8192
"""Texts featurised at a time by ngram_scores: memory holds one batch's features, not all."""


def ngram_scores(texts: Sequence[str], heads: Mapping) -> dict[str, np.ndarray]:
    """Each head's probability (the logistic of ngram_logits) per text, for `heads` (name →
    a head with `indices`, `coef`, `intercept`), the texts featurised NGRAM_BATCH at a time."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in heads}
    for start in range(0, len(texts), NGRAM_BATCH):
        features = ngram_features(texts[start : start + NGRAM_BATCH])
        for name, head in heads.items():
            logits = ngram_logits(features, head.indices, head.coef, head.intercept)
            parts[name].append(1.0 / (1.0 + np.exp(-logits)))
    return {name: np.concatenate([np.zeros(0), *found]) for name, found in parts.items()}
