"""The lexicon evidence tool: which splits it may choose on, and its counts on posts built here."""

from __future__ import annotations

import polars as pl

from benchmarks import lexicon_terms as lt
from benchmarks import marker_sets as ms
from transforms.markers import load_markers


def _set(name: str) -> ms.LabelledSet:
    return next(s for s in ms.SETS if s.name == name)


def test_terms_are_chosen_on_train_and_dev_of_shippable_sets_only():
    assert lt.evidence_splits(_set("xed_en")) == ["train", "dev"]
    assert lt.evidence_splits(_set("covidemo_en")) == ["dev"]
    assert lt.evidence_splits(_set("semeval2018_ec_es")) == ["dev"]
    assert lt.evidence_splits(_set("isear_en")) == ["dev"]


def test_missed_positives_rank_their_own_words_first():
    positives = [{"alone", "tonight"}, {"alone", "again"}, {"alone"}, {"tonight"}]
    negatives = [{"tonight"}, {"dinner"}, {"tonight", "dinner"}, {"dinner"}] * 3
    ranked = lt.log_odds(positives, negatives, min_count=2)
    assert [r[1] for r in ranked] == ["alone", "tonight"]
    assert ranked[0][2:] == (3, 0) and ranked[1][2:] == (2, 6)


def _joy_posts(texts, labels):
    """English posts labelled for joy, and the shipped joy marker."""
    frame = pl.DataFrame({"text": texts, "lang": ["en"] * len(texts), "joy": labels})
    return frame, load_markers(names=["joy"])["joy"]


def test_term_and_candidate_counts_follow_the_matching_rules():
    frame, joy = _joy_posts(
        ["so happy today", "I'm not happy", "the best day", "a long way home"],
        [True, False, True, False],
    )
    positive, every = lt.term_hits(frame, joy)
    assert (positive["happy"], every["happy"]) == (1, 1)
    assert lt.new_hits(frame, joy, ["happy", "way home"], "en") == [(1, 1, 0, 0), (0, 1, 0, 1)]


def test_gain_adds_candidates_and_guards_to_the_list_together():
    frame, joy = _joy_posts(
        ["so happy today", "a long way home", "the way home was long", "rain"],
        [True, True, False, False],
    )
    assert lt.prf(frame["joy"].to_numpy(), pl.Series([True, False, True, False]).to_numpy()) == (
        "0.500 (0.50/0.50)"
    )
    widened = lt.gain(frame, joy, ["way home"], ["way home was"], "en")
    assert widened == "  0.667 (1.00/0.50) -> 1.000 (1.00/1.00)"
