"""Labelled CSV files an analyst gets wrong, given to `markers evaluate`, `calibrate` and
`train`: each refused with one `Error:` line (exit 4) naming the file and what is wrong with
it, where polars' own message (`empty CSV`, `invalid utf-8 sequence`, a suggestion of its
`truncate_ragged_lines` option) named no file, or a header of mojibake was read as columns."""

from __future__ import annotations

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
        "cannot be read as CSV: it holds bytes that are not UTF-8",
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


def _refused(labels, data, command="evaluate"):
    result = CliRunner().invoke(
        main, ["markers", command, "--labels", str(labels), "--data-dir", str(data)]
    )
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
