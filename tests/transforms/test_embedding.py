"""Sentence encoders: offline loading, the embedding contract, and ONNX exports that agree with
the torch model."""

import json
import os
import socket

import numpy as np
import pytest

from transforms.embedding import (
    DEFAULT_MODEL,
    ModelError,
    TorchEncoder,
    export_onnx,
    load_encoder,
    resolve_model_path,
)

INT8_MIN_COSINE = 0.95
INT8_MEAN_COSINE = 0.985
FP32_MIN_COSINE = 0.9999


def _corpus_texts(corpus, n: int) -> list[str]:
    """The first `n` texts of the sample corpus, skipping its malformed lines."""
    texts = []
    with open(corpus / "posts.jsonl", "rb") as lines:
        for line in lines:
            try:
                texts.append(json.loads(line)["text"])
            except (ValueError, KeyError, TypeError):
                continue
            if len(texts) == n:
                break
    return texts


@pytest.fixture(scope="module")
def texts(small_corpus) -> list[str]:
    return _corpus_texts(small_corpus, 40)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def test_default_model_loads_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access in an offline test")

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setattr(socket.socket, "connect", refuse)
    encoder = TorchEncoder(resolve_model_path(DEFAULT_MODEL))
    assert encoder.dim == 384
    assert encoder.name.endswith("model")


def test_a_missing_model_path_is_a_model_error_naming_it(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match=str(missing)):
        load_encoder(str(missing))
    with pytest.raises(ModelError, match=rf"{tmp_path}.*modules\.json"):
        resolve_model_path(str(tmp_path))


def test_an_unknown_backend_is_a_model_error_naming_the_choices():
    with pytest.raises(ModelError, match="torch, onnx-fp32, onnx-int8"):
        load_encoder(backend="openvino")


def test_encode_gives_normalised_float32_rows_in_input_order():
    encoder = load_encoder()
    texts = ["I feel so alone lately", "the train leaves at noon", "I am very lonely"]
    embeddings = encoder.encode(texts)
    assert embeddings.shape == (3, encoder.dim)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    for row, text in enumerate(texts):
        np.testing.assert_allclose(encoder.encode([text])[0], embeddings[row], atol=1e-5)
    assert embeddings[0] @ embeddings[2] > embeddings[0] @ embeddings[1] + 0.2


def test_no_texts_give_an_empty_array_of_the_model_width():
    encoder = load_encoder()
    assert encoder.encode([]).shape == (0, encoder.dim)
    assert encoder.encode([]).dtype == np.float32


def test_loading_the_same_model_twice_returns_the_loaded_encoder():
    path = resolve_model_path(DEFAULT_MODEL)
    assert load_encoder() is load_encoder(DEFAULT_MODEL)
    assert load_encoder(str(path)) is load_encoder()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "min_cosine", "mean_cosine"),
    [("onnx-int8", INT8_MIN_COSINE, INT8_MEAN_COSINE), ("onnx-fp32", FP32_MIN_COSINE, 0.9999)],
)
def test_onnx_backends_agree_with_torch(backend, min_cosine, mean_cosine, texts, onnx_cache):
    reference = load_encoder().encode(texts)
    encoder = load_encoder(backend=backend, cache_dir=onnx_cache)
    embeddings = encoder.encode(texts)
    assert embeddings.shape == reference.shape
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    cosine = (embeddings * reference).sum(axis=1)
    assert cosine.min() >= min_cosine
    assert cosine.mean() >= mean_cosine
    assert encoder.encode([]).shape == (0, encoder.dim)
    assert load_encoder(backend=backend, cache_dir=onnx_cache) is encoder


@pytest.mark.slow
def test_an_int8_embedding_does_not_depend_on_the_other_texts(texts, onnx_cache):
    encoder = load_encoder(backend="onnx-int8", cache_dir=onnx_cache)
    together = encoder.encode(texts)
    for row in (0, 7, len(texts) - 1):
        np.testing.assert_allclose(encoder.encode([texts[row]])[0], together[row], atol=1e-6)


@pytest.mark.slow
def test_an_export_is_made_once_and_reused(onnx_cache):
    load_encoder(backend="onnx-int8", cache_dir=onnx_cache)
    path = resolve_model_path(DEFAULT_MODEL)
    export_dir = export_onnx(path, backend="onnx-int8", cache_dir=onnx_cache)
    made = (export_dir / "model.onnx").stat().st_mtime_ns
    assert export_onnx(path, backend="onnx-int8", cache_dir=onnx_cache) == export_dir
    assert (export_dir / "model.onnx").stat().st_mtime_ns == made
    meta = json.loads((export_dir / "encoder.json").read_text(encoding="utf-8"))
    assert meta["model"] == str(path)
    torch_cut = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    assert meta["max_seq_length"] == torch_cut["max_seq_length"] == 256
    assert meta["min_cosine_to_torch"] >= INT8_MIN_COSINE
    assert [p.name for p in onnx_cache.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_a_text_longer_than_the_models_window_is_cut_alike_by_every_backend(onnx_cache):
    long = "The park was calm and sunny this morning. " * 40 + "I feel hopeless and alone. " * 60
    reference = load_encoder().encode([long])[0]
    embedding = load_encoder(backend="onnx-fp32", cache_dir=onnx_cache).encode([long])[0]
    assert embedding @ reference >= FP32_MIN_COSINE
