"""The compiled scanner behind `score` must give exactly what the reference path gives:
`canonical` text, then `occurrences` (the polars implementation of the matching rules)."""

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.hashtags import split_hashtags, vocabulary
from transforms.markers import load_markers, parse_marker, score, supported_languages
from transforms.matching import (
    FIRST_PERSON_CUES,
    NEGATION_CUES,
    canonical,
    compile_lexicon,
    occurrences,
)

BUILTIN = load_markers()
TERMS = sorted(
    {
        t
        for m in BUILTIN.values()
        for terms in (*m.terms.values(), *m.guards.values())
        for t in terms
    }
)


def _reference(frame: pl.DataFrame, markers) -> pl.DataFrame:
    """`score(frame, markers, explain=True)` computed with the reference path alone."""
    known = vocabulary(t for m in markers.values() for terms in m.terms.values() for t in terms)
    canon = pl.select(canonical(pl.lit(split_hashtags(frame["text"], known)))).to_series()
    words = canon.str.count_matches(r" [\p{L}\p{N}]").fill_null(0).to_list()
    found: dict[tuple[int, str], list[str]] = {}
    for lang in supported_languages(markers):
        rows = (frame["lang"] == lang).fill_null(False).arg_true()
        occ = occurrences(canon.gather(rows), compile_lexicon(markers, lang))
        for row, marker, term in occ.iter_rows():
            found.setdefault((rows[row], marker), []).append(term)
    columns = {}
    for name, marker in markers.items():
        source = frame["lang"].is_in(sorted(marker.languages)).to_list()
        terms = [found.get((i, name), []) for i in range(frame.height)]
        counts = [len(t) for t in terms]
        columns[name] = [c > 0 if s else None for c, s in zip(counts, source, strict=True)]
        columns[f"{name}__count"] = [c if s else None for c, s in zip(counts, source, strict=True)]
        columns[f"{name}__score"] = [  # a post of emoji alone has no word: polars gives inf
            ((c / w if w else math.inf) if c else 0.0) if s else None
            for c, w, s in zip(counts, words, source, strict=True)
        ]
        columns[f"{name}__terms"] = [t if s else None for t, s in zip(terms, source, strict=True)]
    return pl.DataFrame(columns, schema=score(frame.head(0), markers, explain=True).schema)


PIECES = st.one_of(
    st.sampled_from(TERMS),
    st.sampled_from([*NEGATION_CUES["en"], *NEGATION_CUES["es"], *FIRST_PERSON_CUES["es"]]),
    st.sampled_from(["I", "My", "matarme", "sooo", "saaad", "TRISTÍSIMA", ".", "¿", ",", ":(",
                     "#IWantToDie", "#mesientosola", "😭", "ΣΑΣ", "≠", "ʼ", "_", "a\u0301"]),
    st.text(max_size=4),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(PIECES, max_size=14), st.sampled_from(["en", "es", "fr", None])),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([" ", "  ", "\n", "", " , "]),
)
def test_scanner_equals_the_reference_path(posts, gap):
    frame = pl.DataFrame(
        {"text": [gap.join(words) for words, _ in posts], "lang": [lang for _, lang in posts]},
        schema={"text": pl.String, "lang": pl.String},
    )
    assert score(frame, BUILTIN, explain=True).equals(_reference(frame, BUILTIN))


LONG = "abcdefghij" * 16
"""A word longer than the 160 characters the reference path's windows look back and ahead."""


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (f"not {LONG} happy", "en"),
        (f"x{LONG}not happy", "en"),
        (f"my {LONG[:150]} a want to die", "en"),
        (f"they want to die {LONG[:152]} me", "en"),
        (f"they want to die {LONG[:159]} me", "en"),
        (f"{LONG}mi quiero morir", "es"),
        (f"no {LONG[:155]} triste", "es"),
    ],
)
def test_posts_with_words_longer_than_the_windows_match_the_reference(text, lang):
    frame = pl.DataFrame({"text": [text, text.upper()], "lang": [lang, lang]})
    assert score(frame, BUILTIN, explain=True).equals(_reference(frame, BUILTIN))


def test_posts_with_new_or_context_cased_characters_match_the_reference():
    texts = ["ΣΟΣ so sad", "ÁNGST ǅ İ sooo saaad", "ǅemal Ⅻ ﬁ triste", "ὈΔΥΣΣΕΎΣ not happy"]
    frame = pl.DataFrame({"text": texts, "lang": ["en", "en", "es", "en"]})
    assert score(frame, BUILTIN, explain=True).equals(_reference(frame, BUILTIN))


def test_prefix_terms_take_a_first_person_cue_after_them_like_the_reference():
    raw = {
        "name": "overdose",
        "cue": "first_person",
        "lang": {"en": {"terms": ["overdos*", "want to die"]}, "es": {"terms": ["sobredosi*"]}},
    }
    markers = {"overdose": parse_marker(raw, origin="test")}
    texts = [
        ("so tired, overdosing is all i think about", "en"),
        ("so tired, overdosing is all they talk about", "en"),
        (f"so tired, overdos{LONG[:120]} so i", "en"),
        (f"so tired, overdos{LONG} so i", "en"),
        (f"so tired, overdosing {LONG} i", "en"),
        ("qué cansancio, sobredosis es lo que yo busco", "es"),
        ("qué cansancio, sobredosis, quiero", "es"),
    ]
    frame = pl.DataFrame({"text": [t for t, _ in texts], "lang": [lang for _, lang in texts]})
    out = score(frame, markers, explain=True)
    assert out.equals(_reference(frame, markers))
    assert out["overdose"].to_list() == [True, False, True, True, False, True, False]


def test_a_guard_hides_the_terms_inside_it_and_never_counts_like_the_reference():
    raw = {
        "name": "strain",
        "lang": {
            "en": {"terms": ["stress*", "stressful"], "guards": ["less stressful", "stress free"]}
        },
    }
    markers = {"strain": parse_marker(raw, origin="test")}
    frame = pl.DataFrame(
        {
            "text": ["a less stressful week", "so stressful", "stress free and stressed", "x"],
            "lang": ["en"] * 4,
        }
    )
    got = score(frame, markers, explain=True)
    assert got.equals(_reference(frame, markers))
    assert got["strain__count"].to_list() == [0, 1, 1, 0]
    assert got["strain__terms"].to_list() == [[], ["stressful"], ["stress*"], []]
