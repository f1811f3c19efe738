"""A UTF-8 file with accents and one stray byte that is not UTF-8 (a Latin-1 `é` pasted in),
given to `markers evaluate` as labels or to `markers import liwc` as a lexicon: refused naming
the line to correct, where both advised converting the whole file from CP1252 with iconv,
which turns every UTF-8 accent of the file into mojibake (`café` into `cafÃ©`)."""

from __future__ import annotations

from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

STRAY = "caf\xe9".encode("latin-1")


def _said(result, code):
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def test_a_labelled_file_with_a_stray_byte_names_its_line_not_iconv(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    rows = "".join(f"un café triste {i},1\nun día de sol {i},0\n" for i in range(20))
    labels.write_bytes(f"text,sadness\n{rows}".encode() + b"un " + STRAY + b" triste,1\n")
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    said = _said(result, 4)
    assert f"{labels} is UTF-8 but line 42 holds a byte that is not" in said
    assert "iconv" not in said


def test_a_lexicon_with_a_stray_byte_names_its_line_not_iconv(tmp_path):
    dic = tmp_path / "spanish.dic"
    dic.write_bytes("%\n1\tsad\n%\ntriste\t1\ncafé*\t1\n".encode() + STRAY + b"s\t1\n")
    result = CliRunner().invoke(
        main,
        ["markers", "import", "liwc", str(dic), "--lang", "es", "--data-dir", str(tmp_path)],
    )
    said = _said(result, 5)
    assert f"{dic} is UTF-8 but line 6 holds a byte that is not" in said
    assert "iconv" not in said
    assert not (tmp_path / "markers").exists()
