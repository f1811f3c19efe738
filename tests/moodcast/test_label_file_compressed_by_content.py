"""A labelled CSV compressed by gzip or zstd under a name that does not say so (`labels.csv`),
given to `markers evaluate`: read by its content, as polars reads it, where the file check
refused it ("rename it to end in .gz"). One compressed by bzip2 or xz is refused with the
command that decompresses it, not advised to be renamed (a labelled `.bz2` is refused too)."""

from __future__ import annotations

import bz2
import gzip
import lzma

import pytest
import zstandard
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

GOOD = "text,sadness\n" + "".join(f"feeling sad {i},1\nsunny day {i},0\n" for i in range(20))


def _evaluate(tmp_path, data):
    home = tmp_path / "data"
    home.mkdir()
    (home / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    labels.write_bytes(data)
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(home), "--json"]
    )
    return labels, result


@pytest.mark.parametrize("compress", [gzip.compress, zstandard.ZstdCompressor().compress])
def test_a_gzip_or_zstd_labelled_file_named_csv_is_read(tmp_path, compress):
    _, result = _evaluate(tmp_path, compress(GOOD.encode()))
    assert result.exit_code == 0, result.output
    assert '"support": 20' in result.stdout


def test_a_stray_byte_in_a_gzip_file_named_csv_names_its_line(tmp_path):
    text = GOOD.replace("sad 3,", "sad caf\xe9 3,").replace("day 5,", "day caf\xe9 5,").encode()
    labels, result = _evaluate(tmp_path, gzip.compress(text.replace(b"\xc3\xa9 3", b"\xe9 3")))
    assert result.exit_code == 4, result.output
    assert f"{labels} is UTF-8 but line 8 holds" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "compress, how",
    [(bz2.compress, "bunzip2 -c IN > OUT"), (lzma.compress, "xz -dc IN > OUT")],
)
def test_a_bzip2_or_xz_labelled_file_named_csv_is_refused_without_rename(tmp_path, compress, how):
    labels, result = _evaluate(tmp_path, compress(GOOD.encode()))
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert f"Error: {labels} is " in said and f"decompress it first, e.g. {how}" in said
    assert "rename" not in said
