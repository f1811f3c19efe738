import json

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from moodcast.training import FOLDS, _best_threshold, train_heads
from transforms.model_markers import ModelConfig
from transforms.ngram import ngram_features


def test_best_threshold_is_the_f1_optimal_cut_and_prefers_the_higher_of_ties():
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    gold = np.array([False, False, True, False, True, True])
    cut, f1 = _best_threshold(scores, gold)
    assert cut == 0.25 and f1 == 2 * 3 / (4 + 3)
    assert _best_threshold(np.array([0.2, 0.8]), np.array([False, True])) == (0.5, 1.0)


def _rare_label_rows() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    words = ["rain", "bus", "coffee", "desk", "lunch", "email", "train", "phone", "walk", "code"]
    texts, labels = [], []
    for i in range(120):
        chosen = list(rng.choice(words, size=5))
        positive = i % 8 == 0
        if positive or i % 17 == 0:
            chosen[int(rng.integers(5))] = "insomnia" if positive else "sleepy"
        texts.append(" ".join(chosen))
        labels.append(int(positive))
    return pl.DataFrame({"text": texts, "lang": ["en"] * 120, "sleep": labels})


def test_a_head_keeps_the_f1_optimal_cut_of_its_held_out_probabilities(tmp_path):
    rows = _rare_label_rows()
    no_model = ModelConfig(models={})
    (head,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                          family="ngram")  # fmt: skip
    saved = json.loads(head.path.read_text())
    features = ngram_features(rows["text"].to_list())
    y = rows["sleep"].to_numpy()
    model = LogisticRegression(class_weight="balanced", solver="liblinear")
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    held_out = cross_val_predict(model, features, y, cv=folds, method="predict_proba")[:, 1]
    cut, f1 = _best_threshold(held_out, y.astype(bool))
    assert saved["threshold"] == cut != 0.5
    assert saved["cv_f1"] == round(f1, 4) == round(head.cv_f1, 4)


def test_a_words_only_head_names_its_recipe_and_an_unknown_recipe_is_refused(tmp_path):
    import pytest

    from moodcast.tagging import TaggingError
    from transforms.markers import read_head

    rows = _rare_label_rows()
    no_model = ModelConfig(models={})
    (head,) = train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                          family="ngram", recipe="ngram-words")  # fmt: skip
    loaded = read_head(head.path)
    assert loaded.model == "ngram-words" and max(loaded.indices) < 2**18
    with pytest.raises(TaggingError, match="ngram-v1, ngram-words"):
        train_heads(rows, markers={}, config=no_model, out_dir=tmp_path, origin="t",
                    family="ngram", recipe="ngram-v3")  # fmt: skip


def test_a_hybrid_head_scores_as_one_model_on_the_embedding_beside_the_ngrams(tmp_path):
    import pickle

    import pytest
    from scipy import sparse

    from transforms.embedding import load_encoder
    from transforms.markers import load_markers
    from transforms.model_markers import SourceError, encoder_languages
    from transforms.model_scoring import score_embeddings, score_texts

    rows = _rare_label_rows()
    encoder = load_encoder()
    (head,) = train_heads(rows, markers={}, config=ModelConfig(), out_dir=tmp_path, origin="t",
                          family="hybrid", recipe="ngram-words", encoder=encoder)  # fmt: skip
    assert head.rows == 120 and head.new_marker
    marker = load_markers(tmp_path)["sleep"]
    loaded = marker.heads["en"]
    assert (loaded.family, loaded.recipe, len(loaded.coef)) == ("hybrid", "ngram-words", 384)
    assert encoder_languages({"sleep": marker}, ModelConfig(), ["en", "es"]) == ["en"]

    texts = rows["text"].to_list()
    embeddings = encoder.encode(texts)
    features = sparse.hstack([embeddings, ngram_features(texts, "ngram-words")], format="csr")
    y = rows["sleep"].to_numpy()
    model = LogisticRegression(class_weight="balanced", solver="liblinear").fit(features, y)
    scored = ["insomnia again tonight", "coffee and a walk to the desk"]
    expected = model.predict_proba(
        sparse.hstack([encoder.encode(scored), ngram_features(scored, "ngram-words")])
    )[:, 1]
    found = score_texts(scored, lang="en", markers=pickle.loads(pickle.dumps({"sleep": marker})),
                        encoder=encoder)["sleep"]  # fmt: skip
    assert np.allclose(found, expected, atol=1e-4) and found[0] > found[1]
    assert score_texts(scored, lang="en", markers={"sleep": marker}, encoder=None) == {}
    with pytest.raises(SourceError, match="score_texts"):
        score_embeddings(encoder.encode(scored), lang="en", markers={"sleep": marker},
                         encoder=encoder)  # fmt: skip
