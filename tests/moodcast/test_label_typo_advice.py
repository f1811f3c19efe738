"""A marker-named label column refused for values that are no label (label_files._refuse_typos)
says what to do with the two such columns analysts most often give: a scale (depression scored
0-3, mostly 0 and 1) is to be turned into 0/1 at the cut they mean, and R's or pandas' `NA` is
to be a blank; where both were told to "correct them, or blank those". A value shown is
shortened (an annotator's comment of a paragraph was printed whole)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main


def _refused(tmp_path, values):
    """What `markers evaluate` said of a file whose `depression` column holds `values` (one
    per row, beside an all-0 `anxiety`), its whitespace made single spaces, once it is checked
    to have refused it (exit 4)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,depression,anxiety\n"
        + "".join(f'"feeling low today {i}",{v},0\n' for i, v in enumerate(values))
    )
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 4, result.output
    return " ".join(result.output.split())


def test_a_scale_is_to_be_cut_into_0_and_1(tmp_path):
    said = _refused(tmp_path, ["0", "1", "2", "0", "1", "3", "0", "1", "0", "1"])
    assert "'2' (row 4), '3' (row 7)" in said
    assert "numbers other than 0 and 1 (2, 3): a scale?" in said
    assert "turn it into 0/1 at the cut you mean" in said
    assert "NA" not in said


@pytest.mark.parametrize("missing", ["NA", "N/A", "nan"])
def test_na_is_to_be_a_blank(tmp_path, missing):
    said = _refused(tmp_path, ["0", "1", missing, "0", "1", "1", "0", "1"])
    assert f"{missing!r} (row 4)" in said
    assert f"write {missing} (a missing value) as a blank" in said
    assert "scale" not in said


def test_a_long_value_is_shortened(tmp_path):
    comment = "annotator unsure: " + "the post could be read as sarcasm " * 10
    said = _refused(tmp_path, ["0", "1", comment, "0", "1", "1", "0", "1"])
    assert repr(comment[:39] + "…") + " (row 4)" in said
    assert comment[:60] not in said
    assert "correct them, or blank those a row is not labelled for" in said
