import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.markers import MarkerError, compile_markers, load_markers, parse_marker, score, tag

REQUIRED = {"joy", "sadness", "anger", "fear", "disgust", "surprise", "love", "hope", "calm",
            "anxiety", "depression", "stress", "loneliness", "sleep_problems", "substance_use",
            "hopelessness", "suicide_risk", "self_harm"}  # fmt: skip
BUILTIN = compile_markers(load_markers())


def _tag(texts, lang, marker):
    frame = pl.DataFrame({"text": texts, "lang": [lang] * len(texts)})
    return tag(frame, {marker.name: marker})[marker.name].to_list()


MARKER = parse_marker(
    {
        "name": "sadness",
        "lang": {
            "en": {"terms": ["sad", "cry*", "in tears", "😢"]},
            "es": {"terms": ["corazón roto", "triste"]},
        },
    },
    origin="test",
)


def test_the_first_marker_set_ships_in_english_and_spanish():
    markers = load_markers()
    assert set(markers) >= REQUIRED
    for name in REQUIRED:
        assert {"en", "es"} <= markers[name].languages, name
        assert markers[name].dimensions


def test_word_boundaries_prefixes_multiword_and_emoji():
    assert _tag(
        ["so sad", "saddle up", "Crying again", "in   tears", "ok 😢", "scry"], "en", MARKER
    ) == [True, False, True, True, True, False]


def test_accents_and_case_fold_but_spanish_enye_survives():
    assert _tag(["Con el CORAZON roto", "TRISTE", "años"], "es", MARKER) == [True, True, False]
    enye = parse_marker({"name": "year", "lang": {"es": {"terms": ["año"]}}}, origin="t")
    assert _tag(["Feliz AÑO", "el ano"], "es", enye) == [True, False]


def test_a_language_without_terms_yields_null_not_false():
    assert _tag(["triste"], "fr", MARKER) == [None]


def test_versions_change_with_any_term():
    other = parse_marker(
        {"name": "sadness", "lang": {"en": {"terms": ["sad", "sadder"]}}}, origin="t"
    )
    assert other.version != MARKER.version and len(MARKER.version) == 12


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "Bad Name"},
        {"name": "x", "rule": "magic"},
        {"name": "x", "lang": {"en": {"terms": "sad"}}},
    ],
)
def test_malformed_marker_files_say_what_to_fix(raw):
    with pytest.raises(MarkerError):
        parse_marker(raw, origin="file.toml")


def test_user_markers_replace_builtins_and_unknown_names_fail(tmp_path):
    (tmp_path / "joy.toml").write_text('name = "joy"\n[lang.en]\nterms = ["yay"]\n')
    markers = load_markers(tmp_path, names=["joy"])
    assert markers["joy"].terms == {"en": ("yay",)}
    with pytest.raises(MarkerError, match="unknown marker"):
        load_markers(names=["nope"])


