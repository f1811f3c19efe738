"""A labelled CSV compressed with bzip2 or xz (`labels.csv.bz2`, `.xz`), given to `markers
evaluate`: refused naming the file and the command that decompresses it, where run's file check
let it through (a run reads those) and polars read its compressed bytes as a header
(`no text column 'text' ... (its columns: BZh91AY&SY...)`). gzip and zstd, which polars
undoes, are read."""

from __future__ import annotations

import bz2
import gzip
import lzma

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

GOOD = "text,sadness\n" + "".join(f"feeling sad {i},1\nsunny day {i},0\n" for i in range(20))


def _evaluate(tmp_path, name, data):
    home = tmp_path / "data"
    home.mkdir()
    (home / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / name
    labels.write_bytes(data)
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(home)]
    )
    return labels, result


@pytest.mark.parametrize(
    "suffix, compress, how",
    [(".bz2", bz2.compress, "bunzip2 -c IN > OUT"), (".xz", lzma.compress, "xz -dc IN > OUT")],
)
def test_a_bzip2_or_xz_labelled_file_is_refused_with_the_command(tmp_path, suffix, compress, how):
    labels, result = _evaluate(tmp_path, f"labels.csv{suffix}", compress(GOOD.encode()))
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert f"Error: {labels} is compressed in a way a labelled file cannot be" in said
    assert f"decompress it first, e.g. {how}" in said


def test_a_gzip_labelled_file_is_read(tmp_path):
    _, result = _evaluate(tmp_path, "labels.csv.gz", gzip.compress(GOOD.encode()))
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
