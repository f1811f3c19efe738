"""Stress at a balanced base rate: the measure, and the Reddit sample read as a stress proxy by
the lexicon evidence tool, on small sets written here."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks import lexicon_terms as lt
from benchmarks import marker_sets as ms
from benchmarks.stress_balanced import balanced, edited
from transforms.markers import load_markers


def test_precision_is_the_one_a_half_base_rate_would_give():
    gold = np.array([True] * 8 + [False] * 2)
    hit = np.array([True] * 4 + [False] * 4 + [True, False])
    precision, recall, f1, false_positive_rate = balanced(gold, hit)
    assert (recall, false_positive_rate) == (0.5, 0.5)
    assert precision == 0.5 and f1 == pytest.approx(0.5)
    assert balanced(gold, np.zeros(10, dtype=bool))[:3] == (0.0, 0.0, 0.0)


def test_an_edited_lexicon_adds_and_drops_english_terms_only():
    stress = load_markers(names=["stress"])["stress"]
    variant = edited(stress, ["new strain"], ["sick of"])
    assert "new strain" in variant.terms["en"] and "sick of" not in variant.terms["en"]
    assert variant.terms["es"] == stress.terms["es"]


def test_stress_evidence_reads_anxiety_and_depression_posts_against_controls(tmp_path, monkeypatch):
    ids = [f"r{i}" for i in range(60)]
    communities = ["anxiety", "depression", "control", "adhd"] * 15
    columns = ("depression", "anxiety", "suicide_risk", "loneliness", "substance_use", "control")
    pl.DataFrame(
        {
            "id": ids,
            "text": ["so much pressure lately"] * 60,
            "lang": ["en"] * 60,
            **{c: [str(int(k == c)) for k in communities] for c in columns},
            "adhd": [str(int(k == "adhd")) for k in communities],
        }
    ).write_csv(tmp_path / "rmhd27_reddit_en.csv")
    pl.DataFrame(
        {"id": ["s1", "s2"], "text": ["a", "b"], "lang": ["en"] * 2, "stress": ["1", "0"]}
    ).write_csv(tmp_path / "sad_stress_en.csv")
    monkeypatch.setattr(ms, "DATASETS", tmp_path)
    found = dict(lt.evidence("stress", "en"))
    proxy = found["rmhd27_reddit_en (anxiety+depression vs control)"]
    kept = ms.split_of("rmhd27_reddit_en", pl.Series(ids)).is_in(["train", "dev"]).to_numpy()
    expected = {
        i: k != "control"
        for i, k, keep in zip(ids, communities, kept, strict=True)
        if keep and k != "adhd"
    }
    assert dict(proxy.select("id", "stress").iter_rows()) == expected
    assert 0 < sum(expected.values()) < len(expected)
    assert "rmhd27_reddit_en" not in found
