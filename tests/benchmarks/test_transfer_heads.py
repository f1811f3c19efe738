"""The transfer benchmark: what it may learn from, how it summarises, and a run on posts built here."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks import marker_sets as ms
from benchmarks import transfer_heads as th


def test_heads_learn_only_from_shippable_sets_and_are_judged_on_sets_they_never_saw():
    for training in th.TRAININGS:
        assert {name for name, _ in training.parts} <= ms.SHIPPABLE
        assert all(split != "test" for _, split in training.parts)
        unseen = [n for n in training.tests if th.role(training, n) == "unseen"]
        assert unseen and not {n for n, _ in training.parts} & set(unseen)
    both = next(t for t in th.TRAININGS if t.name == "xed_en+covidemo")
    assert th.role(both, "covidemo_en") == "seen set" and th.role(both, "xed_en") == "in-domain"


def test_the_summary_derives_flagged_share_and_tpr_minus_fpr_from_rates():
    """Rates per label: (precision, recall, F1, support, false-positive rate)."""
    results = {"head": {"anger": (0.5, 0.8, 0.6, 20, 0.1), "joy": (1.0, 0.4, 0.5, 10, 0.0)}}
    f1, youden, flagged, true, auc = th.summarise(results, 100, {"head": 0.75})["head"]
    assert f1 == pytest.approx(0.55)
    assert youden == pytest.approx(((0.8 - 0.1) + 0.4) / 2)
    assert flagged == pytest.approx(((16 + 8) / 100 + 4 / 100) / 2)
    assert true == pytest.approx(0.15) and auc == 0.75


def _posts(ids: range, lang: str) -> pl.DataFrame:
    """Posts whose anger and joy each show in a word of their own; every fourth is neither."""
    words = {"es": ("furioso", "feliz", "mesa"), "en": ("furious", "happy", "table")}[lang]
    kinds = [i % 4 for i in ids]
    return pl.DataFrame(
        {
            "id": [f"{lang}-{i}" for i in ids],
            "text": [f"{words[min(k, 2)]} hoy {i}" for i, k in zip(ids, kinds, strict=True)],
            "lang": [lang] * len(ids),
            **{e: ["0"] * len(ids) for e in ms.EMOTIONS},
        }
    ).with_columns(
        anger=pl.Series([str(int(k == 0)) for k in kinds]),
        joy=pl.Series([str(int(k == 1)) for k in kinds]),
    )


def test_an_ngram_head_learnt_on_one_set_is_judged_on_another(tmp_path, monkeypatch):
    _posts(range(60), "es").write_csv(tmp_path / "train.csv")
    _posts(range(60, 100), "es").write_csv(tmp_path / "other.csv")
    files = {"train": "train.csv", "dev": "train.csv", "test": "other.csv"}
    sets = {n: ms.LabelledSet(n, "es", ("anger", "joy"), files, n) for n in ("a", "b")}
    monkeypatch.setattr(ms, "DATASETS", tmp_path)
    monkeypatch.setattr(th, "SETS", sets)
    monkeypatch.setattr(th, "EMOTIONS", ("anger", "joy"))
    monkeypatch.setattr(th, "DETAIL", tmp_path / "detail.jsonl")
    training = th.Training("a", (("a", "train"),), ("ngram",), ("b",))
    monkeypatch.setattr(th, "TRAININGS", (training,))
    ((name, test, role, rows, summary),) = th.evaluate(None, encoder=None)
    assert (name, test, role, rows) == ("a", "b", "unseen", 40)
    assert summary["ngram head"][0] == pytest.approx(1.0)
    assert summary["ngram head"][2] == pytest.approx(summary["ngram head"][3]) == 0.25
    assert summary["ngram head"][4] == 1.0 and np.isnan(summary["lexicon"][4])
    assert set(summary) == {"lexicon", "VADER", "ngram head", "lexicon OR ngram"}


def test_the_auc_table_lists_only_sources_with_a_score():
    nan = float("nan")
    rows = [
        (
            "t",
            "en_set",
            "unseen",
            10,
            {"lexicon": (0.5, 0.3, 0.1, 0.1, nan), "ngram head": (0.4, 0.2, 0.1, 0.1, 0.7)},
        ),
        ("t", "es_set", "unseen", 10, {"ngram head": (0.4, 0.2, 0.1, 0.1, 0.6)}),
    ]
    auc_table = th.render(rows).split("threshold-free):")[1]
    assert "| ngram head |" in auc_table and "lexicon" not in auc_table
