"""A copy of the shipped suicide_risk.toml in the analyst's marker directory, made to set a
threshold as `markers calibrate` advises, drops the shipped English head: every command that
loads markers warns once, `markers show` says what decides in English instead and how to keep
the head, and calibrate's advice says to copy the head too. All three were silent."""

import json
import shutil

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.markers import BUILTIN_DIR, DEFAULT_HEADS_DIR

HEAD = DEFAULT_HEADS_DIR / "en" / "suicide_risk.head.json"
WARNING = f"without its shipped head {HEAD}, so in en that head no longer decides"


def _invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def _copied(tmp_path, *files):
    user = tmp_path / "markers"
    user.mkdir()
    for path in files:
        shutil.copy(path, user)
    return tmp_path


def test_each_command_that_loads_markers_warns_once_of_the_dropped_head(tmp_path):
    data = _copied(tmp_path, BUILTIN_DIR / "suicide_risk.toml")
    (data / "config.toml").write_text("models = {}\n")
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "1", "created_at": "2026-12-01", "text": "a day", "lang": "en"}\n')
    kept = data / "markers" / "suicide_risk.head.json"
    for args in (
        ["markers", "list"],
        ["markers", "show", "anger"],
        ["tag", str(posts), "-o", str(tmp_path / "tagged.parquet")],
    ):
        said = _invoke(*args, "--data-dir", str(data)).stderr
        assert said.count(WARNING) == 1, (args, said)
        assert f"{data / 'markers' / 'suicide_risk.toml'} replaces the shipped marker" in said
        assert f"copy it beside your file as {kept}" in said


def test_markers_show_says_what_decides_in_place_of_the_dropped_head(tmp_path):
    data = _copied(tmp_path, BUILTIN_DIR / "suicide_risk.toml")
    args = ("markers", "show", "suicide_risk", "--data-dir", str(data))
    text = _invoke(*args).stdout
    assert (
        f"[en] the shipped head {HEAD} no longer decides here: this file replaces the shipped "
        "marker without it, so the lexicon or the model source above decides instead"
    ) in text
    assert f"copy it beside this file as {data / 'markers' / 'suicide_risk.head.json'}" in text
    en, es = json.loads(_invoke(*args, "--json").stdout)["languages"]
    assert en["dropped_shipped_head"] == str(HEAD) and en["decides"] == "lexicon or model"
    assert en["model"].startswith("10 prototypes") and es["dropped_shipped_head"] is None


def test_a_copy_with_the_head_beside_it_is_shown_as_shipped_and_not_warned_of(tmp_path):
    data = _copied(tmp_path, BUILTIN_DIR / "suicide_risk.toml", HEAD)
    args = ("markers", "show", "suicide_risk", "--json", "--data-dir", str(data))
    result = _invoke(*args)
    shipped = json.loads(_invoke("markers", "show", "suicide_risk", "--json").stdout)
    shown = json.loads(result.stdout)
    assert WARNING not in result.stderr and shown["version"] == shipped["version"]
    assert shown["languages"][0]["dropped_shipped_head"] is None
    assert shown["languages"][0]["model"] == "trained ngram head on ngram-words"


@pytest.mark.slow
def test_calibrate_advises_copying_the_shipped_head_with_the_marker_file(tmp_path):
    """A Spanish threshold for suicide_risk (a model configured for Spanish: the real
    all-MiniLM-L6-v2 folder), set in a copy of the file, would drop the English head."""
    model = resolve_model_path(DEFAULT_MODEL)
    (tmp_path / "config.toml").write_text(f'models = {{en = "default", es = {str(model)!r}}}\n')
    labels = tmp_path / "labels.csv"
    pl.DataFrame(
        {
            "text": ["ya no quiero vivir", "fui al mercado", "quiero morirme", "buen día"],
            "lang": ["es"] * 4,
            "suicide_risk": [1, 0, 1, 0],
        }
    ).write_csv(labels)
    args = ("markers", "calibrate", "--labels", str(labels), "--data-dir", str(tmp_path))
    (advice,) = [line for line in _invoke(*args).stdout.splitlines() if line.startswith("To")]
    assert "leaves out the shipped head of its name (suicide_risk)" in advice
    assert f"cp {HEAD} {tmp_path / 'markers' / 'suicide_risk.head.json'}" in advice
