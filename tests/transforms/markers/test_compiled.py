"""The two engines of `score` must give exactly the same results: the compiled scanner (the
default from transforms.engines.COMPILED_FROM posts) and the reference engine (`canonical` text, then `occurrences`: the polars
implementation of the matching rules). One property test and the cases below compare them."""

import pickle

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.markers import (
    CompiledMarkers,
    compile_markers,
    load_markers,
    parse_marker,
    score,
    tag,
)
from transforms.markers.rules import FIRST_PERSON_CUES, NEGATION_CUES
from transforms.markers.scan import scan
from transforms.text import APOSTROPHES, SPACED_APOSTROPHE, join_contractions

BUILTIN = compile_markers(load_markers())
TERMS = sorted(
    {
        t
        for m in BUILTIN.values()
        for terms in (*m.terms.values(), *m.guards.values())
        for t in terms
    }
)


def both_engines(frame: pl.DataFrame, markers) -> pl.DataFrame:
    """`score(frame, markers, explain=True, engine="compiled")`, after checking that the
    reference engine gives exactly the same frame."""
    compiled = score(frame, markers, explain=True, engine="compiled")
    reference = score(frame, markers, explain=True, engine="reference")
    assert compiled.equals(reference), (compiled, reference)
    return compiled


POSTS_PER_EXAMPLE = 12
"""Most posts in one example of the property tests. A call of either engine costs about the
same for 1 post as for 100 (its set-up per marker and language dominates), so 120 examples of
1 to 12 posts (about 7.5 on average as hypothesis draws them: ~900 posts) compare more posts
than 200 examples of 1 to 6 (about 4: ~800) did, at 60 % of the calls."""

PIECES = st.one_of(
    st.sampled_from(TERMS),
    st.sampled_from([*NEGATION_CUES["en"], *NEGATION_CUES["es"], *FIRST_PERSON_CUES["es"]]),
    st.sampled_from(["I", "My", "matarme", "sooo", "saaad", "TRISTÍSIMA", ".", "¿", ",", ":(",
                     "#IWantToDie", "#mesientosola", "😭", "ΣΑΣ", "≠", "ʼ", "_", "a\u0301"]),
    st.text(max_size=4),
)  # fmt: skip


@settings(max_examples=120, deadline=None)  # see POSTS_PER_EXAMPLE
@given(
    st.lists(
        st.tuples(st.lists(PIECES, max_size=14), st.sampled_from(["en", "es", "fr", None])),
        min_size=1,
        max_size=POSTS_PER_EXAMPLE,
    ),
    st.sampled_from([" ", "  ", "\n", "", " , "]),
)
def test_the_compiled_and_reference_engines_agree(posts, gap):
    frame = pl.DataFrame(
        {"text": [gap.join(words) for words, _ in posts], "lang": [lang for _, lang in posts]},
        schema={"text": pl.String, "lang": pl.String},
    )
    scored = both_engines(frame, BUILTIN)
    assert tag(frame, BUILTIN).drop("text", "lang").equals(scored.select(list(BUILTIN)))


APART = st.one_of(
    st.sampled_from(TERMS),
    st.sampled_from(["I", "can", "do", "n", "N", "t", "m", "ve", "the", "#ICan", "Σ", " ", "  "]),
    st.sampled_from(APOSTROPHES),
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(APART, max_size=12), st.sampled_from(["en", "es", None])),
        min_size=1,
        max_size=POSTS_PER_EXAMPLE,
    ),
    st.sampled_from([" ", ""]),
)
def test_only_posts_with_a_spaced_apostrophe_are_joined_again_and_all_match_joined_text(posts, gap):
    frame = pl.DataFrame(
        {"text": [gap.join(words) for words, _ in posts], "lang": [lang for _, lang in posts]},
        schema={"text": pl.String, "lang": pl.String},
    )
    texts, langs = frame.get_column("text"), frame.get_column("lang")
    apart = (texts.str.contains(SPACED_APOSTROPHE) & (langs == "en")).fill_null(False)
    for engine in ("compiled", "reference"):
        found = scan(texts, langs, BUILTIN, engine=engine, spaced=("en",))
        assert found.spaced.tolist() == apart.arg_true().to_list()
    joined = frame.with_columns(text=join_contractions(texts, langs))
    assert both_engines(frame, BUILTIN).equals(both_engines(joined, BUILTIN))


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
    both_engines(frame, BUILTIN)


def test_posts_with_new_or_context_cased_characters_match_the_reference():
    texts = ["ΣΟΣ so sad", "ÁNGST ǅ İ sooo saaad", "ǅemal Ⅻ ﬁ triste", "ὈΔΥΣΣΕΎΣ not happy"]
    frame = pl.DataFrame({"text": texts, "lang": ["en", "en", "es", "en"]})
    fresh = compile_markers(load_markers())
    both_engines(frame, fresh)
    both_engines(frame, fresh)


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
    out = both_engines(frame, markers)
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
    got = both_engines(frame, markers)
    assert got["strain__count"].to_list() == [0, 1, 1, 0]
    assert got["strain__terms"].to_list() == [[], ["stressful"], ["stress*"], []]


def test_a_compiled_set_is_the_markers_mapping_and_pickles_as_its_markers():
    markers = load_markers(names=["sadness", "joy"])
    compiled = compile_markers(markers)
    assert isinstance(compiled, CompiledMarkers)
    assert dict(compiled) == markers and list(compiled) == ["joy", "sadness"]
    assert compile_markers(compiled) is compiled
    again = pickle.loads(pickle.dumps(compiled))
    assert again is not compiled and dict(again) == markers
    frame = pl.DataFrame({"text": ["so sad", "such joy", "nada"], "lang": ["en", "en", "es"]})
    assert score(frame, again).equals(score(frame, markers))


def test_an_unknown_engine_is_refused_with_the_choices():
    frame = pl.DataFrame({"text": ["so sad"], "lang": ["en"]})
    with pytest.raises(ValueError, match="compiled, reference"):
        score(frame, BUILTIN, engine="numba")


def test_threads_scoring_with_one_compiled_set_get_the_results_of_one_thread():
    """Regression: the scanner releases the GIL, so threads that share a CompiledMarkers learn
    code points into its character table at once. Unlocked, that gave code points another
    thread's outputs: wrong counts, or a crash reading past the table. Each thread's posts
    bring a script the table has not computed, with a term around it."""
    import sys
    import threading

    from tests.transforms.markers.blocks import BLOCKS

    sad = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}
    frames = [
        pl.DataFrame({"text": ["".join(map(chr, block)) + " SAD " + chr(block[5])] * 20,
                      "lang": ["en"] * 20})
        for block in BLOCKS
    ]  # fmt: skip
    expected = [score(frame, sad, engine="compiled") for frame in frames]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(12):
            shared = compile_markers(sad)
            scored = [None] * len(frames)
            start = threading.Barrier(len(frames))

            def run(i, shared=shared, scored=scored, start=start):
                start.wait()
                scored[i] = score(frames[i], shared, engine="compiled")

            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(frames))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert all(s.equals(e) for s, e in zip(scored, expected, strict=True))
            assert all(
                score(f, shared, engine="compiled").equals(e)
                for f, e in zip(frames, expected, strict=True)
            )
    finally:
        sys.setswitchinterval(interval)
