"""Each function with a compiled path and a reference path gives the same result by both
(transforms.engines), so `engine="auto"` may pick either by the size of the input. The lexicon
engines are compared in tests/transforms/markers/test_compiled.py, JSON Lines and timestamps
in test_records.py and test_timestamps.py; these compare the two newest reference paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils import murmurhash3_32

from transforms.engines import COMPILED_FROM, use_compiled
from transforms.langid import identify_scored
from transforms.ngram import RECIPES, NgramWeights, murmur3, ngram_features, ngram_head_logits

ALPHABET = list("ab eé.!Жж日🙂\n\t_İΣσ'-")
TEXTS = st.lists(
    st.one_of(
        st.text(st.sampled_from(ALPHABET), max_size=30),
        st.sampled_from(["I want to die", "KILL MYSELF", "no puedo más", "ΣΟΦΙΑ Σ", ""]),
        st.none(),
    ),
    max_size=12,
)


def test_auto_is_compiled_from_compiled_from_rows_and_an_unknown_engine_is_refused():
    assert use_compiled("auto", COMPILED_FROM)
    assert use_compiled("compiled", 0) and not use_compiled("reference", 10**9)
    with pytest.raises(ValueError, match="auto, compiled, reference"):
        use_compiled("numba", 1)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=23))
def test_murmur3_is_scikit_learns(key):
    assert murmur3(key) == murmurhash3_32(key, seed=0)


def _heads() -> dict[str, NgramWeights]:
    """Two heads per recipe, weighing the buckets that texts of the alphabet of TEXTS reach."""
    rng = np.random.default_rng(7)
    samples = ["".join(rng.choice(ALPHABET, size=20)) for _ in range(300)]
    heads = {}
    for recipe in RECIPES:
        reached = np.unique(ngram_features(samples, recipe).indices)
        for h in range(2):
            indices = reached[h::2]
            coef = rng.normal(size=indices.size)
            heads[f"{recipe}{h}"] = NgramWeights(recipe, tuple(indices), tuple(coef), 0.25 * h)
    return heads


HEADS = _heads()


@settings(max_examples=80, deadline=None)
@given(TEXTS)
def test_ngram_head_logits_are_the_same_bits_by_either_engine(texts):
    texts = [t if t is not None else "" for t in texts]
    compiled = ngram_head_logits(texts, HEADS, engine="compiled")
    reference = ngram_head_logits(texts, HEADS, engine="reference")
    for name in HEADS:
        assert compiled[name].tobytes() == reference[name].tobytes(), name
    reached = ngram_head_logits(["ab eé Жж"], HEADS, engine="reference")
    assert all(logits[0] not in (0.0, 0.25) for logits in reached.values())


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.sampled_from([None, ["en", "es"], ["es", "pt", "ru"]]))
def test_languages_and_confidences_are_the_same_by_either_engine(texts, languages):
    compiled = identify_scored(texts, languages=languages, engine="compiled")
    assert identify_scored(texts, languages=languages, engine="reference") == compiled
