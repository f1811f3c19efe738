"""A labelled CSV of which no labelled row is left once read, given to `markers evaluate`,
`calibrate` or `train`: refused (exit 4) naming why, where evaluate printed a table of zeros
(`macro-F1 0.000`, exit 0) and calibrate recorded no rates (exit 0), the reason a note on
stderr alone, and train failed with `needs at least 2 positive and negative rows in ;`. The
cases: `--text-col` naming a label column (its 0/1 values are no texts: with `--lang` they were
even scored), texts whose language cannot be told, and (evaluate, calibrate) rows all stated in
a language no marker has."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from tests.moodcast import test_label_file_refusals

data = test_label_file_refusals.data
"""The data directory fixture: a config.toml without a sentence model."""

COMMANDS = [("evaluate",), ("calibrate",), ("train", "--family", "ngram")]


def _refused(tmp_path, data, text, command, *more):
    """What `markers COMMAND --labels FILE` said for a file of `text`, its whitespace made
    single spaces, once it is checked to have refused it (exit 4, no traceback, nothing
    recorded or trained)."""
    labels = tmp_path / "labels.csv"
    labels.write_text(text)
    result = CliRunner().invoke(
        main,
        ["markers", *command, "--labels", str(labels), "--data-dir", str(data), *more],
    )
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    assert "macro-F1" not in result.output
    assert not (data / "marker_rates.json").exists()
    assert not (data / "markers").exists()
    return " ".join(result.output.split()).replace(str(labels), "FILE")


TWO_LABELS = "text,sadness,anxiety\n" + "".join(
    f"feeling sad and low {i},1,0\nsunny walk in the park {i},0,1\n" for i in range(20)
)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("more", [(), ("--lang", "en")])
def test_a_text_col_naming_a_label_column_is_refused_naming_it(tmp_path, data, command, more):
    said = _refused(tmp_path, data, TWO_LABELS, command, "--text-col", "sadness", *more)
    assert "Error: the text column 'sadness' of FILE holds labels (0, 1), not texts" in said
    assert "--text-col" in said
    assert "its columns: text, sadness, anxiety" in said


NO_LETTERS = "text,sadness\n" + "".join(f"{i} :) {i},1\n{i} :( {i},0\n" for i in range(20))


@pytest.mark.parametrize("command", COMMANDS)
def test_rows_all_of_undetermined_language_are_refused_saying_so(tmp_path, data, command):
    said = _refused(tmp_path, data, NO_LETTERS, command)
    assert "Error: no labelled row of FILE is left to read" in said
    assert "40 rows are in a language that could not be told" in said
    assert "give their language with --lang or a `lang` column" in said


def test_blank_texts_and_undetermined_ones_are_both_counted(tmp_path, data):
    text = NO_LETTERS + "".join(f",{i % 2}\n" for i in range(6))
    said = _refused(tmp_path, data, text, ("evaluate",))
    assert "6 rows have no text" in said
    assert "40 rows are in a language that could not be told" in said


FRENCH = "text,lang,sadness\n" + "".join(
    f"je suis triste ce soir {i},fr,1\nil fait beau dehors {i},fr,0\n" for i in range(20)
)


@pytest.mark.parametrize("command", [("evaluate",), ("calibrate",)])
def test_rows_all_in_languages_no_marker_has_are_refused(tmp_path, data, command):
    said = _refused(tmp_path, data, FRENCH, command)
    assert "Error: all 40 rows of FILE are in languages no marker has (fr 40)" in said
    assert "the markers' languages: en, es" in said
    labels = tmp_path / "some.csv"
    english = "".join(f"feeling sad {i},en,1\nsunny day {i},en,0\n" for i in range(20))
    labels.write_text(FRENCH + english)
    result = CliRunner().invoke(
        main, ["markers", *command, "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 0, result.output
    assert "40 rows of" in result.stderr and "left out of the scores" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_a_text_col_naming_a_blank_column_is_refused_naming_it(tmp_path, data, command):
    text = "text,notes,sadness\n" + "".join(
        f"feeling sad {i},,1\nsunny day {i},,0\n" for i in range(20)
    )
    said = _refused(tmp_path, data, text, command, "--text-col", "notes")
    assert "Error: the text column 'notes' of FILE is blank in every row, not texts" in said
    assert "its columns: text, notes, sadness" in said
