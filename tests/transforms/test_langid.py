"""Batch language identification gives py3langid's own answer, text by text."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from transforms.langid import feature_counts, identify, identify_series

TEXTS = [
    "I can't sleep again, my mind keeps racing about work tomorrow",
    "Hoy fue el mejor día en mucho tiempo, vino toda la familia",
    "Bonjour à tous, je suis tellement fatigué ce soir",
    "Ich habe heute keine Lust, aus dem Haus zu gehen",
    "Estou muito feliz com o resultado do jogo de ontem",
    "Sono stanco morto, vado a dormire presto stasera",
    "Ik heb vandaag de hele dag gewerkt en ben moe",
    "Привет, как дела? Я очень устал сегодня",
    "今日はとても疲れたので早く寝ます",
    "오늘은 정말 피곤한 하루였어요",
    "ALL CAPS BECAUSE I AM SO ANGRY RIGHT NOW",
    "cafe\u0301 con leche y pan dulce por la man\u0303ana",  # decomposed accents: NFC first
    "#mentalhealth #selfcare 😀😀😀",
    "1234 5678 !!!",
    "",
    "ok",
    "long " * 400,
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE)


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_identify_agrees_with_py3langid_text_by_text(reference, engine):
    assert identify(TEXTS, engine=engine) == [reference.classify(t)[0] for t in TEXTS]


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_restricted_to_languages_agrees_with_py3langid_set_languages(reference, engine):
    reference.set_languages(["en", "es", "pt"])
    try:
        expected = [reference.classify(t)[0] for t in TEXTS]
    finally:
        reference.set_languages(None)
    assert identify(TEXTS, languages=["en", "es", "pt"], engine=engine) == expected
    assert set(expected) <= {"en", "es", "pt"}


def test_missing_text_counts_as_empty_and_order_is_kept():
    assert identify([None, TEXTS[0], ""]) == [identify([""])[0], "en", identify([""])[0]]
    assert identify([]) == []
    out = identify_series(pl.Series("text", [TEXTS[1], TEXTS[0]]))
    assert out.to_list() == ["es", "en"] and out.name == "text"


def test_unknown_language_code_is_refused():
    with pytest.raises(ValueError, match="unknown language code"):
        identify(TEXTS[:1], languages=["en", "klingon"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.sampled_from(list("ab eé.!Жж日🙂\n")), max_size=40), max_size=30))
def test_interleaved_walks_count_each_texts_features_as_py3langid_does(reference, texts):
    indptr, features, counts = feature_counts(texts, engine="compiled")
    for i, text in enumerate(texts):
        visits = visit_counts(
            reference.tk_nextmove, reference._rowbase, reference.tk_output, reference._encode(text)
        )
        row = slice(indptr[i], indptr[i + 1])
        assert dict(zip(features[row].tolist(), counts[row].tolist(), strict=True)) == dict(
            visits or {}
        )
        assert features[row].tolist() == sorted(visits or {})
