"""The hand-written cases of test_markers.py and test_ngram_hashing.py, held to the compiled
paths by name (test_ngram_hashing.py's property test of the head logits names both engines). Those files call `score` and `ngram_head_logits` on a few texts with the default
`engine="auto"`, which takes the reference paths below transforms.engines.COMPILED_FROM rows:
since then their cases reached neither the numba scanner that the Beam job's `tag` always runs
nor the compiled n-gram pass that scores every chunk of a file run."""

import numpy as np
import polars as pl
import pytest

from tests.transforms.test_markers import BUILTIN, RULES
from tests.transforms.test_ngram_hashing import TRICKY, _heads
from transforms.markers import score
from transforms.ngram import RECIPES, NgramWeights, ngram_features, ngram_head_logits, ngram_logits


@pytest.mark.parametrize(("rule", "lang", "text", "name", "hit", "terms"), RULES)
def test_matching_rules_hold_for_the_compiled_scanner(rule, lang, text, name, hit, terms):
    posts = pl.DataFrame({"text": [text], "lang": [lang]})
    out = score(posts, BUILTIN, explain=True, engine="compiled")
    assert out[name].item() is hit, rule
    assert out[f"{name}__terms"].item().to_list() == terms, rule
    assert out[f"{name}__count"].item() == len(terms)


def _assert_compiled_logits_are_the_matrix_product(texts, heads):
    got = ngram_head_logits(texts, heads, engine="compiled")
    for name, head in heads.items():
        features = ngram_features(texts, head.recipe)
        expected = ngram_logits(features, head.indices, head.coef, head.intercept)
        assert np.array_equal(got[name], expected), name


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_compiled_head_logits_of_the_tricky_texts_equal_the_matrix_product(recipe):
    features = ngram_features(TRICKY, recipe)
    indices = tuple(np.unique(features.indices).tolist())
    coef = tuple(np.linspace(-1, 1, len(indices)).tolist())
    heads = {"every": NgramWeights(recipe, indices, coef, 0.0), **_heads(1, recipe)}
    _assert_compiled_logits_are_the_matrix_product(TRICKY, heads)
