from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from transforms.embedding import load_encoder
from transforms.markers import Marker, load_markers, parse_marker
from transforms.model_scoring import score_embeddings
from transforms.quantify import labelled_shares
from transforms.rates import read_shipped_rates
from transforms.validation import VALIDATED
from transforms.zero_shot import (
    ADAPT_MIN_POSTS,
    NEUTRAL,
    adapt_markers,
    adapted_centroids,
    adapted_thresholds,
    prototype_phrases,
    zero_shot,
)


def _prototype_markers(names: list[str]) -> dict[str, Marker]:
    """The shipped markers `names` without their trained heads, so that their prototypes score
    them (zero-shot)."""
    return {n: replace(m, heads={}) for n, m in load_markers(names=names).items()}


def _prototype_scores(names: list[str], texts: list[str]) -> dict[str, np.ndarray]:
    """The English zero-shot score of each of `texts` for each of _prototype_markers(names), by
    the default sentence model."""
    encoder = load_encoder()
    markers = _prototype_markers(names)
    return score_embeddings(encoder.encode(texts), lang="en", markers=markers, encoder=encoder)


def test_zero_shot_scores_separate_meaning_from_shared_words():
    """The default model reads meaning: a wish to die scores far above a dying phone battery,
    although both say "die" (the prototypes, without the shipped n-gram head)."""
    texts = [
        "honestly i just want to disappear and never wake up",
        "my phone battery is about to die lol",
        "lay awake until 4am again, my brain will not switch off",
        "great coffee at the new place downtown",
    ]
    scores = _prototype_scores(["suicide_risk", "sleep_problems"], texts)
    assert scores["suicide_risk"][0] > scores["suicide_risk"][1] + 0.1
    assert scores["sleep_problems"][2] > scores["sleep_problems"][3] + 0.1
    assert np.argmax(scores["suicide_risk"]) == 0


def test_a_centroid_holds_the_prototypes_and_the_worded_terms_without_wildcards():
    marker = parse_marker(
        {
            "name": "m",
            "lang": {
                "en": {"terms": ["furious", "rag*", ":(", "😡", "ok"], "prototypes": ["so mad"]}
            },
        },
        origin="t",
    )
    assert prototype_phrases(marker, "en") == ("so mad", "furious", "rag")
    assert prototype_phrases(marker, "es") == ()


def test_emotions_are_scored_as_a_margin_over_the_other_emotions():
    """Each post's highest zero-shot emotion is the one it expresses, and every emotion a post
    does not express scores below every post's own emotion."""
    names = ["anger", "joy", "sadness", "fear"]
    texts = [
        "i am so furious with them right now, absolutely livid",
        "best day ever, we won and i cannot stop smiling",
        "i miss her so much, i cried all night",
        "terrified of the results tomorrow, my hands are shaking",
    ]
    scores = _prototype_scores(names, texts)
    table = np.stack([scores[n] for n in names], axis=1)
    assert list(table.argmax(axis=1)) == [0, 1, 2, 3]
    assert (table[~np.eye(4, dtype=bool)] < table.max(axis=1).min()).all()


def test_adapted_centroids_move_toward_the_posts_the_lexicon_flags_for_one_marker_alone():
    """A marker's centroid moves toward the corpus posts flagged for it alone (not those also
    flagged for another marker), which then score higher; a marker with too few such posts, and
    the neutral centroid unless asked, keep theirs."""
    markers = _prototype_markers(["sadness", "joy"])
    encoder = load_encoder()
    grief = [f"the funeral for my grandad {i} was today" for i in range(ADAPT_MIN_POSTS)]
    texts = [*grief, "funeral then a birthday party", "what a lovely party", "the bus was late"]
    x = encoder.encode(texts)
    sad = np.array([True] * ADAPT_MIN_POSTS + [True, False, False])
    hits = {"sadness": sad, "joy": np.array([False] * ADAPT_MIN_POSTS + [True, True, False])}
    moved = adapted_centroids(x, hits, markers=markers, lang="en", encoder=encoder)
    assert set(moved) == {"sadness"}
    assert set(
        adapted_centroids(
            x, hits, markers=markers, lang="en", encoder=encoder, weight=0.5, neutral=True
        )
    ) == {"sadness"}
    alone = adapted_centroids(
        x[:ADAPT_MIN_POSTS],
        {"sadness": sad[:ADAPT_MIN_POSTS]},
        markers=markers,
        lang="en",
        encoder=encoder,
        weight=1.0,
    )
    corpus = x[:ADAPT_MIN_POSTS].mean(axis=0)
    assert np.allclose(alone["sadness"], corpus / np.linalg.norm(corpus), atol=1e-5)
    plain = zero_shot(x, marker=markers["sadness"], lang="en", encoder=encoder)
    assert np.array_equal(
        plain, zero_shot(x, marker=markers["sadness"], lang="en", encoder=encoder, centroids={})
    )
    adapted = zero_shot(x, marker=markers["sadness"], lang="en", encoder=encoder, centroids=moved)
    assert adapted[:ADAPT_MIN_POSTS].mean() > plain[:ADAPT_MIN_POSTS].mean()
    assert np.linalg.norm(moved["sadness"]) == pytest.approx(1.0, abs=1e-5)


