"""benchmarks/score_bases.py scores with the code of the tree it is given: a tree whose fear has
another prototype gives joy other rivals' phrases and other scores than the working tree's
(before, `python -c` imported the working folder's `transforms` for both, so the check compared
today's code with itself and could not fail). Real all-MiniLM-L6-v2, the shipped posts."""

import shutil

import numpy as np

from benchmarks.score_bases import ROOT, scores


def test_the_tree_scored_is_the_one_given(tmp_path, monkeypatch):
    tree = tmp_path / "before"
    shutil.copytree(
        ROOT / "transforms", tree / "transforms", ignore=shutil.ignore_patterns("__pycache__")
    )
    fear = tree / "transforms" / "markers" / "fear.toml"
    text = fear.read_text(encoding="utf-8")
    changed = text.replace(
        "prototypes = [\n", 'prototypes = [\n    "my hands shake at night",\n', 1
    )
    assert changed != text
    fear.write_text(changed, encoding="utf-8")
    monkeypatch.chdir(ROOT)

    before, before_phrases = scores(tree, ["joy"], "default", tmp_path / "b")
    now, now_phrases = scores(ROOT, ["joy"], "default", tmp_path / "n")
    assert before_phrases["joy"] == now_phrases["joy"]
    assert before_phrases["rivals"] != now_phrases["rivals"]
    assert not np.allclose(before["joy"], now["joy"])
