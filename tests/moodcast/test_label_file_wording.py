"""A labelled file given to `markers evaluate` that is a spreadsheet, a zip archive, binary data
or Latin-1 text: refused in words about a CSV, where the refusal run gives an input of posts
called it `not a file of posts`, sent the analyst to `--mapping` (no option of the markers
commands) and a narrower input pattern, and spoke of dead letters."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

GOOD = "text,sadness\n" + "".join(f"feeling sad {i},1\nsunny day {i},0\n" for i in range(20))


def _zip(path, member):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, GOOD)


CASES = {
    "a spreadsheet": (lambda p: _zip(p, "xl/workbook.xml"), "is a spreadsheet"),
    "a zip archive": (lambda p: _zip(p, "labels.csv"), "is a zip archive, not CSV"),
    "binary data": (lambda p: p.write_bytes(b"\x00\x01\xfe\n" * 40), "not CSV"),
    "latin-1": (lambda p: p.write_bytes(GOOD.replace("sad", "sád").encode("latin-1")), "UTF-8"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_labelled_file_is_refused_in_words_about_a_csv(tmp_path, case):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    labels = tmp_path / "labels.csv"
    write, said = CASES[case]
    write(labels)
    result = CliRunner().invoke(
        main, ["markers", "evaluate", "--labels", str(labels), "--data-dir", str(data)]
    )
    assert result.exit_code == 4, result.output
    words = " ".join(result.output.split())
    assert f"Error: {labels} " in words and said in words
    for wrong in ("posts", "--mapping", "dead letter", "narrower pattern"):
        assert wrong not in words
