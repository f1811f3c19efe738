"""A label column named after a marker with a few values that are no label (`maybe`, `2`, an
annotator's `?`): `markers evaluate`, `calibrate` and `train` refuse the file naming the
column, the values and their rows, where they left the whole column out (every good label of
that marker lost, exit 0, where another column had labels) behind a note on how to name columns of class names."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

ROWS = [("feeling sad today", "1"), ("sunny walk", "0")] * 20
"""Texts and their `sadness` labels; the `anxiety` column beside them is all 0, so a file that
loses its `sadness` column still has a label column to read."""


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "config.toml").write_text(LEXICON_ONLY)
    return folder


def _labels(tmp_path, rows):
    path = tmp_path / "labels.csv"
    path.write_text("text,sadness,anxiety\n" + "".join(f"{t},{v},0\n" for t, v in rows))
    return path


def _invoke(command, labels, data, *more):
    return CliRunner().invoke(
        main,
        ["markers", command, "--labels", str(labels), "--data-dir", str(data), *more],
    )


@pytest.mark.parametrize("command", ["evaluate", "calibrate", "train"])
def test_values_that_are_no_label_in_a_marker_column_are_refused_by_row(tmp_path, data, command):
    rows = list(ROWS)
    rows[3], rows[7] = ("sunny walk", "maybe"), ("feeling sad today", "2")
    labels = _labels(tmp_path, rows)
    more = ["--family", "ngram"] if command == "train" else []
    result = _invoke(command, labels, data, *more)
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    said = " ".join(result.output.split())
    assert f"column 'sadness' of {labels} labels the marker sadness" in said
    assert "2 of its values are neither a label" in said
    assert "'maybe' (row 4), '2' (row 8)" in said
    assert not (data / "marker_rates.json").exists()
    assert not (data / "markers" / "sadness.head.json").exists()


def test_a_column_of_clean_labels_is_still_read(tmp_path, data):
    result = _invoke("evaluate", _labels(tmp_path, ROWS), data, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["markers"]["sadness"]["support"] == 20