def test_adapted_centroids_move_the_neutral_centroid_only_when_asked():
    markers = _prototype_markers(["joy"])
    encoder = load_encoder()
    texts = [f"bus {i} leaves from stop {i + 1}" for i in range(ADAPT_MIN_POSTS)]
    hits = {"joy": np.zeros(len(texts), dtype=bool)}
    x = encoder.encode(texts)
    assert adapted_centroids(x, hits, markers=markers, lang="en", encoder=encoder) == {}
    moved = adapted_centroids(x, hits, markers=markers, lang="en", encoder=encoder, neutral=True)
    assert set(moved) == {NEUTRAL}


def test_adapted_markers_carry_the_centroids_their_threshold_and_a_new_version():
    """adapt_markers gives the markers of the adapted table the corpus centroids (theirs and
    their rivals') and the adapted threshold, so zero_shot scores them as with `centroids=`
    given, and (their rule letting the model decide) a new version; a marker outside the
    table, one whose model source is a head, and a language without a table are left as they
    were."""
    markers = {
        name: replace(marker, rule="either") if name in ("sadness", "joy") else marker
        for name, marker in load_markers(names=["sadness", "joy", "hope", "suicide_risk"]).items()
    }
    encoder = load_encoder()
    texts = [f"i miss my grandad {i} so much, it hurts" for i in range(ADAPT_MIN_POSTS)]
    texts += [f"we won the final {i}, best day ever" for i in range(ADAPT_MIN_POSTS)]
    x = encoder.encode(texts)
    hits = {
        "sadness": np.arange(len(texts)) < ADAPT_MIN_POSTS,
        "joy": np.arange(len(texts)) >= ADAPT_MIN_POSTS,
    }
    moved = adapted_centroids(x, hits, markers=markers, lang="en", encoder=encoder)
    assert set(moved) == {"sadness", "joy"}
    adapted = adapt_markers(markers, {"en": moved, "es": moved})
    table = adapted_thresholds("en")
    for name in ("sadness", "joy"):
        marker = adapted[name]
        assert marker.thresholds["en"] == table[name] and set(marker.adapted) == {"en"}
        assert marker.thresholds.get("es") == markers[name].thresholds.get("es")
        assert marker.version != markers[name].version
        given = zero_shot(x, marker=markers[name], lang="en", encoder=encoder, centroids=moved)
        assert np.allclose(
            zero_shot(x, marker=marker, lang="en", encoder=encoder), given, atol=1e-4
        )
    assert adapted["hope"] is markers["hope"] and "hope" not in table
    assert (
        adapted["suicide_risk"] is markers["suicide_risk"] and "en" in markers["suicide_risk"].heads
    )
    assert adapted_thresholds("xx") == {}


def test_a_marker_whose_scores_the_fit_leaves_unchanged_keeps_its_shipped_cut_and_version():
    """substance_use (not contrasted) scores from its own centroid and the neutral one: with
    neither moved its scores are the shipped ones, so it keeps the shipped threshold and
    version (the adapted cut was chosen where it moved); once its centroid moves it is adapted.
    A contrasted marker whose rival moved scores otherwise, so it is adapted."""
    markers = {
        n: replace(m, rule="model")
        for n, m in load_markers(names=["substance_use", "anger", "joy"]).items()
    }
    encoder = load_encoder()
    joy = _unit_rows(encoder.encode(["we won the final, best day ever"]))[0]
    unchanged = adapt_markers(markers, {"en": {"joy": joy}})
    assert unchanged["substance_use"] is markers["substance_use"]
    assert "en" in unchanged["anger"].adapted and "en" in unchanged["joy"].adapted
    x = encoder.encode(["had a few beers too many again", "the bus was late"])
    assert np.allclose(
        zero_shot(x, marker=unchanged["substance_use"], lang="en", encoder=encoder),
        zero_shot(x, marker=markers["substance_use"], lang="en", encoder=encoder),
    )
    moved = adapt_markers(markers, {"en": {"joy": joy, "substance_use": joy}})
    assert moved["substance_use"].thresholds["en"] == adapted_thresholds("en")["substance_use"]
    assert moved["substance_use"].version != markers["substance_use"].version
    assert adapt_markers(markers, {"en": {}}) == markers


def test_a_lexicon_rule_marker_keeps_its_version_and_its_shipped_rates_when_adapted():
    """Under the rule `lexicon` adaptation cannot change a marker's decisions: it carries the
    adapted centroids and cut (for `--source model`) but keeps its version, so the shipped
    rates still validate its adjusted shares; the same marker under a rule that lets the
    model decide gets a new version, and the shipped rates no longer apply to it."""
    shipped = load_markers(names=["anger", "joy"])
    encoder = load_encoder()
    anger = _unit_rows(encoder.encode(["i am so furious with them"]))[0]
    adapted = adapt_markers(shipped, {"en": {"anger": anger}})
    assert shipped["anger"].rule == "lexicon" and "en" in adapted["anger"].adapted
    assert adapted["anger"].thresholds["en"] == adapted_thresholds("en")["anger"]
    assert adapted["anger"].version == shipped["anger"].version
    either = {n: replace(m, rule="either") for n, m in shipped.items()}
    assert adapt_markers(either, {"en": {"anger": anger}})["anger"].version != (
        shipped["anger"].version
    )
    pairs = pl.DataFrame(
        {
            "lang": ["en"] * 60,
            "gold": [i % 4 == 0 for i in range(60)],
            "hit": [i % 4 == 0 or i % 9 == 0 for i in range(60)],
        }
    )
    rates = read_shipped_rates()
    shares = labelled_shares(pairs, marker="anger", version=adapted["anger"].version, rates=rates)
    assert shares["validation"] == VALIDATED and shares["adjusted_prevalence"] is not None


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)
