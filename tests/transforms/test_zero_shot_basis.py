"""model/thresholds.toml's cut for a model is chosen on the zero-shot source alone (benchmarks/
zero_shot.py scores the markers without their heads), so it holds for a user's copy of a shipped
marker whose zero-shot source is the shipped one, even where the shipped marker has a head that
the copy lacks; where a head decides, its own threshold holds, never the table's."""

import pytest

import transforms.zero_shot as zero_shot
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.markers import BUILTIN_DIR, load_markers
from transforms.model_folders import weights_digest
from transforms.model_markers import threshold
from transforms.zero_shot import model_threshold


@pytest.fixture
def model_folder(tmp_path, monkeypatch) -> str:
    """A real model folder named by its path, listed in a thresholds table: suicide_risk at 4.25
    in English."""
    folder = str(resolve_model_path(DEFAULT_MODEL))
    digest = weights_digest(resolve_model_path(folder))
    table = tmp_path / "thresholds.toml"
    table.write_text(f"[model.{digest}.lang.en]\nsuicide_risk = 4.25\n")
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", table)
    return folder


def test_a_copy_without_the_shipped_head_decides_at_the_table_cut(tmp_path, model_folder):
    yours = tmp_path / "markers"
    yours.mkdir()
    copied = (BUILTIN_DIR / "suicide_risk.toml").read_text(encoding="utf-8")
    (yours / "suicide_risk.toml").write_text(copied, encoding="utf-8")
    copy = load_markers(yours, names=["suicide_risk"])["suicide_risk"]
    assert "en" not in copy.heads
    assert threshold(copy, "en", model_folder) == 4.25


def test_a_head_keeps_its_own_threshold_and_finds_no_table_cut(model_folder):
    shipped = load_markers(names=["suicide_risk"])["suicide_risk"]
    head = shipped.heads["en"]
    assert model_threshold(shipped, "en", model_folder) is None
    assert threshold(shipped, "en", model_folder) == head.threshold
