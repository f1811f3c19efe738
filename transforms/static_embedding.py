"""Static sentence models: a `static` head's own model (model2vec), read from the folder saved
beside the head file (moodcast.static_models distils it from the language's configured
sentence model). A text's embedding is the mean of its tokens' stored vectors, unit length: no
transformer runs, so neither torch nor onnxruntime is loaded, and a text costs microseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from transforms.errors import ModelError

STATIC_WEIGHTS = "model.safetensors"
"""The file every saved static model folder holds (its token vectors)."""


class StaticEncoder:
    """The model2vec static model saved at `path`, as a transforms.embedding.Encoder."""

    backend = "static"
    cache_dir = None

    def __init__(self, path: Path):
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ModelError(
                f"the static model at {path} needs the package model2vec, which is not "
                "installed: install moodcast with its dependencies (pip install -c "
                "constraints.txt -e .)"
            ) from exc
        if not (path / STATIC_WEIGHTS).is_file():
            raise ModelError(f"no static model at {path}: it holds no {STATIC_WEIGHTS}")
        self.name = str(path)
        try:
            self._model = StaticModel.from_pretrained(str(path), force_download=False)
        except Exception as exc:  # safetensors' and tokenizers' errors are no narrower kind
            raise ModelError(
                f"cannot load the static model at {path} (a damaged file?): {exc}; retrain its "
                "head with `moodcast markers train --family static`"
            ) from exc
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), L2-normalised rows (a text with no known token is
        all zeros), in the order of `texts`; computed in this process (no worker pool)."""
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)


_LOADED: dict[Path, StaticEncoder] = {}
_LOCK = threading.Lock()


def load_static_encoder(path: str | Path) -> StaticEncoder:
    """The static model saved at `path` (a `static` head's folder), loaded once per process.

    Raises ModelError naming the path when model2vec is not installed or the folder holds no
    readable static model; never downloads.
    """
    resolved = Path(path).resolve()
    with _LOCK:
        if resolved not in _LOADED:
            _LOADED[resolved] = StaticEncoder(resolved)
        return _LOADED[resolved]
