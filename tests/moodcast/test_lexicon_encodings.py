"""`moodcast markers import nrc|liwc PATH` of a lexicon file that is not UTF-8 (a Spanish LIWC
dictionary saved as Latin-1, as many are): refused naming the file, its line and the command
that converts it, where every accented term was imported with U+FFFD in place of its accent,
a term no post ever matches, and the import said it was done (exit 0)."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main

DIC = "%\n1\tsad\n2\tposemo\n%\ntriste\t1\ncafé*\t2\nfeliz\t2\n"


def _import(kind, path, data):
    return CliRunner().invoke(
        main, ["markers", "import", kind, str(path), "--lang", "es", "--data-dir", str(data)]
    )


def test_a_latin1_liwc_dictionary_is_refused_naming_its_line(tmp_path):
    dic = tmp_path / "spanish.dic"
    dic.write_bytes(DIC.encode("latin-1"))
    result = _import("liwc", dic, tmp_path / "data")
    assert result.exit_code == 5, result.output
    said = " ".join(result.output.split())
    assert f"{dic} is not UTF-8 (line 6)" in said and "iconv -f CP1252 -t UTF-8" in said
    assert not (tmp_path / "data" / "markers").exists()


def test_a_utf8_dictionary_with_a_byte_order_mark_keeps_its_accents(tmp_path):
    dic = tmp_path / "spanish.dic"
    dic.write_bytes(b"\xef\xbb\xbf" + DIC.encode())
    result = _import("liwc", dic, tmp_path / "data")
    assert result.exit_code == 0, result.output
    written = (tmp_path / "data" / "markers" / "liwc_posemo.toml").read_text(encoding="utf-8")
    assert '"café*"' in written
