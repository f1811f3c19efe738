"""The usual mistakes in config.toml get a one-line refusal naming the file and the key, never a
traceback, and never a setting that changes nothing without a word: a file saved in Latin-1 or
UTF-16 (a traceback), a byte-order mark (read as invalid TOML), a setting written below
`[models]` (taken as a model for a language `tz`), a model or markers directory that is not
there (ignored), a config.toml link to a file that is gone (no settings, without a word), a
relative markers directory (read from wherever the command ran) or an empty one (the config
file read as a marker), a negative DP budget outside DP mode (kept, to fail the day the mode
changes)."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from moodcast.config import ConfigError, load_settings


def _config(folder, text: str | bytes):
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "content",
    ['region_pattern = "café"\n'.encode("latin-1"), "k = 11\n".encode("utf-16")],
    ids=["latin-1", "utf-16"],
)
def test_a_config_file_that_is_not_utf8_is_refused_naming_it_with_exit_code_3(tmp_path, content):
    data = _config(tmp_path / "data", content)
    with pytest.raises(ConfigError, match=r"config\.toml is not UTF-8 text"):
        load_settings(data)
    result = CliRunner().invoke(
        main, ["export", "-o", str(tmp_path / "out"), "--data-dir", str(data)]
    )
    assert result.exit_code == 3, result.output
    assert "config.toml is not UTF-8 text" in result.output


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path):
    data = _config(tmp_path / "data", "\ufeffk = 12\n")
    assert load_settings(data).k == 12


def test_a_mapping_file_that_is_not_utf8_is_refused_naming_it(tmp_path):
    data = _config(tmp_path / "data", 'input_mapping = "map.toml"\n')
    (data / "map.toml").write_bytes('text = "título"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"input_mapping: .*map\.toml is not UTF-8 text"):
        load_settings(data)


def test_a_setting_written_below_the_models_table_is_refused_not_taken_as_a_language(tmp_path):
    data = _config(tmp_path / "data", '[models]\nen = "default"\ntz = "Europe/Madrid"\n')
    for reads_posts in (True, False):
        with pytest.raises(ConfigError, match=r"config\.toml: models\.tz: .*move it above"):
            load_settings(data, reads_posts=reads_posts)


def test_a_models_key_is_read_as_the_language_posts_are_identified_in(tmp_path):
    data = _config(tmp_path / "data", '[models]\neng = "default"\n')
    assert dict(load_settings(data).models) == {"en": "default"}
    _config(data, '[models]\nen = "default"\neng = "default"\n')
    with pytest.raises(ConfigError, match=r"models names the language 'en' twice"):
        load_settings(data)


def test_a_model_directory_that_is_not_there_is_refused_where_posts_are_read(tmp_path):
    data = _config(tmp_path / "data", f'[models]\nen = "{tmp_path / "nowhere"}"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: models\.en: no sentence-transformers"):
        load_settings(data)
    (tmp_path / "nowhere").mkdir()
    with pytest.raises(ConfigError, match=r"models\.en: .*neither modules\.json nor config"):
        load_settings(data)
    assert load_settings(data, reads_posts=False).models["en"] == str(tmp_path / "nowhere")


def test_a_relative_model_directory_starts_from_the_data_directory(tmp_path, monkeypatch):
    data = _config(tmp_path / "data", '[models]\nes = "models/mini"\n')
    (data / "models" / "mini").mkdir(parents=True)
    (data / "models" / "mini" / "modules.json").write_text("[]", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(data).models["es"] == str(data / "models" / "mini")


def test_a_markers_dir_that_is_not_a_directory_is_refused(tmp_path):
    data = _config(tmp_path / "data", f'markers_dir = "{tmp_path / "mine"}"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: markers_dir: .*mine is not a directory"):
        load_settings(data)
    assert load_settings(data, reads_posts=False).user_markers_dir == tmp_path / "mine"


def test_a_relative_markers_dir_starts_from_the_data_directory(tmp_path, monkeypatch):
    data = _config(tmp_path / "data", 'markers_dir = "mine"\n')
    (data / "mine").mkdir()
    (data / "mine" / "worry.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(data).user_markers_dir == data / "mine"


def test_an_empty_markers_dir_is_warned_of(tmp_path, caplog):
    data = _config(tmp_path / "data", 'markers_dir = "mine"\n')
    (data / "mine").mkdir()
    with caplog.at_level(logging.WARNING, logger="moodcast.config"):
        load_settings(data)
    assert "holds no marker file (*.toml)" in caplog.text


@pytest.mark.parametrize("setting", ["dp_epsilon = -1", "dp_delta = 2"])
def test_a_dp_budget_out_of_range_is_refused_in_suppress_mode_too(tmp_path, setting):
    data = _config(tmp_path / "data", setting + "\n")
    with pytest.raises(ConfigError, match=r"config\.toml: the DP budget needs epsilon > 0"):
        load_settings(data)


def test_a_config_link_to_a_file_that_is_gone_is_refused_not_read_as_no_settings(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").symlink_to(tmp_path / "etc" / "moodcast.toml")
    with pytest.raises(
        ConfigError, match=r"config\.toml links to .*moodcast\.toml, which does not"
    ):
        load_settings(data, reads_posts=False)


@pytest.mark.parametrize("setting", ["markers_dir", "input_mapping"])
def test_an_empty_path_is_refused_not_read_as_the_current_directory(tmp_path, setting):
    data = _config(tmp_path / "data", f'{setting} = ""\n')
    with pytest.raises(ConfigError, match=rf"config\.toml: {setting} must be a quoted path, not"):
        load_settings(data, reads_posts=False)