RULES = [
    # (rule, lang, text, marker, hit, terms)
    ("folding", "en", "I'm SO SAD", "sadness", True, ["so sad"]),
    ("folding", "es", "Estoy TRISTÍSIMA hoy", "sadness", True, ["tristísim*"]),
    ("word boundary", "en", "sitting in the saddle all day", "sadness", False, []),
    ("word boundary", "es", "los tristemente célebres", "sadness", False, []),
    ("longest multiword", "en", "another panic attack tonight", "anxiety", True, ["panic attack"]),
    (
        "longest multiword",
        "es",
        "tuve un ataque de ansiedad",
        "anxiety",
        True,
        ["ataque de ansiedad"],
    ),
    ("hashtag camelCase", "en", "#IWantToDie tonight", "suicide_risk", True, ["want to die"]),
    ("hashtag segmentation", "en", "#iwanttodie tonight", "suicide_risk", True, ["want to die"]),
    ("hashtag camelCase", "es", "#MeSientoSola otra vez", "loneliness", True, ["me siento sola"]),
    (
        "hashtag segmentation",
        "es",
        "#mesientosola otra vez",
        "loneliness",
        True,
        ["me siento sola"],
    ),
    ("emoji", "en", "today 😢", "sadness", True, ["😢"]),
    ("ambiguous emoji are not terms", "en", "this video 😭😭", "sadness", False, []),
    ("guard: relief, not strain", "en", "a less stressful week ahead", "stress", False, []),
    ("guard: a pleasantry", "en", "happy to help, no problem", "stress", False, []),
    (
        "the writer's strain",
        "en",
        "so worried about rent this month",
        "stress",
        True,
        ["worried about", "rent"],
    ),
    ("guard: history, not mood", "en", "a book on the great depression", "depression", False, []),
    ("narrowed: fear of others", "en", "stop the fear mongering", "fear", False, []),
    (
        "narrowed: the writer's fear",
        "en",
        "I fear for my family",
        "fear",
        True,
        ["i fear", "fear for"],
    ),
    ("narrowed: joy sarcasm", "en", "lol the bus is late again", "joy", False, []),
    ("narrowed: a greeting", "es", "encantado de conocerte", "joy", False, []),
    ("guard: the owner, not love", "es", "el perro obedece a su amo", "joy", False, []),
    ("the verb still counts", "es", "amo este día", "joy", True, ["amo"]),
    ("narrowed: bother", "es", "me molesta un poco la luz", "anger", False, []),
    ("narrowed: worth it", "es", "vale la pena probarlo", "sadness", False, []),
    ("narrowed: overeating is not overload", "en", "ate way too much pizza", "stress", False, []),
    ("overload", "en", "it is all too much to handle", "stress", True, ["too much to handle"]),
    ("narrowed: finally is not joy", "es", "por fin llegó el autobús", "joy", False, []),
    ("worry counts again", "en", "I worry about everything", "anxiety", True, ["i worry"]),
    ("guard: a greeting", "en", "good morning everyone", "joy", False, []),
    ("everyday joy", "en", "what a great day with you", "joy", True, ["great"]),
    ("optimism", "en", "still an optimist", "hope", True, ["optimis*"]),
    ("emoticon", "en", "missing home <3", "love", True, ["<3"]),
    ("emoji", "es", "otra vez 😡", "anger", True, ["😡"]),
    ("elongation", "en", "sooo saaad", "sadness", True, ["so sad"]),
    ("elongation", "es", "estoy tristeeee", "sadness", True, ["triste"]),
    ("negation", "en", "I am not happy", "joy", False, []),
    ("negation", "en", "never been so happy", "joy", False, []),
    ("negation", "es", "no estoy triste", "sadness", False, []),
    ("negation ends at punctuation", "es", "no, estoy triste", "sadness", True, ["triste"]),
    ("spaced contraction", "en", "I can ’ t sleep", "sleep_problems", True, ["can't sleep"]),
    ("spaced contraction negates", "en", "I don ’ t feel happy", "joy", False, []),
    ("split-off n't negates", "en", "I do n't feel happy", "joy", False, []),
    ("a chained contraction negates", "en", "I would n't 've been happy", "joy", False, []),
    ("its joined form negates", "en", "I wouldn't've been happy", "joy", False, []),
    ("first person", "en", "I want to die", "suicide_risk", True, ["want to die"]),
    ("first person", "en", "my phone battery wants to die", "suicide_risk", False, []),
    ("first person", "en", "these plants want to die in this heat", "suicide_risk", False, []),
    ("first person", "es", "yo ya no quiero vivir así", "suicide_risk", True, ["no quiero vivir"]),
    ("first person", "es", "el perro tiene ganas de morir de calor", "suicide_risk", False, []),
]


@pytest.mark.parametrize(("rule", "lang", "text", "name", "hit", "terms"), RULES)
def test_matching_rules(rule, lang, text, name, hit, terms):
    out = score(pl.DataFrame({"text": [text], "lang": [lang]}), BUILTIN, explain=True)
    assert out[name].item() is hit, rule
    assert out[f"{name}__terms"].item().to_list() == terms, rule
    assert out[f"{name}__count"].item() == len(terms)


