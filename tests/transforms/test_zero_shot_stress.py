"""English stress's zero-shot source: a centroid of first-person prototypes alone."""

from __future__ import annotations

from tests.transforms.zero_shot_flags import zero_shot_flags
from transforms.embedding import DEFAULT_MODEL
from transforms.marker_descriptions import describe_sources
from transforms.markers import load_markers
from transforms.model_markers import ModelConfig
from transforms.zero_shot import prototype_phrases


def test_english_stress_centroid_leaves_its_lexicon_terms_out():
    markers = load_markers(names=["stress", "anxiety"])
    stress, anxiety = markers["stress"], markers["anxiety"]
    assert prototype_phrases(stress, "en") == stress.prototypes["en"]
    assert len(prototype_phrases(stress, "es")) > len(stress.prototypes["es"])
    assert len(prototype_phrases(anxiety, "en")) > len(anxiety.prototypes["en"])


def test_stress_flags_a_strained_writer_and_not_posts_that_only_name_stressors():
    """At the marker's threshold, every one of these posts whose writer says they are strained is
    flagged (the previous centroid, at its 3.27, missed the second) and none of these six calm
    posts about work, rent or exams is (nor was it before: other calm posts about money or exams
    are flagged, so this does not show the cut tells strain from topic)."""
    strained = [
        "honestly i can't keep doing this, everything is piling up and i'm falling apart",
        "i haven't slept properly in days because i'm so worried about everything",
        "i feel like i'm drowning and nobody notices",
        "every morning i wake up with my chest tight thinking about all of it",
    ]
    calm = [
        "paid the rent online this morning, took two minutes",
        "my boss moved the weekly meeting to thursday",
        "exam timetable is out, first one is on the 12th",
        "finally fixed the issue with my bike, the chain was loose",
        "new job starts monday, really looking forward to it",
        "the deadline for the grant application is friday at noon",
    ]
    flagged = zero_shot_flags("stress", strained + calm)
    assert flagged == [True] * len(strained) + [False] * len(calm)


def test_markers_show_says_the_stress_centroid_holds_prototypes_only():
    markers = load_markers(names=["stress", "anxiety"])
    config = ModelConfig(models={"en": DEFAULT_MODEL})
    stress, anxiety = (describe_sources(markers[n], config)[0] for n in ("stress", "anxiety"))
    assert stress.startswith("[en] model: 20 prototypes as one centroid, against")
    assert " terms as one centroid" in anxiety
