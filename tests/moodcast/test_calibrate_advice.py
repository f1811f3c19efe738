"""`markers calibrate` says where each current zero-shot threshold comes from, and its advice on
setting a new one is true for any configured model: a threshold in the marker's file in your
marker directory holds, whichever model decides (model/thresholds.toml's only for the shipped
marker as shipped)."""

import json
import re

import polars as pl
import pytest
from click.testing import CliRunner

import transforms.zero_shot as zero_shot
from moodcast.cli import main
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.markers import BUILTIN_DIR
from transforms.model_folders import weights_digest

pytestmark = pytest.mark.slow

TEXTS = [
    "I am so furious with them, this is outrageous and I could scream",
    "Picked up some coffee on the way to work.",
    "what a lovely sunny morning, feeling great",
    "this makes me so angry, I hate it",
]


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data directory whose English model is a folder (not the shipped spec) for which a
    thresholds table lists anger at -50, and a labelled file beside it."""
    folder = resolve_model_path(DEFAULT_MODEL)
    table = tmp_path / "thresholds.toml"
    digest = weights_digest(folder)
    table.write_text(f'[model.{digest}]\nname = "small"\n[model.{digest}.lang.en]\nanger = -50.0\n')
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", table)
    root = tmp_path / "data"
    root.mkdir()
    (root / "config.toml").write_text(
        f'model_backend = "torch"\nmodels = {{en = {str(folder)!r}}}\n', encoding="utf-8"
    )
    pl.DataFrame({"text": TEXTS, "lang": ["en"] * len(TEXTS), "anger": [1, 0, 0, 1]}).write_csv(
        tmp_path / "labels.csv"
    )
    return root


def _calibrate(data, *extra):
    labels = data.parent / "labels.csv"
    args = ["markers", "calibrate", "--labels", str(labels), "--data-dir", str(data), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_calibrate_names_the_table_of_the_current_threshold_and_where_to_set_yours(data):
    text = _calibrate(data)
    (line,) = [row for row in text.splitlines() if row.startswith("anger") and "threshold" in row]
    assert "current -50 (F1 0.667, model/thresholds.toml's for this model)" in line
    assert str(data / "markers") in text
    (row,) = [json.loads(r) for r in _calibrate(data, "--json").splitlines() if '"anger"' in r]
    assert (row["current_threshold"], row["current_from"]) == (-50.0, "model")


def test_the_advice_holds_a_threshold_in_your_marker_file_is_the_one_decided_at(data):
    """Following the printed advice on the configured model: your file's threshold replaces
    the table's, and calibrate reports it as the marker file's."""
    shipped = (BUILTIN_DIR / "anger.toml").read_text(encoding="utf-8")
    yours, count = re.subn(r"(?m)^threshold = 2\.6\b", "threshold = 7.25", shipped)
    assert count == 1 and "threshold = 7.25" not in shipped
    (data / "markers").mkdir()
    (data / "markers" / "anger.toml").write_text(yours, encoding="utf-8")
    (row,) = [json.loads(r) for r in _calibrate(data, "--json").splitlines() if '"anger"' in r]
    assert (row["current_threshold"], row["current_from"]) == (7.25, "marker")


def test_calibrate_help_points_at_your_marker_directory_not_the_shipped_file():
    result = CliRunner().invoke(main, ["markers", "calibrate", "--help"])
    help_text = " ".join(result.output.split())
    assert "in your marker directory" in help_text
    assert "holds with whichever model is configured" in help_text
