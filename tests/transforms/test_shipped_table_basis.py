"""model/thresholds.toml and model/adapted.toml record, beside every cut, the score_basis it was
chosen for (transforms.zero_shot.model_threshold and adapt_markers apply a cut only while the
marker's is that one), and the shipped tables' are the shipped markers' now: a change to a
shipped marker's centroid phrases, or to a rival emotion's, fails here until
benchmarks/zero_shot.py --write-thresholds and benchmarks/zero_shot_adapted.py
--choose-thresholds choose the cuts again."""

import tomllib

from transforms.markers import load_markers
from transforms.zero_shot import ADAPTED_FILE, MODEL_THRESHOLDS_FILE, score_basis


def test_every_shipped_cut_records_the_shipped_markers_score_basis():
    with MODEL_THRESHOLDS_FILE.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    shipped = load_markers()
    for table in tables.values():
        for lang, cuts in table["lang"].items():
            recorded = table.get("basis", {}).get(lang, {})
            assert recorded == {name: score_basis(shipped[name], lang) for name in cuts}


def test_every_adapted_cut_records_the_shipped_markers_score_basis():
    with ADAPTED_FILE.open("rb") as handle:
        table = tomllib.load(handle)
    shipped = load_markers()
    for lang, cuts in table["lang"].items():
        recorded = table.get("basis", {}).get(lang, {})
        assert recorded == {name: score_basis(shipped[name], lang) for name in cuts}
