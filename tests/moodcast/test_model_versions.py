"""A marker that a zero-shot source decides is another series on another sentence model, or at
another cut for it: its version (what the ledger, the rates and the warehouse key it by) covers
the model and its threshold (transforms.model_versions.model_versioned, through
moodcast.adapting.configured_markers, the loader of `run` and `stream`)."""

import re

import pytest

import transforms.zero_shot as zero_shot
from moodcast.adapting import base_markers, configured_markers
from moodcast.config import load_settings
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.errors import ConfigError, ModelError
from transforms.markers import BUILTIN_DIR
from transforms.model_folders import weights_digest
from transforms.model_markers import threshold


@pytest.fixture
def model_folder() -> str:
    """A real sentence model named by its folder, so not the shipped spec: all-MiniLM-L6-v2's."""
    return str(resolve_model_path(DEFAULT_MODEL))


def _settings(tmp_path, model: str):
    """A data directory configured with `model` for English, holding a copy of the shipped
    anger marker that the model decides (rule `model`: its zero-shot source as shipped)."""
    data = tmp_path / "data"
    (data / "markers").mkdir(parents=True, exist_ok=True)
    shipped = (BUILTIN_DIR / "anger.toml").read_text(encoding="utf-8")
    decided = re.sub(r'(?m)^rule = "lexicon"', 'rule = "model"', shipped, count=1)
    assert decided != shipped
    (data / "markers" / "anger.toml").write_text(decided, encoding="utf-8")
    (data / "config.toml").write_text(f"models = {{en = {model!r}}}\n", encoding="utf-8")
    return load_settings(data)


def _table(tmp_path, monkeypatch, folder: str, cut: float) -> None:
    """Thresholds for the weights of `folder` (anger at `cut`) in place of the shipped table."""
    digest = weights_digest(resolve_model_path(folder))
    path = tmp_path / f"thresholds-{cut}.toml"
    path.write_text(f'[model.{digest}]\nname = "small"\n[model.{digest}.lang.en]\nanger = {cut}\n')
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", path)


def _version(settings, name: str = "anger") -> str:
    return configured_markers(settings)[name].version


def test_another_model_or_another_cut_for_it_is_another_version(
    tmp_path, monkeypatch, model_folder
):
    base = _version(_settings(tmp_path, DEFAULT_MODEL))

    other = _settings(tmp_path, model_folder)
    unlisted = _version(other)
    _table(tmp_path, monkeypatch, model_folder, -50.0)
    listed = _version(other)
    _table(tmp_path, monkeypatch, model_folder, -40.0)
    recut = _version(other)
    assert len({base, unlisted, listed, recut}) == 4
    assert _version(other) == recut


def test_a_versioned_marker_still_decides_at_the_cut_chosen_for_the_model(
    tmp_path, monkeypatch, model_folder
):
    _table(tmp_path, monkeypatch, model_folder, -50.0)
    anger = configured_markers(_settings(tmp_path, model_folder))["anger"]
    assert anger.version != base_markers(_settings(tmp_path, DEFAULT_MODEL))["anger"].version
    assert threshold(anger, "en", model_folder) == -50.0


def test_a_marker_the_lexicon_decides_keeps_its_version_on_any_model(tmp_path, model_folder):
    """joy's rule is `lexicon`: no model changes its decisions, so its version stays."""
    settings = _settings(tmp_path, model_folder)
    assert _version(settings, "joy") == base_markers(settings)["joy"].version


def test_a_missing_model_folder_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"config\.toml: models\.en"):
        _settings(tmp_path, str(tmp_path / "no-such-model"))
    settings = load_settings(tmp_path / "data", reads_posts=False)
    with pytest.raises(ModelError, match=r"models\.en"):
        configured_markers(settings)
