"""Lexicon adapters: every lexicon becomes ordinary markers that tag through `score`. NRC and
LIWC inputs are tiny synthetic files in their formats, with made-up words."""

import importlib.resources

import polars as pl
import pytest

from transforms.adapters import (
    empath_markers,
    liwc_markers,
    marker_toml,
    nrc_markers,
    vader_markers,
)
from transforms.markers import MarkerError, load_markers, parse_marker, score

PAPER = {
    "anxiety": "sadness, nervousness, fear, suffering, horror, disappointment, health, "
    "confusion, shame, anger",
    "depression": "sadness, suffering, shame, neglect, emotional, disgust, torment, nervousness, "
    "disappointment, pain",
    "stress": "sadness, nervousness, anger, suffering, fear, shame, torment, neglect, disgust, "
    "health",
}
"""The reference paper's mapping, as the issue states it."""


def _hits(texts, lang, markers, *, explain=False):
    frame = pl.DataFrame({"text": texts, "lang": [lang] * len(texts)})
    return score(frame, markers, explain=explain)


def _empath_tsv() -> str:
    return importlib.resources.files("empath").joinpath("data", "categories.tsv").read_text()


def test_empath_tommasel2021_has_one_marker_per_category_with_every_dimension_it_feeds():
    markers = empath_markers(_empath_tsv(), preset="tommasel2021")
    expected: dict[str, set[str]] = {}
    for dimension, used in PAPER.items():
        for category in used.split(", "):
            expected.setdefault(f"empath_{category}", set()).add(dimension)
    assert set(markers) == set(expected) and len(markers) == 15
    for name, marker in markers.items():
        assert set(marker.dimensions) == expected[name], name
        assert marker.languages == {"en"} and marker.rule == "lexicon"
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in _empath_tsv().splitlines()}
    assert set(markers["empath_sadness"].terms["en"]) == {t.strip() for t in rows["sadness"]}


def test_empath_markers_tag_like_any_other_marker():
    markers = empath_markers(_empath_tsv(), categories=["sadness", "office"])
    assert set(markers) == {"empath_sadness", "empath_office"}
    assert markers["empath_office"].dimensions == ()
    out = _hits(["so much gloom and weariness", "new laptop at work"], "en", markers)
    assert out["empath_sadness"].to_list() == [True, False]
    assert out["empath_office"].to_list() == [False, True]
    assert out["empath_sadness__count"].to_list() == [2, 0]


def test_empath_unknown_preset_or_category_says_what_is_known():
    with pytest.raises(MarkerError, match="tommasel2021"):
        empath_markers(_empath_tsv(), preset="nope")
    with pytest.raises(MarkerError, match="no category blorp"):
        empath_markers(_empath_tsv(), categories=["blorp"])


VADER_TINY = "glorb\t2.0\t0.5\t[2, 2]\nmeh\t-0.4\t0.5\t[0, -1]\nsnurf\t-1.5\t0.5\t[-1, -2]\n"
VADER_TINY += "zib\t1.4\t0.5\t[1, 2]\n:-[\t-2.1\t0.7\t[-2, -3]\nbad line\n"


def test_vader_valence_cut_off_splits_negative_and_positive_affect():
    markers = vader_markers(VADER_TINY)
    assert markers["negative_affect"].terms == {"en": ("snurf", ":-[")}
    assert markers["positive_affect"].terms == {"en": ("glorb",)}
    loose = vader_markers(VADER_TINY, min_valence=0.4)
    assert loose["negative_affect"].terms["en"] == ("meh", "snurf", ":-[")
    assert loose["positive_affect"].terms["en"] == ("glorb", "zib")
    out = _hits(["such a glorb day", "ugh :-[", "not glorb"], "en", markers)
    assert out["positive_affect"].to_list() == [True, False, False]
    assert out["negative_affect"].to_list() == [False, True, False]
    with pytest.raises(MarkerError, match="above 0"):
        vader_markers(VADER_TINY, min_valence=0)


