"""`moodcast markers import` leaves out the terms no post can match (apostrophes and `*` alone:
`*`, `**`, `'*`), names them, and writes files that `markers list` loads. Before, the marker
loader's own refusal of such a term (markerhunt) fired inside the adapter, so the whole lexicon
was refused (exit 5, "adapter for liwc_posemo: … the term '*' is empty"), and the step meant to
leave them out never ran."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main

DIC = "%\n1\tposemo\n2\tnegemo\n%\nhappy\t1\n*\t1\n**\t2\n'*\t2\n"


def _cli(*args: str):
    result = CliRunner().invoke(main, list(args), obj={"beam_args": []})
    assert "Traceback" not in result.output, result.output
    return result


def test_a_dic_with_empty_terms_imports_the_rest_and_names_them(tmp_path):
    dic = tmp_path / "with-stars.dic"
    dic.write_text(DIC, encoding="utf-8")
    data_dir = str(tmp_path / "data")
    imported = _cli("markers", "import", "liwc", str(dic), "--data-dir", data_dir)
    assert imported.exit_code == 0, imported.output
    assert "left out of liwc_posemo" in imported.stderr and "'*'" in imported.stderr
    assert "liwc_negemo (not written: no term left)" in imported.stderr
    assert "'**'" in imported.stderr and '"\'*"' in imported.stderr
    listed = _cli("markers", "list", "--data-dir", data_dir)
    assert listed.exit_code == 0, listed.output
    assert "liwc_posemo" in listed.stdout and "liwc_negemo" not in listed.stdout
