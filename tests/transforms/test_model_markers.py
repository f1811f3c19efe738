from dataclasses import replace

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.embedding import ModelError
from transforms.markers import DEFAULT_HEADS_DIR, load_markers, parse_marker
from transforms.model_markers import (
    ModelConfig,
    SourceError,
    check_source,
    classify,
    decide,
    encoder_languages,
    in_sample,
    modelled_markers,
    needs_model,
    sample_rates,
    score_probability,
    uses_lexicon,
    uses_model,
)

EN_ONLY = ModelConfig()


def _marker(rule, *, es_terms=True):
    langs = {
        "en": {"terms": ["sad"], "prototypes": ["I feel so low"], "threshold": 0.5},
        "es": {"terms": ["triste"] if es_terms else [], "prototypes": ["me siento mal"]},
    }
    return parse_marker({"name": "m", "rule": rule, "lang": langs}, origin="t")


def _posts():
    # lang, lexicon hit, model score, in sample
    rows = [
        ("en", True, 0.9, True),
        ("en", True, 0.1, True),
        ("en", False, 0.9, True),
        ("en", False, 0.1, True),
        ("en", True, 0.9, False),
        ("es", True, None, True),
        ("es", False, None, True),
    ]
    posts = pl.DataFrame(
        {
            "lang": [r[0] for r in rows],
            "key": pl.Series(range(len(rows)), dtype=pl.UInt64),
            "in_sample": [r[3] for r in rows],
            "m": [r[1] for r in rows],
            "m__score": [0.5] * len(rows),
        }
    )
    model = pl.DataFrame(
        {"lang": [r[0] for r in rows], "key": posts["key"], "m__model": [r[2] for r in rows]}
    ).filter(pl.col("m__model").is_not_null())
    return posts, model


@pytest.mark.parametrize(
    ("rule", "source", "expected"),
    [
        ("lexicon", None, [True, True, False, False, True, True, False]),
        ("model", None, [True, False, True, False, None, True, False]),
        ("either", None, [True, True, True, False, None, True, False]),
        ("both", None, [True, False, False, False, None, True, False]),
        ("both", "lexicon", [True, True, False, False, True, True, False]),
        ("lexicon", "model", [True, False, True, False, None, None, None]),
    ],
)
def test_decision_rules_with_an_english_only_model(rule, source, expected):
    """Spanish has no configured model, so its lexicon decides (or, with --source model, nothing
    does); an unsampled post is not scored where the model takes part."""
    markers = {"m": _marker(rule)}
    posts, model = _posts()
    decided = decide(posts, model, markers=markers, config=EN_ONLY, source=source)
    assert decided["m"].to_list() == expected


def test_a_language_with_only_a_model_source_is_decided_by_the_model_even_under_lexicon():
    markers = {"m": _marker("lexicon", es_terms=False)}
    config = ModelConfig(models={"en": "default", "es": "default"})
    posts, model = _posts()
    model = pl.concat(
        [
            model,
            pl.DataFrame(
                {"lang": ["es"], "key": pl.Series([5], dtype=pl.UInt64), "m__model": [4.0]}
            ),
        ]
    )
    decided = decide(posts, model, markers=markers, config=config, source=None)
    assert decided["m"].to_list()[5:] == [True, False]


def test_under_both_only_lexicon_hits_in_the_sample_are_embedded():
    posts, _ = _posts()
    needed = posts.select(needs_model({"m": _marker("both")}, EN_ONLY, None)).to_series()
    assert needed.to_list() == [True, True, False, False, False, False, False]
    needed = posts.select(needs_model({"m": _marker("either")}, EN_ONLY, None)).to_series()
    assert needed.to_list() == [True, True, True, True, False, False, False]


def test_the_sample_is_deterministic_keyed_and_close_to_its_rate():
    ids = pl.Series([str(i) for i in range(20_000)])
    first = in_sample(ids, key=b"secret", rate=0.25)
    assert first.equals(in_sample(ids, key=b"secret", rate=0.25))
    assert 0.23 < first.mean() < 0.27
    assert not first.equals(in_sample(ids, key=b"other", rate=0.25))
    assert (first & ~in_sample(ids, key=b"secret", rate=0.5)).sum() == 0
    assert in_sample(ids, key=b"secret", rate=1.0).all()


