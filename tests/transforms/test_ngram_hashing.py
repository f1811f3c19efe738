"""The compiled hashed n-grams (and the heads' logits computed from them without the matrix)
must equal scikit-learn's HashingVectorizer pair that defines
the `ngram-v1` recipe (transforms.ngram's module doc; `_vectorizers` here), bit for bit."""

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import hstack

from transforms import ngram_hashing
from transforms.buffers import utf8_buffers
from transforms.ngram import (
    NGRAM_BUCKETS,
    NGRAM_FEATURES,
    RECIPES,
    WORDS_ONLY,
    NgramWeights,
    ngram_features,
    ngram_head_logits,
    ngram_logits,
    ngram_scores,
)
from transforms.ngram_hashing import AS_A_WHOLE, UNKNOWN, CodePoints, hashed_logits, hashed_ngrams

TRICKY = [
    "", " ", "\n", "a", "ab", "abc", "abcd", "abcde", "I", "Corazón ROTO", "an\u0303o",
    "日本語のテキスト", "🙂🙂 x 😢😭", "a\u2003b\x1cc\u00a0d", "don't  stop\n\nnow", "x" * 300,
    "İstanbul ΣΑΣ ﬁ", "under_score snake_case __", "1 22 333 4444", "tab\tsep\tvalues ",
    "  leading and trailing  ", "#hashtag @user https://example.org/a?b=c", "\x00nul\x00",
]  # fmt: skip

_ALPHABET = st.sampled_from(
    list("aAbBzZ09_ .,!?'#@-\t\n") + ["é", "ñ", "İ", "ß", "Σ", "ж", "한", "日", "🙂", "\u0303",
    "\u2003", "\x1c", "\u00a0", "\u200b", "ﬁ", "\x00"]
)  # fmt: skip


def _vectorizers():
    """The `ngram-v1` recipe as scikit-learn's HashingVectorizer pair (words, characters), new
    on each call: a test may change their parameters."""
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"n_features": NGRAM_BUCKETS, "alternate_sign": False, "norm": "l2"}
    return (
        HashingVectorizer(
            analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common
        ),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common),
    )


def _reference(texts: list[str]):
    words, chars = _vectorizers()
    matrix = hstack([words.transform(texts), chars.transform(texts)], format="csr")
    matrix.sort_indices()
    return matrix


def _assert_same(texts: list[str]) -> None:
    expected = _reference(texts)
    got = hashed_ngrams(texts, buckets=NGRAM_BUCKETS)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def test_tricky_texts_match_scikit_learn():
    _assert_same(TRICKY)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=120), min_size=1, max_size=12))
def test_random_texts_match_scikit_learn(texts):
    _assert_same(texts)


def test_batches_join_into_one_matrix(monkeypatch):
    monkeypatch.setattr(ngram_hashing, "BATCH_TEXTS", 4)
    _assert_same(TRICKY)


def test_ngram_features_uses_the_compiled_counts():
    assert (ngram_features(TRICKY) != _reference(TRICKY)).nnz == 0


def test_no_texts_is_an_empty_matrix():
    assert hashed_ngrams([], buckets=8).shape == (0, 16)


def test_ngram_scores_equal_the_features_times_the_weights_bit_for_bit():
    head = SimpleNamespace(indices=[3, 70_000, 262_150, 400_000], coef=[0.5, -1.0, 2.0, 0.25],
                           intercept=-0.1, model=NGRAM_FEATURES)  # fmt: skip
    whole = ngram_scores(TRICKY, {"m": head})["m"]
    logits = ngram_logits(ngram_features(TRICKY), head.indices, head.coef, head.intercept)
    assert np.array_equal(whole, 1.0 / (1.0 + np.exp(-logits)))
    assert np.array_equal(ngram_scores(pl.Series(TRICKY), {"m": head})["m"], whole)
    assert np.array_equal(ngram_scores(TRICKY[::-1], {"m": head})["m"], whole[::-1])
    assert ngram_scores([], {"m": head})["m"].shape == (0,)


def _heads(seed: int, recipe: str) -> dict[str, NgramWeights]:
    rng = np.random.default_rng(seed)
    width = NGRAM_BUCKETS * (2 if RECIPES[recipe] else 1)
    heads = {}
    for name, size in (("dense", 40_000), ("sparse", 300)):
        indices = np.sort(rng.choice(width, size, replace=False))
        coef = rng.normal(size=size)
        heads[name] = NgramWeights(recipe, tuple(indices.tolist()), tuple(coef.tolist()), 0.3)
    return heads


@pytest.mark.parametrize("engine", ["compiled", "reference"])
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(_ALPHABET, max_size=120), min_size=1, max_size=12),
    st.sampled_from(sorted(RECIPES)),
    st.integers(0, 3),
)
def test_head_logits_equal_the_features_times_the_weights(engine, texts, recipe, seed):
    heads = _heads(seed, recipe)
    got = ngram_head_logits(texts, heads, engine=engine)
    features = ngram_features(texts, recipe)
    for name, head in heads.items():
        expected = ngram_logits(features, head.indices, head.coef, head.intercept)
        assert np.array_equal(got[name], expected)


def test_code_points_are_learned_once_and_context_lowering_goes_to_python():
    tables = CodePoints(lowercase=True), CodePoints(lowercase=False)
    texts = ["ЖИЗНЬ İstanbul", "ΟΔΟΣ Σ", "Жизнь"]
    series = pl.Series(texts)
    heads = _heads(0, WORDS_ONLY)
    indices = np.asarray(heads["dense"].indices)
    coef = np.asarray(heads["dense"].coef)[:, None]
    data, offsets = utf8_buffers(series)
    got = hashed_logits(data, offsets, tables, buckets=NGRAM_BUCKETS, chars=None, kept=indices,
                        coef=coef)  # fmt: skip
    assert tables[0].lower[ord("Ж")] == ord("ж") and tables[0].lower[ord("ж")] == UNKNOWN
    assert tables[0].lower[0x3A3] == AS_A_WHOLE and tables[0].lower[0x130] == AS_A_WHOLE
    expected = ngram_logits(ngram_features(texts, WORDS_ONLY), indices, coef[:, 0], 0.0)
    assert np.array_equal(got[0], expected)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.text(_ALPHABET, max_size=80), min_size=1, max_size=8),
    st.sampled_from([None, (2, 3), (3, 4), (3, 5), (4, 4)]),
)
def test_other_character_orders_match_scikit_learn(texts, chars):
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"n_features": 64, "alternate_sign": False, "norm": "l2"}
    parts = [_vectorizers()[0].set_params(n_features=64).transform(texts)]
    if chars:
        parts.append(
            HashingVectorizer(analyzer="char_wb", ngram_range=chars, **common).transform(texts)
        )
    expected = hstack(parts, format="csr")
    expected.sort_indices()
    got = hashed_ngrams(texts, buckets=64, chars=chars)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def test_repeated_weighed_features_and_long_word_pairs_equal_the_matrix_product():
    texts = [
        "aaaa aaaa aaaa bbbbbbbbb aaaa bbbbbbbbb",
        "abcdefgh ijklmnopq abcdefgh ijklmnopq",
        "x y x y x",
    ]
    for recipe in sorted(RECIPES):
        features = ngram_features(texts, recipe)
        indices = tuple(np.unique(features.indices).tolist())
        head = NgramWeights(recipe, indices, tuple(np.linspace(-1, 1, len(indices)).tolist()), 0.0)
        expected = ngram_logits(features, head.indices, head.coef, head.intercept)
        assert np.array_equal(ngram_head_logits(texts, {"h": head})["h"], expected)
