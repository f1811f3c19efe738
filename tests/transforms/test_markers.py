import polars as pl
import pytest

from transforms.markers import MarkerError, load_markers, parse_marker, tag, term_regex
from transforms.text import fold

REQUIRED = {"joy", "sadness", "anger", "fear", "anxiety", "depression", "stress", "suicide_risk"}


def _tag(texts, lang, marker):
    frame = pl.DataFrame({"text": texts, "lang": [lang] * len(texts)}).with_columns(
        fold(pl.col("text")).alias("text_folded")
    )
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
    assert "año" in term_regex(("año",)) and "ano" not in term_regex(("año",))


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
