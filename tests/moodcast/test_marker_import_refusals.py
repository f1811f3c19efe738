"""`moodcast markers import` refuses a lexicon it would import wrongly or emptily, naming the
file and what to change (exit 5), and writes nothing. Before: a LIWC .dic given as `nrc` became
markers named after its category ids (`nrc_125`); a .dic whose header had no entry, or a named
category without a term, wrote no marker and exited 0; an id the header gave two categories
kept the last, and two categories that become one marker name kept one, the other's terms lost;
an NRC file of 0s alone wrote nothing and exited 0; `vader --min-valence 9` wrote two markers
with no term; and NRC/LIWC errors named no file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from moodcast.cli import main


def _import(tmp_path: Path, *args: str):
    out = tmp_path / "markers"
    result = CliRunner().invoke(
        main,
        ["markers", "import", *args, "-o", str(out), "--data-dir", str(tmp_path / "data")],
        obj={"beam_args": []},
    )
    assert "Traceback" not in result.output, result.output
    return result, out


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LIWC_TWO_IDS = "%\n125\tposemo\n1\tfunct\n%\nhappy\t125\t1\na\t1\n"


@pytest.mark.parametrize(
    ("kind", "name", "text", "said"),
    [
        ("nrc", "lexicon.dic", LIWC_TWO_IDS, "import it as `liwc`"),
        ("liwc", "header-only.dic", "%\n1\tposemo\n2\tnegemo\n%\n", "no entry"),
        ("liwc", "one-id-twice.dic", "%\n1\tposemo\n1\tnegemo\n%\nhappy\t1\n", "id 1 twice"),
        (
            "liwc",
            "same-name.dic",
            "%\n1\tPosEmo\n2\tposemo\n%\nhappy\t1\nglad\t2\n",
            "PosEmo and posemo (both liwc_posemo)",
        ),
        ("nrc", "zeros.txt", "happy\tjoy\t0\nsad\tsadness\t0\n", "no word is flagged 1"),
        ("nrc", "empty.txt", "", "no `word<TAB>emotion<TAB>0|1` line"),
        (
            "nrc",
            "same-emotion.txt",
            "happy\tjoy\t1\nglad\tJoy!\t1\n",
            "joy and joy! (both nrc_joy)",
        ),
    ],
)
def test_a_lexicon_file_imported_wrongly_or_emptily_is_refused_naming_it(
    tmp_path, kind, name, text, said
):
    path = _file(tmp_path, name, text)
    result, out = _import(tmp_path, kind, str(path))
    assert result.exit_code == 5, result.output
    assert f"Error: {path}: " in result.output
    assert said in result.output
    assert not out.exists()


def test_a_liwc_category_named_without_a_term_is_refused(tmp_path):
    path = _file(tmp_path, "some.dic", "%\n1\tposemo\n2\tnegemo\n%\nhappy\t1\n")
    result, out = _import(tmp_path, "liwc", str(path), "--categories", "posemo,negemo")
    assert result.exit_code == 5, result.output
    assert "no term in category negemo" in result.output
    assert not out.exists()
    kept, out = _import(tmp_path, "liwc", str(path))
    assert kept.exit_code == 0, kept.output
    assert sorted(p.name for p in out.iterdir()) == ["liwc_posemo.toml"]


@pytest.mark.parametrize("cut", ["9", "inf", "3.5"])
def test_a_vader_cut_off_that_leaves_a_side_without_terms_is_refused(tmp_path, cut):
    result, out = _import(tmp_path, "vader", "--min-valence", cut)
    assert result.exit_code == 5, result.output
    assert "would have no term" in result.output
    assert not out.exists()


def test_terms_no_post_can_match_are_left_out_and_named(tmp_path):
    """`*` or an apostrophe alone is empty in the form posts are matched in: the matcher skips
    it, so the marker file would list a term that never counts. Before, such terms were written
    as they were, and a marker of such terms alone was written with no usable term."""
    from transforms.adapters import nrc_markers
    from transforms.markers import load_markers

    path = _file(tmp_path, "terms.txt", "happy\tjoy\t1\n*\tjoy\t1\n'\tfear\t1\n:)\tjoy\t1\n")
    result, out = _import(tmp_path, "nrc", str(path))
    assert result.exit_code == 0, result.output
    assert "left out of nrc_joy" in result.stderr and "'*'" in result.stderr
    assert "nrc_fear (not written: no term left)" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["nrc_joy.toml"]
    written = load_markers(out)["nrc_joy"]
    assert written.terms == {"en": ("happy", ":)")}
    assert written.version == nrc_markers("happy\tjoy\t1\n:)\tjoy\t1\n")["nrc_joy"].version
    only = _file(tmp_path, "only.txt", "*\tjoy\t1\n")
    refused, out = _import(tmp_path / "again", "nrc", str(only))
    assert refused.exit_code == 5, refused.output
    assert f"{only}: no term of it can be matched" in refused.output


def test_categories_that_name_no_category_are_a_usage_error(tmp_path):
    """Before, `--categories ' , '` imported every Empath category."""
    result, out = _import(tmp_path, "empath", "--categories", " , ")
    assert result.exit_code == 2, result.output
    assert "names no category" in result.output
    assert not out.exists()


def test_an_import_that_runs_out_of_room_leaves_no_marker_file(tmp_path):
    """Before, the files written before the disk filled stayed (a rerun was refused as
    replacing them), and the error named no file: `No space left on device`."""
    from tests.mounts import moodcast_on_tmpfs

    mount = tmp_path / "small"
    mount.mkdir()
    run = moodcast_on_tmpfs(
        mount,
        ["markers", "import", "empath", "-o", str(mount), "--data-dir", str(tmp_path / "data")],
        options="size=16k",
        listed=mount,
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 9, run.stderr
    assert run.stdout.splitlines() == ["[]"], run.stdout
    message = " ".join(run.stderr.split())
    assert f"Error: {mount}/empath_" in message
    assert (
        f"the disk holding {mount} is full" in message and "no marker file was written" in message
    )
