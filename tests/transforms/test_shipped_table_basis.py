"""model/thresholds.toml records, beside every cut, the score_basis it was chosen for
(transforms.zero_shot.model_threshold applies a cut only while the marker's is that one), and
the shipped table's are the shipped markers' now: a change to a shipped marker's centroid
phrases, or to a rival emotion's, fails here until benchmarks/zero_shot.py --write-thresholds
chooses the cuts again."""

import tomllib

from transforms.markers import load_markers
from transforms.zero_shot import MODEL_THRESHOLDS_FILE, score_basis


def test_every_shipped_cut_records_the_shipped_markers_score_basis():
    with MODEL_THRESHOLDS_FILE.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    shipped = load_markers()
    for table in tables.values():
        for lang, cuts in table["lang"].items():
            recorded = table.get("basis", {}).get(lang, {})
            assert recorded == {name: score_basis(shipped[name], lang) for name in cuts}
