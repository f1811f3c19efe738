"""A path setting that starts with `~` is in the user's home, as `models` reads one: `markers_dir
= "~/moodcast/markers"` named `<data dir>/~/moodcast/markers` (refused as not a directory) and
`input_mapping = "~/map.toml"` `<data dir>/~/map.toml` (refused as unreadable)."""

from __future__ import annotations

from moodcast.config import load_settings


def test_a_markers_dir_and_mapping_under_home_are_read_there(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "moodcast" / "markers").mkdir(parents=True)
    (home / "moodcast" / "markers" / "worry.toml").write_text("", encoding="utf-8")
    (home / "map.toml").write_text('text = "body"\n', encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(
        'markers_dir = "~/moodcast/markers"\ninput_mapping = "~/map.toml"\n', encoding="utf-8"
    )
    settings = load_settings(data)
    assert settings.user_markers_dir == home / "moodcast" / "markers"
    assert settings.input_mapping == home / "map.toml"
