"""Typed settings: every value is checked against its field's type when settings load."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodcast.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("k", "11", 11),
        ("k", "true", None),
        ("k", '"eleven"', None),
        ("volume_change_factor", "3", 3.0),
        ("include_reposts", '"yes"', None),
        ("default_lang", '"en"', "en"),
        ("default_lang", "5", None),
        ("markers_dir", '"markers"', Path("markers")),
        ("regions", '["ES-MD", "ES-CT"]', ("ES-MD", "ES-CT")),
        ("regions", '"ES-MD"', None),
        ("models", '{en = "default"}', {"en": "default"}),
        ("zero_shot", '"adapted"', "adapted"),
        ("zero_shot", '"none"', None),
    ],
)
def test_a_value_fits_its_type_or_is_refused(tmp_path, setting, value, expected):
    """Each kind of setting type: an int (never a boolean), a float (an integer becomes one), a
    bool, an optional string or Path, a tuple of strings (from a TOML list), a mapping of
    strings, a Literal. `expected` None: refused, naming the setting."""
    (tmp_path / "config.toml").write_text(f"{setting} = {value}\n", encoding="utf-8")
    if expected is None:
        with pytest.raises(ConfigError, match=rf"config.toml: {setting} must be "):
            load_settings(tmp_path)
        return
    loaded = getattr(load_settings(tmp_path), setting)
    assert (loaded, type(loaded)) == (expected, type(expected))


def test_settings_from_the_command_line_are_checked_and_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match="the command line: default_lang must be a language code"):
        load_settings(tmp_path, default_lang="English")
    with pytest.raises(ConfigError, match=r"config.toml: max_text_chars must be a whole number"):
        (tmp_path / "config.toml").write_text('max_text_chars = "lots"\n', encoding="utf-8")
        load_settings(tmp_path)


def test_the_defaults_load_and_fit_reddit(tmp_path):
    settings = load_settings(tmp_path)
    assert (settings.k, settings.max_text_chars, settings.default_lang) == (11, 40_000, None)
