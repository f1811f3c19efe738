"""Digests of model folders, and the model folder a `static` or `finetune` head has of its own
(`static-<digest>/`, `finetuned-<digest>/`, saved beside its head file): found on this machine,
and its files checked against the digest the head file records before the model is loaded.

Two digests, for two questions. folder_digest (every file, by relative path) asks "is this the
very folder a head was trained with?": a head's own folder is small (15 MB static, ~90 MB
fine-tuned), written by moodcast, and a partial copy or a replaced tokenizer must be refused,
so every file counts. weights_digest (the weights file alone, cached per file, size and
modification time) asks "which sentence model is this?" of a folder the user names in
`models`: copies of one model differ in files that do not change its scores (a README, the
same weights again as pytorch_model.bin, onnx/ or openvino/ exports, present in one download
and not in another), so every file would tell two copies of the same weights apart and miss
the thresholds chosen for them (transforms.zero_shot.model_threshold); it keys those
thresholds and the versions of markers scored on such a model
(transforms.model_versions.model_versioned). A folder with no weights file is named by
folder_digest there.

A Beam worker gets the markers pickled, each such head naming its folder by the absolute path
the submitting machine resolved; a worker that lacks that path looks for the folder of that name
in the directory MARKERS_DIR_ENV names (the marker directory as copied into the worker image or
onto a shared filesystem). The name carries the digest, and the files are checked against it,
so a folder found there is the model the head was trained with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path

from transforms.errors import ModelError
from transforms.markers import OWN_MODEL_FILE, Head, Marker

MARKERS_DIR_ENV = "MOODCAST_MARKERS_DIR"
"""On a worker: the directory holding copies of the marker directory's model folders."""
REMOTE_DOC = 'docs/markers.md, "Heads with their own model on remote workers"'
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
"""The file of a sentence-transformers folder that weights_digest reads, the first found."""

_CHECKED: set[tuple[str, str]] = set()
"""(folder, digest) pairs whose files were found to match, in this process."""


def folder_digest(directory: Path) -> str:
    """A SHA-256 (16 hex digits) of every file of a saved model folder, by relative path."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def weights_digest(path: Path) -> str | None:
    """16 hex digits of the SHA-256 of the weights of the sentence-transformers folder at
    `path` (its first file of WEIGHTS_FILES; None when it has none), read once per process
    per file, size and modification time (0.3 CPU s for 420 MB here)."""
    for name in WEIGHTS_FILES:
        file = path / name
        if file.is_file():
            stat = file.stat()
            return _file_digest(file, stat.st_size, stat.st_mtime_ns)
    return None


@cache
def _file_digest(file: Path, size: int, mtime_ns: int) -> str:
    with file.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


def check_model_folder(name: str, head: Head) -> None:
    """Check that the files of `head`'s own model folder (`head.model`) have the digest its
    head file records (`head.digest`; None: nothing to check), once per process per folder and
    digest: hashing costs about 0.01 CPU s for a 15 MB static model, 0.1 for a fine-tuned
    one (docs/markers.md).

    Raises ModelError naming marker `name`, the head and the folder when they differ (a model
    replaced after training, or a partial copy).
    """
    if head.digest is None or (head.model, head.digest) in _CHECKED:
        return
    found = folder_digest(Path(head.model))
    if found != head.digest:
        raise ModelError(
            f"the {head.family} head of marker {name} was trained with the model folder "
            f"{head.model} whose files had digest {head.digest}, but they now have {found}: "
            "the model was replaced or copied in part. Copy the marker directory again whole "
            f"(head files and model folders together), or retrain the head with `moodcast "
            f"markers train --family {head.family}`"
        )
    _CHECKED.add((head.model, head.digest))


def located_markers(markers: Mapping[str, Marker], search_dir: str | None) -> dict[str, Marker]:
    """`markers` with the own model folder of each `static` and `finetune` head as found on this
    machine: at the path the head names (where the markers were loaded) or else, as on a remote
    worker, the folder of that name in `search_dir` (MARKERS_DIR_ENV; None or empty: nowhere
    else; relative: to the working directory).

    Raises ModelError naming the marker, the head, the paths tried, MARKERS_DIR_ENV and
    REMOTE_DOC when neither holds it.
    """
    return {name: _located(marker, search_dir) for name, marker in markers.items()}


def _located(marker: Marker, search_dir: str | None) -> Marker:
    """`marker` with its own-model heads' folders as found here (located_markers)."""
    heads = dict(marker.heads)
    for lang, head in marker.heads.items():
        if head.family not in OWN_MODEL_FILE:
            continue
        key_file = OWN_MODEL_FILE[head.family]
        submitted = Path(head.model)
        if (submitted / key_file).is_file():
            continue
        elsewhere = Path(search_dir) / submitted.name if search_dir else None
        if elsewhere is not None and (elsewhere / key_file).is_file():
            heads[lang] = replace(head, model=str(elsewhere.resolve()))
            continue
        looked = (
            f"nor at {elsewhere} ({MARKERS_DIR_ENV})"
            if elsewhere
            else f"and {MARKERS_DIR_ENV} is not set (or empty)"
        )
        raise ModelError(
            f"the {head.family} head of marker {marker.name} ({lang}) needs its model folder "
            f"{submitted.name}, which this machine has neither at {submitted} (where the "
            f"markers were loaded) {looked}. On a remote runner's workers, copy the marker "
            f"directory (its head files and model folders) into the worker image or onto a "
            f"shared filesystem and set {MARKERS_DIR_ENV} to it in the workers' environment "
            f"({REMOTE_DOC})"
        )
    return replace(marker, heads=heads)
