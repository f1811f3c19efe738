"""Files in an analyst's marker directory that look meant as marker or head files but are not
read (`anger.TOML`, `anger.json`) are warned of by name, where they were silently skipped;
hidden ones (an editor's `.#anger.toml` lock, macOS's binary `._anger.toml`) are skipped, where
they failed every command; notes and backups (`README.md`, `anger.toml~`) pass unremarked."""

import logging

from transforms.markers import load_markers

MARKER = 'name = "mine"\n[lang.en]\nterms = ["sad"]\n'


def _load(directory, caplog):
    with caplog.at_level(logging.WARNING, logger="transforms.markers.file_checks"):
        markers = load_markers(directory)
    return markers, caplog.text


def test_files_named_almost_as_marker_files_are_warned_of(tmp_path, caplog):
    (tmp_path / "mine.toml").write_text(MARKER)
    (tmp_path / "other.TOML").write_text(MARKER.replace("mine", "other"))
    (tmp_path / "mine.json").write_text("{}")
    markers, said = _load(tmp_path, caplog)
    assert "other" not in markers and "mine" in markers
    assert f"{tmp_path / 'other.TOML'} is not read" in said
    assert f"{tmp_path / 'mine.json'} is not read" in said


def test_hidden_files_are_skipped_and_notes_pass_unremarked(tmp_path, caplog):
    (tmp_path / "mine.toml").write_text(MARKER)
    (tmp_path / "._mine.toml").write_bytes(b"\x00\x05\x16\x07\x00\x02\xff")
    (tmp_path / ".#mine.toml").write_text("garbage =\n")
    (tmp_path / "README.md").write_text("# my markers\n")
    (tmp_path / "mine.toml~").write_text("garbage =\n")
    markers, said = _load(tmp_path, caplog)
    assert "mine" in markers
    assert "._mine.toml is not read" in said and ".#mine.toml is not read" in said
    assert "README" not in said and "toml~" not in said
