"""A labelled set's proxy and related columns, read from a small set written here."""

from __future__ import annotations

import polars as pl

from benchmarks import marker_sets as ms


def test_a_proxy_column_is_read_as_its_marker_and_a_related_column_beside_it(tmp_path, monkeypatch):
    for split, ids in (("train", [1, 2]), ("val", [3]), ("test", [4, 5, 6])):
        pl.DataFrame(
            {
                "id": [f"p-{i}" for i in ids],
                "text": [f"post {i}" for i in ids],
                "lang": ["en"] * len(ids),
                "belonging": [str(i % 2) for i in ids],
                "burden": [str(int(i > 4)) for i in ids],
            }
        ).write_csv(tmp_path / f"p_{split}.csv")
    monkeypatch.setattr(ms, "DATASETS", tmp_path)
    labelled = ms.LabelledSet(
        "p",
        "en",
        ("loneliness",),
        {"train": "p_train.csv", "dev": "p_val.csv", "test": "p_test.csv"},
        "proxy",
        proxies={"loneliness": "belonging"},
        related={"burden": ("suicide_risk",)},
    )
    test = ms.load_split(labelled, "test")
    assert test.columns == ["id", "text", "lang", "loneliness", "burden"]
    assert test.get_column("loneliness").to_list() == [False, True, False]
    assert test.get_column("burden").to_list() == [False, True, True]
    assert labelled.column("loneliness") == "belonging" and not labelled.hashed
    assert ms.load_split(labelled, "dev").get_column("loneliness").to_list() == [True]


def test_the_irf_set_is_judged_but_never_shipped_from():
    irf = next(s for s in ms.SETS if s.name == "irf_reddit_en")
    assert irf.labels == ("loneliness",) and irf.column("loneliness") == "thwarted_belongingness"
    assert irf.name not in ms.SHIPPABLE