def test_sample_rates_name_the_languages_where_each_marker_decides():
    rates = sample_rates({"m": _marker("both")}, ModelConfig(sample_rate=0.1), None)
    assert rates.rows() == [("m", "en", 0.1), ("m", "es", 1.0)]


def test_source_model_needs_a_model_source_in_a_configured_language():
    lexicon_only = parse_marker({"name": "x", "lang": {"en": {"terms": ["a"]}}}, origin="t")
    with pytest.raises(SourceError, match="no model source"):
        check_source({"x": lexicon_only}, EN_ONLY, "model")
    check_source({"x": lexicon_only}, EN_ONLY, "lexicon")


def test_every_shipped_marker_has_a_model_source_in_english_and_spanish():
    markers = load_markers()
    check_source(markers, EN_ONLY, "model")
    assert all({"en", "es"} <= m.model_languages for m in markers.values())


def test_classify_embeds_each_distinct_text_once_and_is_deterministic():
    markers = load_markers(names=["sadness"])
    posts = pl.DataFrame(
        {
            "text": ["I cried all night", "I  cried all night ", "nice weather", "estoy triste"],
            "lang": ["en", "en", "en", "es"],
        }
    )
    first = classify(posts, markers, config=EN_ONLY, source="model")
    assert first.equals(classify(posts, markers, config=EN_ONLY, source="model"))
    assert first["sadness__score"][0] == first["sadness__score"][1]
    assert first["sadness"].to_list()[3] is None
    lexicon = classify(posts, markers, config=EN_ONLY, source="lexicon")
    assert lexicon["sadness"].to_list() == [True, True, False, True]


def test_a_missing_model_names_the_config_key_to_set(tmp_path):
    markers = load_markers(names=["sadness"])
    posts = pl.DataFrame({"text": ["I cried all night"], "lang": ["en"]})
    config = ModelConfig(models={"en": str(tmp_path / "no-model")})
    with pytest.raises(ModelError, match=r"no-model.*set models\.en in config\.toml"):
        classify(posts, markers, config=config, source="model")


def test_suicide_risk_counts_a_first_person_lexicon_hit_or_a_high_model_score():
    """The shipped risk rule's decision table: no model veto on a first-person lexicon hit; a
    model score at the high-precision threshold counts alone; hyperbole without a first-person
    cue and an ordinary score does not."""
    from transforms.markers import score
    from transforms.model_markers import threshold

    markers = load_markers(names=["suicide_risk", "self_harm"])
    cut = threshold(markers["suicide_risk"], "en")
    texts = ["I honestly want to kill myself", "long day, home now", "these plants want to die",
             "I hurt myself again last night"]  # fmt: skip
    model = [cut - 3.0, cut + 0.1, cut - 3.0, cut - 3.0]
    posts = pl.DataFrame({"text": texts, "lang": ["en"] * 4})
    frame = pl.concat(
        [
            posts.select(
                "lang",
                pl.Series("key", range(4), dtype=pl.UInt64),
                pl.lit(True).alias("in_sample"),
            ),
            score(posts, markers),
        ],
        how="horizontal",
    )
    scores = pl.DataFrame(
        {
            "lang": ["en"] * 4,
            "key": pl.Series(range(4), dtype=pl.UInt64),
            "suicide_risk__model": model,
            "self_harm__model": [0.0] * 4,
        }
    )
    decided = decide(frame, scores, markers=markers, config=EN_ONLY, source=None)
    assert markers["suicide_risk"].rule == "either" and markers["self_harm"].rule == "lexicon"
    assert decided["suicide_risk"].to_list() == [True, True, False, True]
    assert decided["self_harm"].to_list() == [False, False, False, True]


