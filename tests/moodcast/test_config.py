"""Typed settings: every value is checked against its field's type when settings load."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from moodcast.config import ConfigError, _conform, load_settings


@pytest.mark.parametrize(
    ("hint", "value", "expected"),
    [
        (int, 11, (True, 11)),
        (int, True, (False, True)),
        (int, "eleven", (False, "eleven")),
        (float, 2, (True, 2.0)),
        (bool, "yes", (False, "yes")),
        (str | None, None, (True, None)),
        (Path | None, "markers", (True, Path("markers"))),
        (tuple[str, ...], ["a", "b"], (True, ("a", "b"))),
        (tuple[str, ...], "a", (False, "a")),
        (dict[str, str], {"en": "default"}, (True, {"en": "default"})),
        (Literal["suppress", "dp"], "dp", (True, "dp")),
        (Literal["suppress", "dp"], "none", (False, "none")),
    ],
)
def test_a_value_fits_its_type_or_is_refused(hint, value, expected):
    assert _conform(hint, value) == expected


def test_settings_from_the_command_line_are_checked_and_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match="the command line: default_lang must be a language code"):
        load_settings(tmp_path, default_lang="English")
    with pytest.raises(ConfigError, match=r"config.toml: max_text_chars must be a whole number"):
        (tmp_path / "config.toml").write_text('max_text_chars = "lots"\n', encoding="utf-8")
        load_settings(tmp_path)


def test_the_defaults_load_and_fit_reddit(tmp_path):
    settings = load_settings(tmp_path)
    assert (settings.k, settings.max_text_chars, settings.default_lang) == (11, 40_000, None)
