"""benchmarks/zero_shot.py --write-thresholds: the table a larger model's run writes is the one
the product reads (transforms.zero_shot.model_threshold)."""

import tomllib
from dataclasses import replace

import numpy as np
import polars as pl

import benchmarks.zero_shot as bench
import transforms.zero_shot as zero_shot
from benchmarks.zero_shot import pooled_cut, write_thresholds
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.markers import load_markers
from transforms.model_folders import weights_digest


def test_written_thresholds_keep_the_header_and_other_models_and_are_read_back(
    tmp_path, monkeypatch
):
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '# where they come from\n\n[model.aaaa]\nname = "other"\n\n[model.aaaa.lang.en]\njoy = 1\n'
    )
    monkeypatch.setattr(bench, "MODEL_THRESHOLDS_FILE", path)
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", path)
    folder = resolve_model_path(DEFAULT_MODEL)
    digest = weights_digest(folder)
    write_thresholds(digest, "small", {"anger": 2.5, "joy": 1.25})
    write_thresholds(digest, "small", {"anger": 2.75, "joy": 1.25})
    assert path.read_text().startswith("# where they come from\n")
    with path.open("rb") as handle:
        tables = tomllib.load(handle)["model"]
    assert tables["aaaa"] == {"name": "other", "lang": {"en": {"joy": 1}}}
    assert tables[digest]["lang"]["en"] == {"anger": 2.75, "joy": 1.25}
    anger = load_markers(names=["anger"])["anger"]
    assert zero_shot.model_threshold(anger, "en", str(folder)) == 2.75
    assert zero_shot.model_threshold(anger, "en", DEFAULT_MODEL) is None


def test_a_pooled_cut_pools_the_shippable_sets_dev_splits_and_can_ask_for_precision():
    covidemo, xed, isear = (
        next(s for s in bench.ms.SETS if s.name == n) for n in ("covidemo_en", "xed_en", "isear_en")
    )
    gold = np.array([True, False, False, False, True, False, False, False])
    scores = np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3, 0.75, 0.0])
    frame = pl.DataFrame({"joy": gold})
    splits = {
        (covidemo.name, "dev"): (frame[:4], {"s": {"joy": scores[:4]}}),
        (xed.name, "dev"): (frame[4:], {"s": {"joy": scores[4:]}}),
        (isear.name, "dev"): (frame[:4], {"s": {"joy": -scores[:4]}}),
    }
    sets = [covidemo, xed, replace(isear, labels=("joy",))]
    assert pooled_cut("s", "joy", sets, splits) == 0.7
    assert pooled_cut("s", "joy", sets, splits, precision=0.9) == 0.9
