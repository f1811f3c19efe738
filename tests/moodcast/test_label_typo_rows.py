"""The rows that `markers evaluate` names for a marker column's values that are no label: the
rows a spreadsheet program shows (the header is row 1), which are the file's lines where no
text spans lines, where they were counted from the first row after the header (`row 5` for
the value on line and spreadsheet row 6)."""

from __future__ import annotations

from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main


def test_a_value_that_is_no_label_is_named_by_its_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    lines = ["text,sadness"] + [f"feeling sad {i},{i % 2}" for i in range(30)]
    lines[5] = "feeling sad 4,maybe"
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 4, result.output
    assert "'maybe' (row 6)" in " ".join(result.output.split())