def test_shipped_heads_load_with_their_markers_with_provenance_and_need_no_sentence_model(tmp_path):
    markers = load_markers()
    shipped = sorted(DEFAULT_HEADS_DIR.glob("*/*.head.json"))
    provenance = (DEFAULT_HEADS_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    assert shipped
    for path in shipped:
        name, lang = path.name.removesuffix(".head.json"), path.parent.name
        head = markers[name].heads[lang]
        assert head.family == "ngram" and 0 < head.threshold < 1 and lang in head.languages
        assert f"| {lang} | {name} |" in provenance
    risk = {"suicide_risk": markers["suicide_risk"]}
    assert encoder_languages(risk, EN_ONLY, ["en", "es"]) == []
    (tmp_path / "suicide_risk.head.json").write_text(
        '{"family": "ngram", "model": "ngram-v1", "indices": [1], "coef": [1.0], '
        '"intercept": 0.0, "threshold": 0.9, "languages": ["en"]}'
    )
    mine = load_markers(tmp_path, names=["suicide_risk"])["suicide_risk"]
    assert mine.heads["en"].threshold == 0.9 and mine.version != risk["suicide_risk"].version


def test_only_markers_whose_decision_uses_a_model_are_scored_by_one():
    sadness = load_markers(names=["sadness"])["sadness"]
    assert sadness.rule == "lexicon" and "en" in sadness.model_languages
    by_model = replace(sadness, name="by_model", rule="model")
    markers = {"sadness": sadness, "by_model": by_model}
    assert list(modelled_markers(markers, EN_ONLY, None)) == ["by_model"]
    assert list(modelled_markers(markers, EN_ONLY, "model")) == ["sadness", "by_model"]
    assert modelled_markers(markers, ModelConfig(models={}), None) == {}
    assert modelled_markers(markers, EN_ONLY, "lexicon") == {}


def test_a_zero_shot_score_reads_as_a_probability_of_one_half_at_its_threshold():
    """PACC's score in 0-1: the logistic function centred on the language's threshold (0.5 in
    _marker), rising with the score; null in a language outside the model's."""
    scores = pl.DataFrame({"lang": ["en", "en", "en", "es"], "m__score": [0.5, -3.0, 4.0, 2.0]})
    found = scores.select(score_probability(_marker("model"), ["en"], {})).to_series().to_list()
    assert found[0] == pytest.approx(0.5)
    assert 0 < found[1] < 0.05 and 0.95 < found[2] < 1
    assert found[3] is None


def _kleene(a, b, either):
    if either:
        return True if True in (a, b) else None if None in (a, b) else False
    return False if False in (a, b) else None if None in (a, b) else True


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["en", "es", "fr", None]),
            st.sampled_from([True, False, None]),
            st.one_of(st.none(), st.floats(0, 1)),
            st.booleans(),
        ),
        max_size=12,
    ),
    st.sampled_from(["lexicon", "model", "either", "both"]),
    st.sampled_from([None, "lexicon", "model"]),
)
def test_decisions_and_scores_follow_the_rules_row_by_row(rows, rule, source):
    """decide against the rules read one post at a time: null languages, null lexicon hits,
    posts outside the sample, and languages no source covers."""
    marker = _marker(rule)
    posts = pl.DataFrame(
        {
            "lang": [r[0] for r in rows],
            "key": pl.Series(range(len(rows)), dtype=pl.UInt64),
            "in_sample": [r[3] for r in rows],
            "m": [r[1] for r in rows],
            "m__score": [0.25 * i for i in range(len(rows))],
        },
        schema={"lang": pl.String, "key": pl.UInt64, "in_sample": pl.Boolean,
                "m": pl.Boolean, "m__score": pl.Float64},
    )  # fmt: skip
    model = pl.DataFrame(
        {"lang": posts["lang"], "key": posts["key"], "m__model": [r[2] for r in rows]},
        schema={"lang": pl.String, "key": pl.UInt64, "m__model": pl.Float64},
    ).filter(pl.col("m__model").is_not_null())
    decided = decide(posts, model, markers={"m": marker}, config=EN_ONLY, source=source)
    lex = uses_lexicon(marker, EN_ONLY, source)
    mod = uses_model(marker, EN_ONLY, source)
    hits, scores = [], []
    for i, (lang, hit, score, sampled) in enumerate(rows):
        in_lex, in_mod = lang in lex, lang in mod
        modelled = score is not None and score >= 0.5
        if in_mod and not sampled:
            hits.append(None)
        elif in_lex and in_mod:
            hits.append(_kleene(hit, modelled, rule == "either" and source is None))
        else:
            hits.append(modelled if in_mod else hit if in_lex else None)
        scores.append(score if in_mod else 0.25 * i if in_lex else None)
    assert decided["m"].to_list() == hits
    assert decided["m__score"].to_list() == scores
