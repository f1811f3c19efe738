"""Typed settings: every value is checked against its field's type when settings load."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from moodcast.config import ConfigError, load_settings
from transforms.text import primary_subtag


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
    (tmp_path / "markers").mkdir()
    if expected is None:
        with pytest.raises(ConfigError, match=rf"config.toml: {setting} must be "):
            load_settings(tmp_path)
        return
    loaded = getattr(load_settings(tmp_path), setting)
    assert (loaded, type(loaded)) == (expected, type(expected))


def test_settings_from_the_command_line_are_checked_and_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match=r"the command line: default_lang \(--lang\): 'English'"):
        load_settings(tmp_path, default_lang="English")
    with pytest.raises(ConfigError, match=r"config.toml: max_text_chars must be a whole number"):
        (tmp_path / "config.toml").write_text('max_text_chars = "lots"\n', encoding="utf-8")
        load_settings(tmp_path)


def test_the_defaults_load_and_fit_reddit(tmp_path):
    settings = load_settings(tmp_path)
    assert (settings.k, settings.max_text_chars, settings.default_lang) == (11, 40_000, None)


@pytest.mark.parametrize(("given", "code"), [("en", "en"), ("eng", "en"), ("SPA", "es"),
                                             ("ger", "de"), ("yue", "yue")])  # fmt: skip
def test_a_default_language_is_read_as_the_code_posts_are_identified_with(tmp_path, given, code):
    """Regression: `--lang eng` (ISO 639-2/3) was kept as `eng`, a code no identified post and
    no marker has, while a post stating `eng` was read as `en`."""
    assert load_settings(tmp_path, default_lang=given).default_lang == code
    (tmp_path / "config.toml").write_text(f'default_lang = "{given}"\n', encoding="utf-8")
    assert load_settings(tmp_path).default_lang == code


@pytest.mark.parametrize("given", ["pt-BR", "zh-Hans", "es_419", "spa-MX", " EN-us "])
def test_a_default_language_tag_is_read_by_its_primary_subtag_as_a_posts_is(tmp_path, given):
    """Regression: `--lang pt-BR` (a BCP 47 tag, as a post may state it and is read as `pt`)
    was refused with exit 3, listing 97 codes."""
    stated = pl.select(primary_subtag(pl.lit(given))).item()
    assert load_settings(tmp_path, default_lang=given).default_lang == stated


@pytest.mark.parametrize("given", ["enn", "und", "english"])
def test_a_default_language_no_post_can_be_in_is_refused_with_the_codes(tmp_path, given):
    (tmp_path / "config.toml").write_text(f'default_lang = "{given}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert str(refused.value).startswith(f"{tmp_path / 'config.toml'}: default_lang (--lang): ")
    assert "eng is en, spa is es" in str(refused.value) and ", en, eo, es, " in str(refused.value)


def test_a_language_of_the_users_markers_that_is_never_identified_is_taken_and_said(
    tmp_path, caplog
):
    (tmp_path / "markers").mkdir()
    (tmp_path / "markers" / "kaumaha.toml").write_text(
        'name = "kaumaha"\n[lang.haw]\nterms = ["kaumaha"]\n', encoding="utf-8"
    )
    assert load_settings(tmp_path, default_lang="haw").default_lang == "haw"
    assert "posts are never identified in haw" in caplog.text
