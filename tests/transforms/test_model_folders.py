"""A head's own model folder: found where the markers were loaded or in MOODCAST_MARKERS_DIR
(a remote worker's copy), and its files checked against the digest its head file records."""

import json
import shutil
from pathlib import Path

import pytest

from transforms.errors import ModelError
from transforms.markers import load_markers
from transforms.model_folders import (
    MARKERS_DIR_ENV,
    check_model_folder,
    folder_digest,
    located_markers,
)


def _marker_dir(root: Path, *, digest: str | None = None) -> Path:
    """A marker directory with marker `sad` and a `static` head whose model folder holds two
    files (bytes standing for the weights and the tokenizer: nothing here loads them)."""
    out = root / "markers"
    folder = out / "static-m1"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    (folder / "tokenizer.json").write_text('{"vocab": ["sad", "cried"]}')
    (out / "sad.toml").write_text('name = "sad"\nrule = "model"\n')
    head = {"family": "static", "coef": [0.5, -0.5], "intercept": 0.1, "threshold": 0.5,
            "model": "static-m1", "languages": ["en"], "recipe": "ngram-words", "indices": [],
            "ngram_coef": [], "static_digest": digest or folder_digest(folder)}  # fmt: skip
    (out / "sad.head.json").write_text(json.dumps(head))
    return out


def test_a_head_reads_the_digest_its_file_records(tmp_path):
    markers = _marker_dir(tmp_path)
    head = load_markers(markers, names=["sad"])["sad"].heads["en"]
    assert head.digest == folder_digest(markers / "static-m1")
    check_model_folder("sad", head)


def test_a_replaced_or_partly_copied_model_is_refused_naming_head_and_folder(tmp_path):
    markers = _marker_dir(tmp_path)
    folder = markers / "static-m1"
    weights = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    head = load_markers(markers, names=["sad"])["sad"].heads["en"]
    with pytest.raises(ModelError, match=r"static head of marker sad .*static-m1.* replaced"):
        check_model_folder("sad", head)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="copied in part"):
        check_model_folder("sad", head)


def test_the_digest_is_checked_once_per_process(tmp_path):
    markers = _marker_dir(tmp_path)
    head = load_markers(markers, names=["sad"])["sad"].heads["en"]
    check_model_folder("sad", head)
    (markers / "static-m1" / "tokenizer.json").write_text("changed after the check")
    check_model_folder("sad", head)


def test_a_worker_finds_the_folder_in_its_markers_dir_or_says_what_to_do(tmp_path, monkeypatch):
    markers = _marker_dir(tmp_path / "submitter")
    loaded = load_markers(markers, names=["sad"])
    assert located_markers(loaded, None) == loaded
    worker = tmp_path / "worker" / "markers"
    shutil.copytree(markers, worker)
    shutil.rmtree(markers)

    found = located_markers(loaded, str(worker))["sad"].heads["en"]
    assert found.model == str((worker / "static-m1").resolve())
    assert found.digest == loaded["sad"].heads["en"].digest
    check_model_folder("sad", found)
    other = tmp_path / "other-worker" / "markers"
    shutil.copytree(worker, other)
    (other / "static-m1" / "tokenizer.json").write_text('{"vocab": ["another", "model"]}')
    with pytest.raises(ModelError, match="replaced or copied in part"):
        check_model_folder("sad", located_markers(loaded, str(other))["sad"].heads["en"])
    monkeypatch.chdir(tmp_path)
    assert located_markers(loaded, "worker/markers")["sad"].heads["en"] == found
    with pytest.raises(ModelError) as unset:
        located_markers(loaded, None)
    assert f"{MARKERS_DIR_ENV} is not set" in str(unset.value)
    with pytest.raises(ModelError, match=f"{MARKERS_DIR_ENV} is not set \\(or empty\\)"):
        located_markers(loaded, "")
    with pytest.raises(ModelError) as elsewhere:
        located_markers(loaded, str(tmp_path / "empty"))
    message = str(elsewhere.value)
    for part in ("static head of marker sad (en)", "static-m1", str(markers / "static-m1"),
                 str(tmp_path / "empty" / "static-m1"), MARKERS_DIR_ENV,
                 "Heads with their own model on remote workers"):  # fmt: skip
        assert part in message
