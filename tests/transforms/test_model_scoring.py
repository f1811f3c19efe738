from dataclasses import replace

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import model_scoring
from transforms.embedding import load_encoder
from transforms.markers import load_markers
from transforms.model_scoring import model_scores, model_text, model_texts
from transforms.ngram import NGRAM_BUCKETS, RECIPES, NgramWeights, ngram_head_logits, ngram_scores


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.sampled_from(list("ab .\t\n\r\u00a0\u2003\u200b\x1c\x85é")), max_size=30))
)
def test_model_text_is_the_trimmed_text_with_each_whitespace_run_as_one_space(texts):
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    got = frame.select(model_text(pl.col("text"))).to_series()
    expected = frame.select(pl.col("text").str.strip_chars().str.replace_all(r"\s+", " "))
    assert got.to_list() == expected.to_series().to_list()


class _Recording:
    """The real encoder, recording the texts of each call."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.name, self.backend, self.dim = encoder.name, encoder.backend, encoder.dim
        self.cache_dir = encoder.cache_dir
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self._encoder.encode(texts)


def test_a_chunks_texts_reach_the_model_in_bounded_slices_and_score_as_in_one_call(monkeypatch):
    english = [
        f"Nothing will ever get better, I feel {w}, day {i}"
        for i, w in enumerate(("sad", "low", "blue"))
    ]
    english += [f"Lunch with friends by the river, number {i}" for i in range(8)]
    posts = pl.DataFrame(
        {
            "lang": ["en"] * 6 + ["es"] * 2 + ["en"] * 5 + ["en"],
            "text": english[:6] + ["Me siento sola", "Qué día"] + english[6:] + [english[0]],
        }
    )
    hopelessness = replace(load_markers()["hopelessness"], rule="model")
    encoder = _Recording(load_encoder())
    texts = model_texts(posts)
    monkeypatch.setattr(model_scoring, "SCORE_BATCH_TEXTS", 4)
    sliced = model_scores(texts, markers={"hopelessness": hopelessness}, encoders={"en": encoder})
    scored = [call for call in encoder.calls if set(call) <= set(english)]
    assert sorted(t for call in scored for t in call) == sorted(english)
    assert max(len(call) for call in scored) == 4
    monkeypatch.setattr(model_scoring, "SCORE_BATCH_TEXTS", len(english))
    whole = model_scores(texts, markers={"hopelessness": hopelessness}, encoders={"en": encoder})
    assert sliced.drop("hopelessness__model").equals(whole.drop("hopelessness__model"))
    assert sliced.height == 13 and sliced["hopelessness__model"].null_count() == 2
    np.testing.assert_allclose(
        sliced["hopelessness__model"].to_numpy(), whole["hopelessness__model"].to_numpy(), rtol=1e-5
    )


def test_a_language_without_a_sentence_model_scores_its_ngram_heads_in_one_call(monkeypatch):
    texts = model_texts(
        pl.DataFrame(
            {
                "lang": ["en"] * 5 + ["es"],
                "text": [f"I want to die, day {i}" for i in range(5)] + ["Quiero morir"],
            }
        )
    )
    suicide_risk = load_markers()["suicide_risk"]
    calls = []

    def recording(texts, weights):
        calls.append(len(texts))
        return ngram_head_logits(texts, weights)

    monkeypatch.setattr(model_scoring, "ngram_head_logits", recording)
    monkeypatch.setattr(model_scoring, "SCORE_BATCH_TEXTS", 2)
    scores = model_scores(texts, markers={"suicide_risk": suicide_risk}, encoders={})
    assert calls == [5]
    expected = ngram_scores(texts["text"][:5], {"suicide_risk": suicide_risk.heads["en"]})
    assert np.array_equal(scores["suicide_risk__model"][:5].to_numpy(), expected["suicide_risk"])
    assert scores["suicide_risk__model"][5] is None


_SPACED = st.text(
    st.sampled_from(list("aB9_ .,'Σσ\t\n\r\x0b\x0c\x1c\x85\u00a0\u1680\u2003\u2028\u3000\u200bé")),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_SPACED, min_size=1, max_size=10), st.sampled_from(sorted(RECIPES)))
def test_ngram_heads_score_a_text_and_its_model_text_alike(texts, recipe):
    rng = np.random.default_rng(len(texts))
    width = NGRAM_BUCKETS * (2 if RECIPES[recipe] else 1)
    indices = np.sort(rng.choice(width, 50_000, replace=False))
    weights = {"h": NgramWeights(recipe, tuple(indices.tolist()), tuple(rng.normal(size=50_000)))}
    raw = pl.Series(texts, dtype=pl.String)
    normalised = pl.select(model_text(pl.lit(raw))).to_series()
    assert np.array_equal(
        ngram_head_logits(raw, weights)["h"], ngram_head_logits(normalised, weights)["h"]
    )
    kept = model_texts(pl.DataFrame({"lang": ["en"] * len(texts), "text": raw}), normalise=False)
    assert kept.get_column("text").equals(raw, check_names=False)
