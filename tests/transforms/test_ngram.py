import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from transforms.markers import MarkerError, read_head
from transforms.ngram import (
    NGRAM_BUCKETS,
    NGRAM_FEATURES,
    WORDS_ONLY,
    ngram_features,
    ngram_logits,
    ngram_scores,
)


def test_features_are_the_same_for_the_same_text_in_any_batch_and_any_script():
    texts = ["Me siento sola", "so tired 😞", "", "Ich bin müde", "me siento sola"]
    together = ngram_features(texts).toarray()
    assert together.shape == (5, 2 * NGRAM_BUCKETS)
    assert np.array_equal(together[1], ngram_features(["so tired 😞"]).toarray()[0])
    assert np.array_equal(together[0], together[4]) and not together[2].any()


def test_logits_over_the_kept_buckets_equal_the_dense_model():
    texts = ["cannot sleep again", "lovely dinner", "awake all night", "great tacos"] * 3
    y = np.array([1, 0, 1, 0] * 3)
    features = ngram_features(texts)
    model = LogisticRegression(solver="liblinear").fit(features, y)
    kept = np.flatnonzero(model.coef_[0])
    logits = ngram_logits(features, kept, model.coef_[0][kept], model.intercept_[0])
    assert np.allclose(logits, model.decision_function(features))


def test_a_head_of_another_recipe_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "x.head.json"
    head = {"family": "ngram", "indices": [1, 2], "coef": [0.1, 0.2], "intercept": 0.0,
            "threshold": 0.5, "languages": ["es"]}  # fmt: skip
    path.write_text(json.dumps({**head, "model": NGRAM_FEATURES}))
    assert read_head(path).indices == (1, 2)
    path.write_text(json.dumps({**head, "model": "ngram-v0"}))
    with pytest.raises(MarkerError, match="--family ngram"):
        read_head(path)


def test_the_words_recipe_is_the_word_block_of_v1():
    texts = ["Me siento sola", "so tired 😞", "", "can't sleep, can't eat"]
    words = ngram_features(texts, WORDS_ONLY)
    assert words.shape == (4, NGRAM_BUCKETS)
    assert (words != ngram_features(texts)[:, :NGRAM_BUCKETS]).nnz == 0


def test_heads_of_both_recipes_score_together_each_on_its_own_features(tmp_path):
    texts = ["cannot sleep again", "lovely dinner", "awake all night"]
    heads = {}
    for recipe in (NGRAM_FEATURES, WORDS_ONLY):
        path = tmp_path / f"{recipe}.head.json"
        path.write_text(json.dumps({"family": "ngram", "model": recipe, "indices": [5, 9],
                                    "coef": [0.5, -1.0], "intercept": 0.2, "threshold": 0.5,
                                    "languages": ["en"]}))  # fmt: skip
        heads[recipe] = read_head(path)
    scores = ngram_scores(texts, heads)
    for recipe, head in heads.items():
        logits = ngram_logits(ngram_features(texts, recipe), head.indices, head.coef, 0.2)
        assert np.array_equal(scores[recipe], 1.0 / (1.0 + np.exp(-logits)))


def test_a_hybrid_head_needs_a_known_recipe_and_one_index_per_ngram_weight(tmp_path):
    path = tmp_path / "x.head.json"
    head = {"family": "hybrid", "model": "all-MiniLM-L6-v2", "coef": [0.1, 0.2], "intercept": 0.0,
            "threshold": 0.5, "languages": ["en"], "indices": [3], "ngram_coef": [0.4]}  # fmt: skip
    path.write_text(json.dumps({**head, "recipe": WORDS_ONLY}))
    part = read_head(path).ngram_weights
    assert (part.recipe, part.indices, part.coef, part.intercept) == (WORDS_ONLY, (3,), (0.4,), 0)
    for broken in ({"recipe": "ngram-v0"}, {"recipe": WORDS_ONLY, "ngram_coef": []}):
        path.write_text(json.dumps({**head, **broken}))
        with pytest.raises(MarkerError, match="--family hybrid"):
            read_head(path)
