"""`moodcast markers show` names where each threshold comes from, as `markers calibrate` does
(transforms.model_markers.threshold_origin), and says when the threshold decides none of a
marker's flags: the shipped English stress cut (an operating point chosen on real posts that
flags about half of everyday posts) is harmless only while the lexicon decides."""

import json

from click.testing import CliRunner

from moodcast.cli import main
from transforms.markers import load_markers
from transforms.zero_shot import DEFAULT_THRESHOLD

WORRY = """name = "worry"
description = "Worry."
dimensions = ["anxiety"]
rule = "either"

[lang.en]
terms = ["worried"]
prototypes = ["I can't stop worrying about tomorrow", "my mind keeps racing with worries"]
"""


def _show(*args):
    result = CliRunner().invoke(main, ["markers", "show", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def _by_lang(shown):
    return {row["lang"]: row for row in json.loads(shown)["languages"]}


def test_show_names_the_marker_files_stress_cut_and_that_the_lexicon_decides(tmp_path):
    cut = load_markers(names=["stress"])["stress"].thresholds["en"]
    english = next(line for line in _show("stress", "--data-dir", tmp_path).splitlines()
                   if line.startswith("[en] model:"))  # fmt: skip
    assert f"(threshold {cut:g}, the marker file's, threshold_basis real-dev:" in english
    assert "); decides: lexicon" in english
    assert "the threshold decides none of its flags" in english
    row = _by_lang(_show("stress", "--json", "--data-dir", tmp_path))["en"]
    assert (row["threshold"], row["threshold_from"]) == (cut, "marker")
    assert (row["decides"], row["threshold_decides"]) == ("lexicon", False)


def test_show_json_names_a_heads_cut_and_the_default_where_a_file_sets_none(tmp_path):
    suicide = _by_lang(_show("suicide_risk", "--json", "--data-dir", tmp_path))["en"]
    head = load_markers(names=["suicide_risk"])["suicide_risk"].heads["en"]
    assert (suicide["threshold"], suicide["threshold_from"]) == (head.threshold, "head")
    assert suicide["threshold_decides"] and suicide["decides"] == "lexicon or model"
    (tmp_path / "markers").mkdir()
    (tmp_path / "markers" / "worry.toml").write_text(WORRY)
    worry = _by_lang(_show("worry", "--json", "--data-dir", tmp_path))["en"]
    assert (worry["threshold"], worry["threshold_from"]) == (DEFAULT_THRESHOLD, "default")
    assert worry["threshold_decides"] and worry["decides"] == "lexicon or model"
    english = next(line for line in _show("worry", "--data-dir", tmp_path).splitlines()
                   if line.startswith("[en] model:"))  # fmt: skip
    assert english.endswith(
        f"(threshold {DEFAULT_THRESHOLD:g}, the default); decides: lexicon or model"
    )
