"""The two digests of model folders (transforms/model_folders.py), each for its own question:
folder_digest, is this the very folder a head was trained with (every file); weights_digest,
which sentence model is this (its weights alone), and the version of a marker scored on it."""

import shutil
from dataclasses import replace

from transforms.embedding import DEFAULT_MODEL
from transforms.markers import load_markers
from transforms.model_folders import folder_digest, weights_digest
from transforms.model_markers import ModelConfig
from transforms.model_versions import model_versioned


def _folder(path, *, weights: bytes = b"weights", extra: dict[str, bytes] | None = None):
    path.mkdir()
    (path / "modules.json").write_text("[]")
    (path / "model.safetensors").write_bytes(weights)
    for name, content in (extra or {}).items():
        (path / name).write_bytes(content)
    return path


def test_copies_of_one_model_share_its_weights_digest_not_their_folder_digest(tmp_path):
    slim = _folder(tmp_path / "slim")
    full = _folder(tmp_path / "full", extra={"pytorch_model.bin": b"same", "README.md": b"x"})
    assert weights_digest(slim) == weights_digest(full)
    assert folder_digest(slim) != folder_digest(full)


def test_a_partial_copy_keeps_its_weights_digest_and_fails_its_folder_digest(tmp_path):
    whole = _folder(tmp_path / "whole", extra={"tokenizer.json": b"{}"})
    partial = tmp_path / "partial"
    shutil.copytree(whole, partial)
    (partial / "tokenizer.json").unlink()
    assert weights_digest(partial) == weights_digest(whole)
    assert folder_digest(partial) != folder_digest(whole)


def test_a_model_folder_without_weights_is_named_by_all_its_files(tmp_path):
    """model_versioned names a model by its weights, else (no weights file) by every file."""
    anger = load_markers(names=["anger"])["anger"]
    decided = {"anger": replace(anger, rule="model")}
    versions = []
    for name, onnx in (("a", b"one"), ("b", b"one"), ("c", b"two")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "modules.json").write_text("[]")
        (folder / "model.onnx").write_bytes(onnx)
        assert weights_digest(folder) is None
        config = ModelConfig(models={"en": str(folder)})
        versions.append(model_versioned(decided, config)["anger"].version)
    assert versions[0] == versions[1] != versions[2]
    shipped = model_versioned(decided, ModelConfig(models={"en": DEFAULT_MODEL}))
    assert shipped["anger"].version not in versions
