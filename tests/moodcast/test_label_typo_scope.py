"""`markers train --label-cols label` on a column of class ids (0-5, as Hugging Face datasets
write `label`), mostly 0s and 1s: refused as class names that make no marker name, as before
the check on label typos, which read its 2-5 as typos of a 0/1 label of a marker `label` and
told the analyst to correct or blank them (a sixth of the file's labels, the rows of four
classes)."""

from __future__ import annotations

from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main


def test_a_class_id_column_named_by_label_cols_is_not_read_as_typos(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    ids = [0, 1, 1, 0, 2, 1, 0, 3, 1, 0, 4, 5] * 5
    labels.write_text(
        "text,lang,label\n"
        + "".join(f"an ordinary sentence {i},en,{c}\n" for i, c in enumerate(ids))
    )
    result = CliRunner().invoke(
        main,
        ["markers", "train", "--labels", str(labels), "--label-cols", "label",
         "--family", "ngram", "--data-dir", str(data)],
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert "class '0' does not make a marker name" in said
    assert "neither a label" not in said
