"""Character and word n-gram features of a post, for the `ngram` family of trained heads.

Language-agnostic and stateless, in one of two named recipes (RECIPES): `ngram-v1`, lower-cased
word unigrams and bigrams and character 2- to 5-grams within word boundaries, each hashed
(scikit-learn's HashingVectorizer, MurmurHash3) into NGRAM_BUCKETS buckets and L2-normalised,
side by side; `ngram-words`, the word unigrams and bigrams alone (about a quarter of the cost
per post). No vocabulary is stored, so a head is its non-zero weights by bucket, and it names
its recipe.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from transforms.engines import Engine, use_compiled

if TYPE_CHECKING:
    from transforms.ngram_hashing import CodePoints

NGRAM_FEATURES = "ngram-v1"
"""The recipe `moodcast markers train --family ngram` uses unless told otherwise."""
WORDS_ONLY = "ngram-words"
RECIPES = {NGRAM_FEATURES: (2, 5), WORDS_ONLY: None}
"""Recipe name → the character n-gram orders it adds to the word 1- and 2-grams (None: none).
A head names its recipe; a head of any other name is refused at load."""
NGRAM_BUCKETS = 2**18
WHITE_SPACES = re.compile(r"\s\s+")
"""What char_wb writes as one space before it splits a text into words."""
TOKEN = re.compile(r"\w+")
"""scikit-learn's token pattern `(?u)\\b\\w+\\b` finds the maximal runs of `\\w`, as this one
does (both are Unicode in Python 3; a run always ends and starts on a word boundary), at ~3/4
of its cost."""
_MASK = 0xFFFFFFFF


def ngram_features(texts: Sequence[str], recipe: str = NGRAM_FEATURES):
    """Sparse CSR matrix of `recipe`'s features: for `ngram-v1` (len(texts), 2 * NGRAM_BUCKETS),
    word then character n-gram buckets as the module doc's HashingVectorizer pair makes them
    (transforms.ngram_hashing computes the same, compiled); for `ngram-words` (len(texts),
    NGRAM_BUCKETS), the word buckets alone. Raises KeyError for a recipe not in RECIPES."""
    from transforms.ngram_hashing import hashed_ngrams  # numba: loaded on use

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
    texts: Sequence[str] | pl.Series,
    weights: Mapping[str, NgramWeights],
    *,
    engine: Engine = "auto",
) -> dict[str, np.ndarray]:
    """Each entry's logit per text: ngram_logits of ngram_features, bit for bit (an entry's
    indices being distinct, as trained heads' are), computed without the features, per recipe
    the entries use: in one compiled pass (transforms.ngram_hashing.hashed_logits), or text by
    text in Python (`engine`, transforms.engines.ENGINES: the same sums in the same order)."""
    series = texts if isinstance(texts, pl.Series) else pl.Series(list(texts), dtype=pl.String)
    compiled = use_compiled(engine, series.len(), text_bytes=series.str.len_bytes().sum())
    if compiled:
        from transforms.buffers import utf8_buffers  # numba: loaded on use
        from transforms.ngram_hashing import hashed_logits

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
        if compiled:
            sums = hashed_logits(
                data, offsets, _code_points(), buckets=NGRAM_BUCKETS, chars=chars, kept=kept,
                coef=coef,
            )  # fmt: skip
        else:
            sums = _python_sums(series.to_list(), chars=chars, kept=kept, coef=coef)
        logits |= {name: sums[h] + weights[name].intercept for h, name in enumerate(names)}
    return {name: logits[name] for name in weights}


@cache
def _code_points() -> tuple[CodePoints, CodePoints]:
    """The process's code point tables (hashed_logits fills them in as texts need it)."""
    from transforms.ngram_hashing import CodePoints

    return CodePoints(lowercase=True), CodePoints(lowercase=False)


def _python_sums(
    texts: Sequence[str | None], *, chars: tuple[int, int] | None, kept: np.ndarray,
    coef: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """hashed_logits' sums (heads × texts) of `texts` (None: empty), text by text: each
    block's distinct buckets in ascending order, count over the block's L2 norm times the
    heads' weights, added one after another."""
    rows = {int(column): i for i, column in enumerate(kept.tolist())}
    weights = coef.tolist()
    out = np.zeros((coef.shape[1], len(texts)), dtype=np.float64)
    for t, text in enumerate(texts):
        lowered = (text or "").lower()
        words = TOKEN.findall(lowered)
        blocks = [(0, words + [f"{a} {b}" for a, b in itertools.pairwise(words)])]
        if chars:
            blocks.append((NGRAM_BUCKETS, _char_wb(lowered, chars)))
        acc = [0.0] * coef.shape[1]
        for offset, grams in blocks:
            counts = Counter(abs(murmur3(g.encode("utf-8"))) % NGRAM_BUCKETS for g in grams)
            norm = math.sqrt(sum(c * c for c in counts.values()))
            for bucket in sorted(counts):
                row = rows.get(bucket + offset)
                if row is None:
                    continue
                value = counts[bucket] / norm
                for h, weight in enumerate(weights[row]):
                    acc[h] += value * weight
        out[:, t] = acc
    return out


def _char_wb(lowered: str, chars: tuple[int, int]) -> list[str]:
    """scikit-learn's char_wb n-grams of lower-cased text, `chars` the smallest and largest n:
    each white-space separated word padded with a space either side, a word no longer than n
    taken whole once (and no longer n-grams of it)."""
    grams = []
    for word in WHITE_SPACES.sub(" ", lowered).split():
        padded = f" {word} "
        for n in range(chars[0], chars[1] + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def murmur3(key: bytes) -> int:
    """MurmurHash3_x86_32 of `key` with seed 0, as a signed 32-bit value (as scikit-learn's
    `murmurhash3_32`; transforms.ngram_hashing compiles the same steps)."""
    h = 0
    whole = len(key) // 4 * 4
    for (k,) in struct.iter_unpack("<I", key[:whole]):
        h = murmur_block(h, k)
    return murmur_finish(h, int.from_bytes(key[whole:], "little"), len(key))


def murmur_block(h, k):
    """MurmurHash3's 32-bit state `h` after mixing in the 4-byte block `k` (little-endian).
    Plain Python, compiled by transforms.ngram_hashing as well."""
    k = (k * 0xCC9E2D51) & _MASK
    k = ((k << 15) | (k >> 17)) & _MASK
    h ^= (k * 0x1B873593) & _MASK
    return ((((h << 13) | (h >> 19)) & _MASK) * 5 + 0xE6546B64) & _MASK


def murmur_finish(h, tail, n):
    """MurmurHash3 (seed 0) of a key of `n` bytes, from its state `h` after its whole blocks
    and `tail`, its last `n % 4` bytes (little-endian), as a signed 32-bit value. Plain
    Python, compiled by transforms.ngram_hashing as well."""
    if n & 3:
        k = (tail * 0xCC9E2D51) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        h ^= (k * 0x1B873593) & _MASK
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h >= (1 << 31) else h


def ngram_scores(texts: Sequence[str] | pl.Series, heads: Mapping) -> dict[str, np.ndarray]:
    """Each head's probability (the logistic of ngram_logits) per text, for `heads` (name →
    a head with `indices`, `coef`, `intercept` and its recipe as `model`)."""
    weights = {
        name: NgramWeights(head.model, head.indices, head.coef, head.intercept)
        for name, head in heads.items()
    }
    logits = ngram_head_logits(texts, weights)
    return {name: 1.0 / (1.0 + np.exp(-values)) for name, values in logits.items()}
