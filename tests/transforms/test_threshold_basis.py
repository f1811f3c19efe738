"""`threshold_basis` says where a marker file's threshold was chosen (a labelled set's dev split,
`real-dev:<set>`, or the written calibration set, `written`): checked as a non-empty string
beside a `threshold`, left out of the version (a note about the threshold changes no score or
flag, and a version change restarts series), recorded on the shipped files, and printed by
`markers show` and `--json`."""

import json
import tomllib

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.markers import BUILTIN_DIR, MarkerError, load_markers, parse_marker

CALM = """name = "calm"
rule = "model"
[lang.en]
prototypes = ["a slow quiet morning"]
threshold = 2.0
"""


def _parsed(extra: str = "", text: str = CALM):
    return parse_marker(tomllib.loads(text + extra), origin="calm.toml")


def test_a_threshold_basis_is_recorded_and_moves_no_version():
    marker = _parsed('threshold_basis = "written"\n')
    assert marker.version == _parsed().version
    assert marker.threshold_bases == {"en": "written"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CALM + 'threshold_basis = " "\n', "non-empty string"),
        (CALM + "threshold_basis = 3\n", "non-empty string"),
        (CALM.replace("threshold = 2.0\n", 'threshold_basis = "written"\n'), "no 'threshold'"),
    ],
)
def test_a_threshold_basis_must_be_text_beside_a_threshold(text, message):
    with pytest.raises(MarkerError, match=message):
        _parsed(text=text)


def test_every_shipped_threshold_says_where_it_was_chosen():
    """As each file's comment beside its threshold says (SOURCES.md)."""
    shipped = load_markers()
    for name, marker in shipped.items():
        assert set(marker.threshold_bases) == set(marker.thresholds), name
        raw = tomllib.loads((BUILTIN_DIR / f"{name}.toml").read_text(encoding="utf-8"))
        assert marker.threshold_bases == {
            lang: table["threshold_basis"]
            for lang, table in raw["lang"].items()
            if "threshold_basis" in table
        }
    assert shipped["calm"].threshold_bases["en"] == "written"
    assert shipped["joy"].threshold_bases["en"] == "real-dev:covidemo_en+xed_en"
    assert shipped["suicide_risk"].threshold_bases["en"] == "real-dev:rmhd27_reddit_en"


def test_show_prints_the_basis_of_the_marker_files_threshold(tmp_path):
    def show(*args):
        result = CliRunner().invoke(main, ["markers", "show", *args, "--data-dir", tmp_path])
        assert result.exit_code == 0, result.output
        return result.stdout

    english = next(line for line in show("calm").splitlines() if line.startswith("[en] model:"))
    assert "(threshold 3.59, the marker file's, threshold_basis written)" in english
    rows = {row["lang"]: row for row in json.loads(show("calm", "--json"))["languages"]}
    assert rows["en"]["threshold_basis"] == "written"
    assert rows["es"]["threshold_basis"] is None
