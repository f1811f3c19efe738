"""A user's copy of a shipped marker file replaces the shipped marker and, unless the shipped head
of its name is copied beside it, drops that head: in the head's languages the copy's own sources
decide, a different measurement. Loading such a copy warns, naming the file, the head, its
languages and where to copy it, where it was silent."""

import logging
import shutil

from transforms.markers import BUILTIN_DIR, DEFAULT_HEADS_DIR, load_markers

HEAD = DEFAULT_HEADS_DIR / "en" / "suicide_risk.head.json"


def _load(folder, caplog):
    with caplog.at_level(logging.WARNING, logger="transforms.markers.file_checks"):
        markers = load_markers(folder)
    return markers, caplog.text


def test_a_copy_without_the_shipped_head_is_warned_of_and_says_what_it_drops(tmp_path, caplog):
    shutil.copy(BUILTIN_DIR / "suicide_risk.toml", tmp_path)
    markers, said = _load(tmp_path, caplog)
    copy = markers["suicide_risk"]
    assert copy.dropped_shipped_heads == {"en": HEAD} and "en" not in copy.heads
    assert said.count(f"without its shipped head {HEAD}, so in en") == 1
    assert f"{tmp_path / 'suicide_risk.toml'} replaces the shipped marker suicide_risk" in said
    assert f"copy it beside your file as {tmp_path / 'suicide_risk.head.json'}" in said


def test_a_copy_with_the_head_beside_it_keeps_the_shipped_measurement(tmp_path, caplog):
    shutil.copy(BUILTIN_DIR / "suicide_risk.toml", tmp_path)
    shutil.copy(HEAD, tmp_path)
    shutil.copy(BUILTIN_DIR / "sadness.toml", tmp_path)
    markers, said = _load(tmp_path, caplog)
    shipped = load_markers(names=["suicide_risk"])["suicide_risk"]
    assert markers["suicide_risk"].dropped_shipped_heads == {}
    assert markers["suicide_risk"].version == shipped.version
    assert markers["sadness"].dropped_shipped_heads == {} and said == ""
    assert shipped.dropped_shipped_heads == {}
