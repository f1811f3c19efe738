"""`moodcast markers import`: lexicons users have become marker files in their marker
directory, picked up by `markers list` and `tag`; shipped markers are never replaced."""

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from moodcast.marker_import import ImportLexiconError, write_markers
from transforms.adapters import nrc_markers
from transforms.markers import BUILTIN_DIR, load_markers, parse_marker


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_import_empath_preset_into_the_data_dir_and_tag_with_it(tmp_path):
    data = tmp_path / "data"
    result = _invoke(
        "markers", "import", "empath", "--preset", "tommasel2021", "--data-dir", str(data)
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (data / "markers").glob("*.toml"))
    assert len(files) == 15 and "empath_nervousness.toml" in files
    listed = _invoke("markers", "list", "--data-dir", str(data)).stdout.splitlines()
    assert len(listed) == 18 + 15
    assert "empath_sadness\ten\tanxiety,depression,stress\t" in "\n".join(listed)
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "a", "created_at": "2025-01-01T00:00:00Z", "text": "such gloom", "lang": "en"}\n'
        '{"id": "b", "created_at": "2025-01-01T00:00:00Z", "text": "nice lunch", "lang": "en"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    tagged = _invoke("tag", str(posts), "-o", str(out), "--markers", "empath_sadness",
                     "--data-dir", str(data))  # fmt: skip
    assert tagged.exit_code == 0, tagged.output
    assert pl.read_parquet(out)["empath_sadness"].to_list() == [True, False]
    again = _invoke(
        "markers", "import", "empath", "--preset", "tommasel2021", "--data-dir", str(data)
    )
    assert again.exit_code == 5 and "--force" in again.output
    forced = _invoke("markers", "import", "empath", "--preset", "tommasel2021", "--force",
                     "--data-dir", str(data))  # fmt: skip
    assert forced.exit_code == 0, forced.output


def test_import_vader_with_a_cut_off_into_a_chosen_directory(tmp_path):
    loose = _invoke("markers", "import", "vader", "--min-valence", "1", "-o", str(tmp_path / "a"))
    strict = _invoke("markers", "import", "vader", "--min-valence", "3", "-o", str(tmp_path / "b"))
    assert loose.exit_code == 0 and strict.exit_code == 0, loose.output + strict.output
    wide, narrow = load_markers(tmp_path / "a"), load_markers(tmp_path / "b")
    assert len(narrow["positive_affect"].terms["en"]) < len(wide["positive_affect"].terms["en"])
    assert "happy" in wide["positive_affect"].terms["en"]


def test_import_nrc_and_liwc_from_the_users_path_in_a_language(tmp_path):
    emolex = tmp_path / "emolex.txt"
    emolex.write_text("blorft\tsadness\t1\nblorft\tjoy\t0\nzib\tjoy\t1\n", encoding="utf-8")
    dic = tmp_path / "mine.dic"
    dic.write_text("%\n1\tfrobnic\n%\nfrobnicat*\t1\n", encoding="utf-8")
    out = tmp_path / "markers"
    nrc = _invoke("markers", "import", "nrc", str(emolex), "--lang", "es", "-o", str(out))
    liwc = _invoke("markers", "import", "liwc", str(dic), "--categories", "frobnic", "-o", str(out))
    assert nrc.exit_code == 0 and liwc.exit_code == 0, nrc.output + liwc.output
    markers = load_markers(out)
    assert markers["nrc_sadness"].terms == {"es": ("blorft",)}
    assert markers["liwc_frobnic"].terms == {"en": ("frobnicat*",)}
    assert not (BUILTIN_DIR / "nrc_sadness.toml").exists()
    missing = _invoke("markers", "import", "nrc", "-o", str(out))
    assert missing.exit_code == 5 and "needs the path" in missing.output
    wrong = _invoke("markers", "import", "vader", str(emolex), "-o", str(out))
    assert wrong.exit_code == 5 and "PATH does not apply to vader" in wrong.output
    spanish_empath = _invoke("markers", "import", "empath", "--lang", "es", "-o", str(out))
    assert (
        spanish_empath.exit_code == 5 and "--lang does not apply to empath" in spanish_empath.output
    )


def test_an_import_never_overwrites_a_shipped_marker(tmp_path):
    clash = parse_marker({"name": "sadness", "lang": {"en": {"terms": ["x"]}}}, origin="t")
    with pytest.raises(ImportLexiconError, match="shipped"):
        write_markers({"sadness": clash}, tmp_path, origin="test")
    with pytest.raises(ImportLexiconError, match="shipped marker directory"):
        write_markers(nrc_markers("zib\tjoy\t1"), BUILTIN_DIR, origin="test")
    assert not list(tmp_path.iterdir()) and not (BUILTIN_DIR / "nrc_joy.toml").exists()
