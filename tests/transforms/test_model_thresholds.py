"""Zero-shot thresholds chosen per sentence model (transforms/markers/model/thresholds.toml),
found by the digest of the model folder's weights."""

from dataclasses import replace

import polars as pl
import pytest

import transforms.model_folders as model_folders
import transforms.zero_shot as zero_shot
from moodcast.calibration import score_probabilities, score_sources, zero_shot_thresholds
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.marker_descriptions import describe_sources
from transforms.markers import load_markers
from transforms.model_folders import weights_digest
from transforms.model_markers import (
    ModelConfig,
    classify,
    load_encoders,
    threshold,
)

TEXTS = [
    "I am so furious with them, this is outrageous and I could scream",
    "Picked up some coffee on the way to work.",
    "what a lovely sunny morning, feeling great",
]


@pytest.fixture
def model_folder() -> str:
    """A real sentence model's folder named by its path: the shipped all-MiniLM-L6-v2's."""
    return str(resolve_model_path(DEFAULT_MODEL))


@pytest.fixture
def table(tmp_path, monkeypatch, model_folder):
    """Writes a thresholds file listing the model folder's weights (anger cut far below every
    score, joy far above) in place of the shipped one; returns its path."""
    digest = weights_digest(resolve_model_path(model_folder))
    path = tmp_path / "thresholds.toml"
    path.write_text(
        f'[model.{digest}]\nname = "small"\n[model.{digest}.lang.en]\nanger = -50.0\njoy = 50.0\n'
    )
    monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", path)
    return path


def _decided(models: dict[str, str]) -> pl.DataFrame:
    markers = load_markers(names=["anger", "joy"])
    posts = pl.DataFrame({"text": TEXTS, "lang": ["en"] * len(TEXTS)})
    return classify(
        posts, markers, config=ModelConfig(models=models, backend="torch"), source="model"
    )


def test_a_listed_model_decides_at_the_thresholds_chosen_for_its_weights(table, model_folder):
    decided = _decided({"en": model_folder})
    assert decided.get_column("anger").to_list() == [True] * len(TEXTS)
    assert decided.get_column("joy").to_list() == [False] * len(TEXTS)
    anger = load_markers(names=["anger"])["anger"]
    config = ModelConfig(models={"en": model_folder})
    assert (
        "(threshold -50, model/thresholds.toml's for this model)"
        in describe_sources(anger, config)[0]
    )


def test_the_shipped_model_and_an_unlisted_one_keep_the_marker_files_thresholds(
    table, model_folder, tmp_path, monkeypatch
):
    markers = load_markers(names=["anger", "joy"])
    for models in ({"en": DEFAULT_MODEL}, {"en": model_folder}):
        if models["en"] != DEFAULT_MODEL:
            unlisted = tmp_path / "other.toml"
            unlisted.write_text("[model.0123456789abcdef.lang.en]\nanger = -50.0\n")
            monkeypatch.setattr(zero_shot, "MODEL_THRESHOLDS_FILE", unlisted)
        decided = _decided(models)
        for name, marker in markers.items():
            cut = marker.thresholds["en"]
            expected = (decided.get_column(f"{name}__score") >= cut).to_list()
            assert decided.get_column(name).to_list() == expected
        assert decided.get_column("anger").to_list() != [True] * len(TEXTS)
    described = describe_sources(markers["anger"], ModelConfig(models={"en": model_folder}))
    cut = markers["anger"].thresholds["en"]
    assert f"(threshold {cut:g}, the marker file's, threshold_basis real-dev:" in described[0]


def test_calibrate_reads_and_centres_on_the_thresholds_chosen_for_the_configured_model(
    table, model_folder
):
    """markers calibrate's current threshold and its probabilities (centred on the cut) are
    those the listed model decides at, and the score source says which table set the cut."""
    markers = load_markers(names=["anger", "joy"])
    config = ModelConfig(models={"en": model_folder}, backend="torch")
    labels = pl.DataFrame(
        {"text": TEXTS, "lang": ["en"] * len(TEXTS), "anger": [1, 0, 0], "joy": [0, 0, 1]}
    )
    rows = {r["marker"]: r for r in zero_shot_thresholds(labels, markers=markers, config=config)}
    assert (rows["anger"]["current_threshold"], rows["joy"]["current_threshold"]) == (-50, 50)
    assert (rows["anger"]["current_f1"], rows["joy"]["current_f1"]) == (0.5, 0.0)
    probabilities = score_probabilities(labels, markers, config=config)
    assert (probabilities.get_column("anger") > 0.99).all()
    assert (probabilities.get_column("joy") < 0.01).all()
    sources = score_sources(markers, config)
    rivals = f" against rivals {zero_shot.rivals_digest(markers['anger'], 'en')}"
    table_cut = f"zero-shot on {model_folder} at -50 (model/thresholds.toml)"
    assert sources["anger", "en"] == table_cut + rivals
    shipped = score_sources(markers, ModelConfig())
    assert shipped["anger", "en"] == f"zero-shot on {DEFAULT_MODEL}" + rivals


def test_a_marker_not_as_shipped_or_adapted_keeps_its_own_threshold(table, model_folder):
    anger = load_markers(names=["anger"])["anger"]
    assert threshold(anger, "en", model_folder) == -50.0
    own = replace(anger, thresholds={"en": 1.5}, version="edited")
    assert threshold(own, "en", model_folder) == 1.5
    adapted = replace(anger, adapted={"en": {}}, thresholds={"en": 3.12})
    assert threshold(adapted, "en", model_folder) == 3.12
    assert threshold(anger, "es", model_folder) == anger.thresholds.get("es", 3.5)


def test_the_weights_digest_names_the_weights_wherever_the_folder_lies(tmp_path):
    for folder, weights in (("a", b"weights one"), ("b", b"weights one"), ("c", b"weights two")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.safetensors").write_bytes(weights)
        (tmp_path / folder / "README.md").write_text(folder)
    digests = {f: weights_digest(tmp_path / f) for f in "abc"}
    assert digests["a"] == digests["b"] != digests["c"]
    (tmp_path / "d").mkdir()
    assert weights_digest(tmp_path / "d") is None


def test_loading_a_model_folder_reads_its_weights_digest_once(model_folder):
    """Where a Beam worker's setup loads the model, so its first chunk does not hash it."""
    model_folders._file_digest.cache_clear()
    config = ModelConfig(models={"en": model_folder}, backend="torch")
    load_encoders(config, ["en"])
    assert model_folders._file_digest.cache_info().currsize == 1
    anger = load_markers(names=["anger"])["anger"]
    threshold(anger, "en", model_folder)
    assert model_folders._file_digest.cache_info().misses == 1


def test_a_model_folder_without_weights_files_finds_no_table(table, tmp_path):
    anger = load_markers(names=["anger"])["anger"]
    folder = tmp_path / "onnx-only"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    assert zero_shot.model_threshold(anger, "en", str(folder)) is None
    assert threshold(anger, "en", str(folder)) == anger.thresholds["en"]
