"""Labelled CSV files an analyst gets wrong, given to `markers evaluate`, `calibrate` and
`train`: each refused with one `Error:` line (exit 4) naming the file and what is wrong with
it, where polars' own message (`empty CSV`, `invalid utf-8 sequence`, a suggestion of its
`truncate_ragged_lines` option) named no file, or a header of mojibake was read as columns.
Also a label column named after a marker with a few values that are no label (`maybe`, `2`,
an annotator's `?`), refused naming the column, the values and their rows, where the whole
column was left out (every good label of that marker lost, exit 0, where another column had
labels) behind a note on how to name columns of class names; and `--label-cols` naming the
text column (or `lang`), where polars' `column with name 'text' has more than one occurrence`
named neither file nor column."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

GOOD = "text,sadness\n" + "".join(f"feeling sad {i},1\nsunny day {i},0\n" for i in range(20))


def _spreadsheet(path):
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")


CASES = {
    "empty": (lambda p: p.write_bytes(b""), "is empty: a labelled CSV starts with a header"),
    "latin-1": (
        lambda p: p.write_bytes(GOOD.replace("sad", "sad café").encode("latin-1")),
        "is not UTF-8",
    ),
    "one stray byte": (
        lambda p: p.write_bytes(GOOD.replace("sad 3,", "sad caf\xe9 3,").encode("latin-1")),
        "is not UTF-8 (line 8): convert it first, e.g. iconv -f CP1252",
    ),
    "utf-16": (lambda p: p.write_bytes(GOOD.encode("utf-16")), "is UTF-16 or UTF-32 text"),
    "carriage returns alone": (
        lambda p: p.write_bytes(GOOD.replace("\n", "\r").encode()),
        "ends its lines with carriage returns alone",
    ),
    "a spreadsheet": (_spreadsheet, "is a spreadsheet"),
    "a ragged row": (
        lambda p: p.write_text(GOOD.replace("sunny day 4,0", "sunny day, warm 4,0")),
        "cannot be read as CSV: a row has more fields than its header",
    ),
    "an unclosed quote": (
        lambda p: p.write_text(GOOD.replace("sunny day 4,0", '"sunny day 4,0')),
        "cannot be read as CSV: a field opens a double quote that never closes",
    ),
}


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "config.toml").write_text(LEXICON_ONLY)
    return folder


def _invoke(command, labels, data, *more):
    return CliRunner().invoke(
        main,
        ["markers", command, "--labels", str(labels), "--data-dir", str(data), *more],
    )


def _refused(labels, data, command="evaluate", *more):
    """What `markers COMMAND --labels LABELS` said, its whitespace made single spaces, once it
    is checked to have refused the file (exit 4, no traceback)."""
    result = _invoke(command, labels, data, *more)
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    return " ".join(result.output.split())


@pytest.mark.parametrize("case", sorted(CASES))
def test_evaluate_refuses_an_unreadable_labelled_file_naming_it(tmp_path, data, case):
    write, said = CASES[case]
    labels = tmp_path / "labels.csv"
    write(labels)
    assert f"Error: {labels} {said}" in _refused(labels, data)


@pytest.mark.parametrize("command", ["calibrate", "train"])
def test_calibrate_and_train_refuse_an_empty_labelled_file_naming_it(tmp_path, data, command):
    labels = tmp_path / "labels.csv"
    labels.write_bytes(b"")
    assert f"Error: {labels} is empty" in _refused(labels, data, command)


ROWS = [("feeling sad today", "1"), ("sunny walk", "0")] * 20
"""Texts and their `sadness` labels; the `anxiety` column beside them is all 0, so a file that
loses its `sadness` column still has a label column to read."""


def _labels(tmp_path, rows):
    path = tmp_path / "labels.csv"
    path.write_text("text,sadness,anxiety\n" + "".join(f"{t},{v},0\n" for t, v in rows))
    return path


@pytest.mark.parametrize("command", ["evaluate", "calibrate", "train"])
def test_values_that_are_no_label_in_a_marker_column_are_refused_by_row(tmp_path, data, command):
    rows = list(ROWS)
    rows[3], rows[7] = ("sunny walk", "maybe"), ("feeling sad today", "2")
    labels = _labels(tmp_path, rows)
    more = ["--family", "ngram"] if command == "train" else []
    said = _refused(labels, data, command, *more)
    assert f"column 'sadness' of {labels} labels the marker sadness" in said
    assert "2 of its values are neither a label" in said
    assert "'maybe' (row 5), '2' (row 9)" in said
    assert not (data / "marker_rates.json").exists()
    assert not (data / "markers" / "sadness.head.json").exists()


def test_a_column_of_clean_labels_is_still_read(tmp_path, data):
    result = _invoke("evaluate", _labels(tmp_path, ROWS), data, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["markers"]["sadness"]["support"] == 20


@pytest.mark.parametrize("column", ["text", "lang"])
def test_train_refuses_label_cols_naming_the_text_or_a_reserved_column(tmp_path, data, column):
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,lang,sadness\n"
        + "".join(f"sad day {i},en,1\nsunny walk {i},en,0\n" for i in range(20))
    )
    said = _refused(labels, data, "train", "--label-cols", f"sadness,{column}", "--family", "ngram")
    assert f"--label-cols names {column!r}, the text column or `id` or `lang` of {labels}" in said
    assert not (data / "markers").exists()
