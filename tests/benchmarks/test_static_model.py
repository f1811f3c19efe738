"""The static-model benchmark's encoder and heads, on a tiny static model and posts built here."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks import head_sets as hs
from benchmarks import marker_sets as ms
from benchmarks import static_model as sm

WORDS = ("furious", "happy", "table", "today", "again", "now")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> sm.StaticEncoder:
    """A model2vec static model over WORDS (random 8-dimensional vectors), saved and loaded as
    the benchmark loads a distilled one."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(
        models.WordLevel({w: i for i, w in enumerate(("[UNK]", *WORDS))}, unk_token="[UNK]")
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(0).normal(size=(len(WORDS) + 1, 8)).astype(np.float32)
    path = tmp_path_factory.mktemp("static") / "tiny"
    StaticModel(vectors, tokenizer, normalize=True).save_pretrained(str(path))
    return sm.StaticEncoder(path)


def test_the_static_encoder_gives_unit_rows_whatever_the_batch(encoder):
    alone = encoder.encode(["furious today"])
    batch = encoder.encode(["happy now", "furious today", "table"])
    assert batch.dtype == np.float32 and batch.shape == (3, encoder.dim) == (3, 8)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-3)
    assert np.array_equal(alone[0], batch[1])
    assert encoder.encode([]).shape == (0, 8)


def _posts(ids: range) -> pl.DataFrame:
    """Posts whose anger shows in `furious`; the others say `happy` or `table`."""
    words = [("furious", "happy", "table")[i % 3] for i in ids]
    return pl.DataFrame(
        {
            "id": [str(i) for i in ids],
            "text": [f"{w} {WORDS[3 + i % 3]}" for i, w in zip(ids, words, strict=True)],
            "lang": ["en"] * len(ids),
            "anger": [w == "furious" for w in words],
        }
    )


def test_a_static_head_is_trained_and_judged_as_markers_train_makes_it(encoder, tmp_path):
    labelled = ms.LabelledSet("tiny", "en", ("anger",), dict.fromkeys(ms.SPLITS, "x.csv"), "tiny")
    markers = hs.trained(labelled, _posts(range(60)), "embedding", "ngram-v1", encoder, tmp_path)
    head = markers["anger"].heads["en"]
    assert head.family == "embedding" and len(head.coef) == encoder.dim
    assert head.model == "tiny"
    assert hs.label_f1(labelled, _posts(range(60, 90)), markers, encoder) == {"anger": 1.0}
