"""An `embedding` or `hybrid` head weighs the embedding of the configured sentence model, so on
another model its decisions are another measurement: its marker gets a version covering that
model, as a zero-shot source does (model_versioned). An `ngram` head reads no sentence model and
keeps its version."""

from dataclasses import replace

from transforms.markers import Head, load_markers
from transforms.model_markers import ModelConfig
from transforms.model_versions import model_versioned


def _folder(path, weights: bytes):
    path.mkdir()
    (path / "modules.json").write_text("[]")
    (path / "model.safetensors").write_bytes(weights)
    return str(path)


def _headed(family: str):
    anger = load_markers(names=["anger"])["anger"]
    head = Head(
        coef=(0.5,) * 4,
        intercept=0.0,
        threshold=0.5,
        model="model",
        languages=("en",),
        family=family,
        indices=(1,) if family != "embedding" else (),
        recipe="ngram-v1" if family != "embedding" else None,
        ngram_coef=(0.25,) if family != "embedding" else (),
    )
    return {"anger": replace(anger, rule="model", heads={"en": head})}


def test_an_embedding_head_on_another_model_is_another_version(tmp_path):
    one = ModelConfig(models={"en": _folder(tmp_path / "one", b"one")})
    two = ModelConfig(models={"en": _folder(tmp_path / "two", b"two")})
    for family in ("embedding", "hybrid"):
        headed = _headed(family)
        base = headed["anger"].version
        versions = {model_versioned(headed, config)["anger"].version for config in (one, two)}
        assert base not in versions and len(versions) == 2, family


def test_an_ngram_head_keeps_its_version_on_any_model(tmp_path):
    headed = _headed("ngram")
    config = ModelConfig(models={"en": _folder(tmp_path / "one", b"one")})
    assert model_versioned(headed, config)["anger"].version == headed["anger"].version
