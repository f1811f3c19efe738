"""Whether a marker's zero-shot centroid holds its lexicon terms is said by its marker file
(`centroid_terms` under `[lang.xx]`), so that the file's version covers it: a user's copy of a
marker file scores as its text says, whatever the marker is named."""

from __future__ import annotations

import pytest

from transforms.errors import MarkerError
from transforms.markers import load_markers
from transforms.zero_shot import prototype_phrases

FILE = """name = "{name}"
dimensions = ["stress"]

[lang.en]
terms = ["swamped", "deadline"]
prototypes = ["three reports due tomorrow and my boss just added another one"]
{extra}
"""


def _marker(tmp_path, name: str, extra: str = ""):
    (tmp_path / f"{name}.toml").write_text(FILE.format(name=name, extra=extra), encoding="utf-8")
    return load_markers(tmp_path, names=[name])[name]


@pytest.mark.parametrize("name", ["stress", "strain"])
def test_a_marker_file_without_the_key_keeps_its_terms_in_its_centroid(tmp_path, name):
    """A copy of stress.toml written before its centroid left the terms out (no key) scores as
    it did then, under the version it had then."""
    marker = _marker(tmp_path, name)
    assert prototype_phrases(marker, "en") == (*marker.prototypes["en"], "swamped", "deadline")


def test_centroid_terms_false_leaves_the_terms_out_and_changes_the_version(tmp_path):
    with_terms = _marker(tmp_path, "strain")
    alone = _marker(tmp_path, "strain", "centroid_terms = false")
    assert prototype_phrases(alone, "en") == alone.prototypes["en"]
    assert alone.version != with_terms.version


def test_the_shipped_stress_file_says_its_english_centroid_leaves_the_terms_out():
    stress = load_markers(names=["stress"])["stress"]
    assert stress.prototypes_alone == frozenset({"en"})


def test_centroid_terms_must_be_a_boolean(tmp_path):
    with pytest.raises(MarkerError, match="'centroid_terms' must be true or false"):
        _marker(tmp_path, "strain", 'centroid_terms = "no"')
