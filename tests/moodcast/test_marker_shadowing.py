"""A marker file of the analyst's own named after a shipped marker replaces it: `markers list`
says so on stderr and `markers show` names the file used, where both were silent and the
shipped and replaced markers looked alike."""

import json

from click.testing import CliRunner

from moodcast.cli import main
from transforms.markers import BUILTIN_DIR


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def _data_dir(tmp_path):
    user = tmp_path / "markers"
    user.mkdir()
    shipped = (BUILTIN_DIR / "sadness.toml").read_text(encoding="utf-8")
    (user / "sadness.toml").write_text(shipped.replace('"sad",', '"sad", "blue",', 1))
    (user / "gloom.toml").write_text('name = "gloom"\n[lang.en]\nterms = ["gloom"]\n')
    return tmp_path


def test_markers_list_says_which_shipped_marker_a_file_of_yours_replaces(tmp_path):
    data = _data_dir(tmp_path)
    listed = _invoke("markers", "list", "--data-dir", str(data))
    assert listed.exit_code == 0, listed.output
    assert f"sadness: {data / 'markers' / 'sadness.toml'} replaces the shipped marker" in (
        listed.stderr
    )
    assert "gloom:" not in listed.stderr and "anger:" not in listed.stderr


def test_markers_show_names_the_file_it_read(tmp_path):
    data = _data_dir(tmp_path)
    mine = _invoke("markers", "show", "sadness", "--data-dir", str(data))
    assert f"file: {data / 'markers' / 'sadness.toml'} (replaces the shipped" in mine.output
    new = json.loads(_invoke("markers", "show", "gloom", "--json", "--data-dir", str(data)).output)
    assert new["file"] == str(data / "markers" / "gloom.toml") and not new["replaces_shipped"]
    shipped = _invoke("markers", "show", "anger", "--data-dir", str(data))
    assert f"file: {BUILTIN_DIR / 'anger.toml'}\n" in shipped.output
