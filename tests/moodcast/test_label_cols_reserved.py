"""`moodcast markers train --label-cols` naming the text column (or `id`, `lang`), a slip of an
analyst listing the file's columns: refused naming the file and the column, where polars'
`could not create a new DataFrame: column with name 'text' has more than one occurrence` named
neither."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main


@pytest.mark.parametrize("column", ["text", "lang"])
def test_train_refuses_label_cols_naming_the_text_or_a_reserved_column(tmp_path, column):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,lang,sadness\n"
        + "".join(f"sad day {i},en,1\nsunny walk {i},en,0\n" for i in range(20))
    )
    result = CliRunner().invoke(
        main,
        ["markers", "train", "--labels", str(labels), "--label-cols", f"sadness,{column}",
         "--family", "ngram", "--data-dir", str(data)],
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    said = " ".join(result.output.split())
    assert f"--label-cols names {column!r}, the text column or `id` or `lang` of {labels}" in said
    assert not (data / "markers").exists()