def test_count_and_intensity_are_per_word():
    out = score(pl.DataFrame({"text": ["sad sad happy day"], "lang": ["en"]}), BUILTIN)
    assert out["sadness__count"].item() == 2
    assert out["sadness__score"].item() == pytest.approx(0.5)
    assert out["joy__score"].item() == pytest.approx(0.25)


@settings(max_examples=150, deadline=None)
@given(st.text(), st.sampled_from(["en", "es", "fr"]))
def test_tagging_never_raises_on_any_unicode(text, lang):
    out = score(pl.DataFrame({"text": [text], "lang": [lang]}), BUILTIN, explain=True)
    assert out.height == 1


WORDS = st.sampled_from(
    ["sad", "not", "happy", "I", "want", "to", "die", "Triste", "no", "estoy", "😭", ":(",
     "panic", "attack", "saaad", "día", "the", "phone", ",", "!", "love", "you"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(WORDS, max_size=12),
    st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), max_size=12),
    st.sampled_from(["en", "es"]),
)
def test_case_and_extra_whitespace_do_not_change_the_result(words, gaps, lang):
    plain = " ".join(words)
    spaced = "".join(w + (gaps[i] if i < len(gaps) else " ") for i, w in enumerate(words))
    texts = [plain, plain.upper(), plain.lower(), "  " + spaced + " "]
    out = score(pl.DataFrame({"text": texts, "lang": [lang] * 4}), BUILTIN)
    assert out.n_unique() == 1, texts


def test_a_longer_unsplittable_hashtag_is_not_split_by_a_neighbours_tag():
    post = pl.DataFrame({"text": ["#iwanttodiexq tonight"], "lang": ["en"]})
    neighbour = pl.DataFrame({"text": ["#iwanttodie tonight"], "lang": ["en"]})
    alone = score(post, BUILTIN, explain=True)
    batched = score(pl.concat([neighbour, post]), BUILTIN, explain=True)
    assert batched["suicide_risk"].to_list() == [True, False]
    assert batched.tail(1).equals(alone)


CUED_PREFIX = parse_marker(
    {
        "name": "overdose",
        "cue": "first_person",
        "lang": {"en": {"terms": ["overdos*"]}, "es": {"terms": ["sobredosi*"]}},
    },
    origin="test",
)


@pytest.mark.parametrize(
    ("lang", "text", "hit"),
    [
        ("en", "so tired, overdosing is all i think about", True),
        ("en", "so tired, overdosing is all they talk about", False),
        ("es", "qué cansancio, sobredosis es lo que yo busco", True),
        ("es", "qué cansancio, sobredosis es lo que ellos temen", False),
    ],
)
def test_a_prefix_term_counts_with_a_first_person_cue_after_it(lang, text, hit):
    assert _tag([text], lang, CUED_PREFIX) == [hit]


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        ("es", "mi sobrino cumple años hoy", "substance_use"),
        ("es", "te lo digo para que lo sepas", "hopelessness"),
        ("es", "mañana voy a cortarme el pelo", "self_harm"),
        ("es", "me corté el flequillo yo sola", "self_harm"),
        ("en", "i cut myself a slice of cake", "self_harm"),
    ],
)
def test_lexicon_false_positives_stay_out(lang, text, name):
    assert _tag([text], lang, BUILTIN[name]) == [False]


def test_a_hashtag_is_not_split_into_stray_letters_that_spell_a_term():
    """`#mascotas` (pets) once split into "m asco t a s" and matched disgust's "asco"."""
    markers = load_markers(names=["disgust"])
    posts = pl.DataFrame({"text": ["paseo con mis #mascotas", "qué asco"], "lang": ["es", "es"]})
    assert score(posts, markers)["disgust"].to_list() == [False, True]
