"""Accent folding and canonical text: the fast table-driven forms must equal the plain Unicode
definitions they replace (lower-case, NFD, drop every combining mark, keep ñ; symbols as tokens,
single spaces)."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.markers.rules import ELONGATED, ELONGATED_TO, canonical, drop_contained
from transforms.text import (
    ALTERNATE_CODES,
    APOSTROPHES,
    fold,
    join_contractions,
    primary_subtag,
    stated_languages,
)

_ENYE = "\ue001"


def _nfd_fold(text: pl.Expr) -> pl.Expr:
    return (
        text.str.to_lowercase()
        .str.replace_all("ñ", _ENYE, literal=True)
        .str.normalize("NFD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(_ENYE, "ñ", literal=True)
    )


def _regex_canonical(text: pl.Expr) -> pl.Expr:
    return (
        " "
        + _nfd_fold(text)
        .str.replace_all(r"['’`´ʼ]", "")
        .str.replace_all(ELONGATED, ELONGATED_TO)
        .str.replace_all(r"([^\p{L}\p{N}\s])", " $1 ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(" ")
        + " "
    )


TRICKY = [
    "Corazón ROTO", "AÑO año Año", "an\u0303o", "Ǖ ǖ ṩ", "Việt Nam", "Ελληνικά άέή", "йёЙЁ",
    "한국어 텍스트", "ﬁ ﬂ Å", "i\u0307 İ", "sooo   saaad!!", "no,estoy  triste :( <3 😢😭",
    "tab\there\nnew\u00a0nbsp\u3000wide", "can't don’t l´amour ʼok", "\x00\x07\x7f", "",
    "¿Qué? ¡Sí! …", "a\u0301\u0301\u0301", "#IWantToDie",
]  # fmt: skip


def test_fold_and_canonical_equal_their_unicode_definitions_on_tricky_text():
    texts = pl.Series(TRICKY, dtype=pl.String)
    assert pl.select(fold(pl.lit(texts))).to_series().to_list() == (
        pl.select(_nfd_fold(pl.lit(texts))).to_series().to_list()
    )
    assert pl.select(canonical(pl.lit(texts))).to_series().to_list() == (
        pl.select(_regex_canonical(pl.lit(texts))).to_series().to_list()
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=8))
def test_fold_and_canonical_equal_their_unicode_definitions_on_any_text(texts):
    series = pl.Series(texts, dtype=pl.String)
    assert (
        pl.select(fold(pl.lit(series)))
        .to_series()
        .equals(pl.select(_nfd_fold(pl.lit(series))).to_series(), check_names=False)
    )
    assert (
        pl.select(canonical(pl.lit(series)))
        .to_series()
        .equals(pl.select(_regex_canonical(pl.lit(series))).to_series(), check_names=False)
    )


def _found(offset: int) -> pl.DataFrame:
    rows = [  # (row, marker, start, end), sorted by row, marker, start, end descending
        (0, "a", 0, 10), (0, "a", 2, 6), (0, "a", 8, 14), (0, "b", 2, 6),
        (1, "a", 0, 4), (1, "a", 0, 3), (1, "a", 5, 9),
    ]  # fmt: skip
    return pl.DataFrame(
        [(r, m, s + offset, e + offset) for r, m, s, e in rows],
        schema={"row": pl.UInt32, "marker": pl.String, "start": pl.Int64, "end": pl.Int64},
        orient="row",
    )


def test_longest_match_keeps_the_same_occurrences_whatever_the_text_length():
    kept = [(0, "a", 0, 10), (0, "a", 8, 14), (0, "b", 2, 6), (1, "a", 0, 4), (1, "a", 5, 9)]
    assert drop_contained(_found(0)).rows() == kept
    huge = 2**61  # offsets this large take the windowed path that cannot overflow
    shifted = [(r, m, s + huge, e + huge) for r, m, s, e in kept]
    assert drop_contained(_found(huge)).rows() == shifted


def test_language_identification_chooses_among_the_configured_languages_only():
    from transforms.text import UNDETERMINED, LanguageRule, identify_language

    both = LanguageRule(languages=("en", "es"))
    assert identify_language("I can't sleep again, everything feels so heavy", both) == "en"
    assert identify_language("No puedo dormir otra vez, todo me pesa tanto", both) == "es"
    assert identify_language("Congrats!", both) == "en"
    assert identify_language("😭😭😭", both) == UNDETERMINED
    assert identify_language("", both) == UNDETERMINED


def test_short_or_unclear_posts_take_the_inputs_default_language():
    from transforms.text import LanguageRule, complete_languages, identify_language

    spanish_input = LanguageRule(languages=("en", "es"), default="es")
    assert identify_language("😭😭😭", spanish_input) == "es"
    assert identify_language("ok", spanish_input) == "es"
    assert identify_language("Congrats!", spanish_input) == "es"
    assert (
        identify_language("I can't sleep again, everything feels so heavy", spanish_input) == "en"
    )
    langs = complete_languages(
        pl.Series([None, "en", None], dtype=pl.String),
        pl.Series(["😭", "hola", "I can't sleep again, everything feels so heavy"]),
        spanish_input,
    )
    assert langs.to_list() == ["es", "en", "en"]


def test_tokenised_contractions_are_joined_in_english_only():
    texts = pl.Series(
        ["I can ’ t", "I ’M sad", "do n't go", "we 're", "it` s", "get 'em", "said ' the end",
         "it ’ sad", "tú ’ ve", "can\t't", None],
    )  # fmt: skip
    english = join_contractions(texts, pl.Series(["en"] * 11))
    assert english.to_list() == [
        "I can’t", "I’M sad", "don't go", "we're", "it`s", "get 'em", "said ' the end",
        "it ’ sad", "tú’ve", "can\t't", None,
    ]  # fmt: skip
    assert join_contractions(texts, pl.Series(["es"] * 10 + [None])).equals(texts)


def test_a_chain_of_tokenised_contractions_is_joined_whole():
    texts = pl.Series(
        ["could n't 've", "I 'd 've", "would n ’ t ’ ve gone", "it ' s ' ll", "don't ' s",
         "y ' all ' d", "should n't 've '"],
    )  # fmt: skip
    assert join_contractions(texts, pl.Series(["en"] * 7)).to_list() == [
        "couldn't've", "I'd've", "wouldn’t’ve gone", "it's'll", "don't's",
        "y ' all'd", "shouldn't've '",
    ]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["could", "I", "n", "N", "t", "d", "ve", "ll", "em", "the",
                                  "x1", " ", "  ", *APOSTROPHES]), max_size=12),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([" ", ""]),
)  # fmt: skip
def test_joined_contractions_are_a_fixed_point(posts, gap):
    texts = pl.Series([gap.join(words) for words in posts], dtype=pl.String)
    langs = pl.Series(["en"] * len(posts))
    joined = join_contractions(texts, langs)
    assert join_contractions(joined, langs).equals(joined)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en-US", "en"),
        ("pt_BR", "pt"),
        ("EN", "en"),
        (" es ", "es"),
        ("", None),
        ("-", None),
        (None, None),
        ("spa", "es"),
        ("ENG", "en"),
        ("fre", "fr"),
        ("fra-CA", "fr"),
        ("ger_AT", "de"),
        ("es-419", "es"),
        ("iw", "he"),
        ("yue", "yue"),
        ("ary", "ary"),
        ("Spanish", "spanish"),
    ],
)
def test_a_stated_language_is_its_primary_subtag_in_bcp47_and_posix_forms(value, code):
    frame = pl.DataFrame({"lang": [value]}, schema={"lang": pl.String})
    assert frame.select(primary_subtag(pl.col("lang"))).item() == code


def test_each_alternate_code_names_a_language_py3langid_identifies_and_none_of_its_own():
    from transforms.langid import known_languages

    labels = known_languages()
    assert set(ALTERNATE_CODES.values()) <= labels
    assert not set(ALTERNATE_CODES) & labels


def test_stated_languages_read_each_distinct_value_as_primary_subtag_reads_it():
    lang = pl.Series("lang", ["spa", None, "en-US", "spa", "", "yue", "en-US"])
    expected = pl.select(primary_subtag(pl.lit(lang))).to_series().alias("lang")
    assert stated_languages(lang).equals(expected)
    assert stated_languages(lang).to_list() == ["es", None, "en", "es", None, "yue", "en"]


@pytest.mark.parametrize(
    "value", ["und", "UND", "und-Latn", "zxx", "mul", "qme", "QHT", "qam", "qct", "qst"]
)
def test_a_stated_code_that_names_no_language_is_read_as_no_stated_language(value):
    """Regression: X/Twitter's `und`, `zxx` and private-use `q..` codes were kept as stated
    languages, so those posts were filtered instead of identified."""
    assert stated_languages(pl.Series([value, "en"])).to_list() == [None, "en"]
