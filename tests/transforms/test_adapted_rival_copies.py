"""Under zero_shot = "adapted", an emotion is scored against its rivals' moved centroids, and
`markers adapt` moves each from the phrases of the marker of that name the user has: a copy of
fear with other prototypes moves another fear than the one joy's adapted cut was chosen
against (score_basis covers the shipped rivals only). So joy keeps the shipped scoring there,
as it does when a shipped rival changes; anxiety (no rivals) is still adapted. Before, joy was
adapted at that cut with the copy's centroid as its rival."""

from dataclasses import replace

import numpy as np

from transforms.markers import load_markers
from transforms.zero_shot import adapt_markers

UNIT = np.full(384, 384**-0.5, dtype=np.float32)


def test_an_emotion_whose_moved_rival_is_a_copy_with_other_phrases_is_not_adapted():
    markers = load_markers(names=["joy", "fear", "anxiety"])
    moved = {"en": {"joy": UNIT, "fear": UNIT, "anxiety": UNIT}}
    assert all("en" in m.adapted for m in adapt_markers(markers, moved).values())

    fear = markers["fear"]
    copy = replace(fear, prototypes={**fear.prototypes, "en": ("my hands shake at night",)})
    adapted = adapt_markers({**markers, "fear": copy}, moved)
    assert "en" not in adapted["joy"].adapted and "en" not in adapted["fear"].adapted
    assert "en" in adapted["anxiety"].adapted


def test_a_copy_with_the_shipped_phrases_is_the_shipped_rival():
    markers = load_markers(names=["joy", "fear"])
    fear = markers["fear"]
    copy = replace(fear, rule="either", thresholds={**fear.thresholds, "en": 9.0})
    adapted = adapt_markers({**markers, "fear": copy}, {"en": {"joy": UNIT, "fear": UNIT}})
    assert "en" in adapted["joy"].adapted and "en" in adapted["fear"].adapted