def test_vader_from_the_installed_package_covers_its_known_words():
    text = importlib.resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text()
    markers = vader_markers(text)
    assert {"sad", "horrible", ":("} <= set(markers["negative_affect"].terms["en"])
    assert {"happy", "<3"} <= set(markers["positive_affect"].terms["en"])
    out = _hits(["what a horrible day", "so happy <3"], "en", markers)
    assert out["negative_affect"].to_list() == [True, False]
    assert out["positive_affect"].to_list() == [False, True]


NRC_TINY = "\n".join(
    [
        "blorft\tanger\t1", "blorft\tjoy\t0", "blorft\tnegative\t1",
        "zinglewump\tanger\t0", "zinglewump\tjoy\t1", "zinglewump\tnegative\t0",
        "quaffle\tanger\t0", "quaffle\tjoy\t0", "quaffle\tnegative\t0",
    ]
)  # fmt: skip


def test_nrc_word_level_file_becomes_one_marker_per_flagged_emotion():
    markers = nrc_markers(NRC_TINY)
    assert set(markers) == {"nrc_anger", "nrc_joy", "nrc_negative"}
    assert markers["nrc_anger"].terms == {"en": ("blorft",)}
    assert (
        markers["nrc_joy"].dimensions == ("emotion",) and markers["nrc_negative"].dimensions == ()
    )
    out = _hits(["so blorft", "zinglewump!", "quaffle"], "en", markers)
    assert out["nrc_anger"].to_list() == [True, False, False]
    assert out["nrc_joy"].to_list() == [False, True, False]
    spanish = nrc_markers(NRC_TINY, lang="es")
    assert _hits(["blorft"], "en", spanish)["nrc_anger"].to_list() == [None]
    with pytest.raises(MarkerError, match="word-level"):
        nrc_markers("not an emolex file")


LIWC_TINY = """%
1\tfrobnic
2\tgloomish
31\tposthing
%
frobnicat*\t1
blarg\t2\t31
wib wob\t2
splunk\t<of>31/2\t1
zorp zap 31 2
"""


def test_liwc_dic_categories_become_markers_with_prefixes_and_phrases():
    markers = liwc_markers(LIWC_TINY)
    assert set(markers) == {"liwc_frobnic", "liwc_gloomish", "liwc_posthing"}
    assert markers["liwc_frobnic"].terms == {"en": ("frobnicat*", "splunk")}
    assert markers["liwc_gloomish"].terms == {"en": ("blarg", "wib wob", "zorp zap")}
    assert markers["liwc_posthing"].terms == {"en": ("blarg", "zorp zap")}
    out = _hits(["frobnicating all day", "wib   wob", "blargh"], "en", markers, explain=True)
    assert out["liwc_frobnic"].to_list() == [True, False, False]
    assert out["liwc_gloomish"].to_list() == [False, True, False]
    assert out["liwc_gloomish__terms"][1].to_list() == ["wib wob"]
    only = liwc_markers(LIWC_TINY, lang="es", categories=["posthing"])
    assert list(only) == ["liwc_posthing"] and only["liwc_posthing"].languages == {"es"}
    with pytest.raises(MarkerError, match="header"):
        liwc_markers("blarg\t2\n")
    with pytest.raises(MarkerError, match="no category nope"):
        liwc_markers(LIWC_TINY, categories=["nope"])


def test_marker_files_written_by_adapters_load_back_to_the_same_version(tmp_path):
    marker = parse_marker(
        {
            "name": "odd_terms",
            "description": 'Quotes " and backslashes \\ survive.',
            "dimensions": ["emotion", "stress"],
            "rule": "lexicon",
            "lang": {
                "en": {"terms": ['say "hi"', "a\\b", "😢", ":-[", "x\ty"]},
                "es": {"terms": ["año"]},
            },
        },
        origin="test",
    )
    for written in (marker, *vader_markers(VADER_TINY).values()):
        (tmp_path / f"{written.name}.toml").write_text(
            marker_toml(written, header="from a test\nsecond line"), encoding="utf-8"
        )
    loaded = load_markers(tmp_path, names=["odd_terms", "negative_affect"])
    assert loaded["odd_terms"] == marker
    assert loaded["negative_affect"] == vader_markers(VADER_TINY)["negative_affect"]
