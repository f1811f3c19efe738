import json

import numpy as np
import polars as pl

from benchmarks.default_heads import RECORD_ONLY, as_shipped, undated
from moodcast.training import train_heads
from transforms.markers import DEFAULT_HEADS_DIR, load_markers
from transforms.model_markers import ModelConfig
from transforms.ngram import WORDS_ONLY


def _rows() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    words = ["rain", "bus", "coffee", "desk", "lunch", "email", "train", "phone"]
    texts = [" ".join(rng.choice(words, size=4)) + (" hopeless" if i % 5 == 0 else "")
             for i in range(100)]  # fmt: skip
    return pl.DataFrame({"text": texts, "lang": ["en"] * 100, "suicide_risk": [
        int(i % 5 == 0) for i in range(100)
    ]})  # fmt: skip


def test_a_rerun_of_default_heads_writes_the_shipped_fields_in_their_order_and_layout(tmp_path):
    """Rerun, benchmarks/default_heads.py added `c` and `c_cv_f1` to the shipped head file (a
    head file is part of its marker's version); as_shipped leaves them out."""
    (written,) = train_heads(_rows(), markers=load_markers(names=["suicide_risk"]),
                             config=ModelConfig(models={}), out_dir=tmp_path, origin="t",
                             family="ngram", recipe=WORDS_ONLY, c_grid=(1.0,))  # fmt: skip
    trained = written.path.read_text(encoding="utf-8")
    assert set(RECORD_ONLY) <= set(json.loads(trained))
    shipped = (DEFAULT_HEADS_DIR / "en" / "suicide_risk.head.json").read_text(encoding="utf-8")
    rerun = as_shipped(trained)
    assert list(json.loads(rerun)) == list(json.loads(shipped))
    assert as_shipped(shipped) == shipped


def test_a_provenance_that_differs_from_a_rerun_but_in_its_date_is_caught():
    """The shipped PROVENANCE.md kept a zero-shot row measured at a stale threshold (0.374,
    recall 1.00) that a rerun gave as 0.732 (0.77/0.70), and `--check` compared head files only;
    it now compares PROVENANCE.md too, all but its `Trained` date."""
    shipped = (DEFAULT_HEADS_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    redated = shipped.replace("Trained 20", "Trained 19", 1)
    assert redated != shipped
    assert undated(redated) == undated(shipped)
    row = shipped.splitlines()[-1]
    assert row.startswith("| en | suicide_risk |")
    changed = shipped.replace(row, row.replace("| 0.", "| 1.", 1))
    assert undated(changed) != undated(shipped)
