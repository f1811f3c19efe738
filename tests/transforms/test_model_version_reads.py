"""model_versioned names each configured model once per load, not once per marker: a model
folder without a weights file is named by reading every file in it (folder_digest), which for
a large folder is the cost of reading it whole."""

from dataclasses import replace

import transforms.model_versions as model_versions
from transforms.markers import load_markers
from transforms.model_folders import folder_digest
from transforms.model_markers import ModelConfig
from transforms.model_versions import model_versioned


def test_a_folder_without_weights_is_read_once_for_every_marker_it_decides(tmp_path, monkeypatch):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    (folder / "model.onnx").write_bytes(b"onnx weights")
    read = []

    def reading(path):
        read.append(path)
        return folder_digest(path)

    monkeypatch.setattr(model_versions, "folder_digest", reading)
    shipped = load_markers(names=["anger", "fear", "joy"])
    decided = {name: replace(marker, rule="model") for name, marker in shipped.items()}
    versioned = model_versioned(decided, ModelConfig(models={"en": str(folder)}))
    assert all(versioned[n].version != decided[n].version for n in decided)
    assert len(read) == 1
