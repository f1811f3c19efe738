"""A configured `markers_dir` as `markers train` writes it: train creates one that is not there
yet (it is the command that writes there; every command that reads posts refused it), and a
directory holding trained heads for shipped markers alone is read, not warned of as holding
nothing."""

from __future__ import annotations

import logging

from click.testing import CliRunner

from moodcast.cli import main
from moodcast.config import load_settings
from tests.moodcast.test_model_markers_cli import _classes
from transforms.markers import load_markers


def _data(tmp_path, markers_dir: str):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(f'markers_dir = "{markers_dir}"\n', encoding="utf-8")
    labels = tmp_path / "labels.csv"
    _classes(labels)
    return data, labels


def _train(data, labels):
    return CliRunner().invoke(
        main,
        ["markers", "train", "--labels", str(labels), "--family", "ngram", "--data-dir", str(data)],
    )


def test_train_creates_a_configured_markers_dir_that_is_not_there_yet(tmp_path):
    data, labels = _data(tmp_path, "mine/trained")
    result = _train(data, labels)
    assert result.exit_code == 0, result.output
    assert (data / "mine" / "trained" / "work.head.json").is_file()
    settings = load_settings(data)
    assert "work" in load_markers(settings.user_markers_dir)


def test_train_still_refuses_a_markers_dir_that_is_a_file(tmp_path):
    data, labels = _data(tmp_path, "mine")
    (data / "mine").write_text("", encoding="utf-8")
    result = _train(data, labels)
    assert result.exit_code == 3, result.output
    assert "mine is not a directory" in result.output


def test_a_markers_dir_of_head_files_alone_is_not_warned_of(tmp_path, caplog):
    data, _ = _data(tmp_path, "mine")
    (data / "mine").mkdir()
    (data / "mine" / "anger.head.json").write_text("{}", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="moodcast.config"):
        load_settings(data)
    assert "holds no marker file" not in caplog.text


def test_markers_list_and_show_refuse_a_markers_dir_that_is_not_there(tmp_path):
    """They listed the shipped markers alone without a word, where `run` refuses the setting:
    the very commands a user checks their markers with."""
    data, _ = _data(tmp_path, "mine")
    for args in (["markers", "list"], ["markers", "show", "sad"]):
        result = CliRunner().invoke(main, [*args, "--data-dir", str(data)])
        assert result.exit_code == 3, result.output
        assert f"markers_dir: {data / 'mine'} is not a directory" in result.output
