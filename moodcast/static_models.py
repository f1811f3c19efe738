"""The `static` head family's own model (`moodcast markers train --family static`): the
language's configured sentence model distilled into a static model (model2vec's `distill`: the
model's output for each token of its vocabulary, reduced by PCA; a text is the mean of its
tokens' vectors), once per model into the model cache, then saved beside the heads as
`static-<digest>/`, so a marker directory with such heads is self-contained. Scoring it needs
model2vec alone (transforms/static_embedding.py); distilling also needs skeletoken, transformers
and torch. Measured in docs/markers.md, "A static sentence model".
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from transforms.embedding import (
    build_into_place,
    default_cache_dir,
    model_cache_key,
    resolve_model_path,
)
from transforms.errors import ModelError
from transforms.model_folders import folder_digest
from transforms.static_embedding import STATIC_WEIGHTS

log = logging.getLogger(__name__)

MODEL_CARD = "README.md"
"""model2vec's model card, which names the folder it was saved into: not kept."""
TRAINING_LOCK = ".training.lock"
"""The file of a marker directory that trainings lock while they write into it (placing)."""
STATIC_PREFIX = "static-"
"""A `static` head's model is saved beside it as `static-<digest of its files>/`."""
DISTILL_PACKAGES = ("model2vec", "skeletoken", "transformers", "torch", "tokenizers")
"""Libraries whose versions are part of a distilled model's cache key."""
SAVED_FORMAT = 2
"""Part of the cache key: 2 saves no model card and names the sentence model by its folder's
name alone, so the files (and the digest a head names) depend on the weights, not on where the
model was installed or staged (1 kept model2vec's card, naming the random staging folder)."""


@dataclass(frozen=True)
class StaticSettings:
    """How the static model is distilled (model2vec's `distill`): `pca_dims` dimensions kept by
    PCA (256, model2vec's default, the measured recipe), and the tokens of the sentence model's
    vocabulary that match `token_remove_pattern` left out (model2vec's default: BERT's unused
    slots). Both are part of the cache key and recorded in the head file."""

    pca_dims: int = 256
    token_remove_pattern: str = r"\[unused\d+\]"


def distilled(spec: str, *, cache_dir: Path | None, settings: StaticSettings) -> Path:
    """The folder of the model cache (`cache_dir`, where the ONNX exports live; None:
    transforms.embedding.default_cache_dir()) holding the static model distilled from the
    sentence model `spec` (transforms.embedding.resolve_model_path: a local path, never
    downloaded) with `settings`, built now unless it is there, keyed as the ONNX exports are
    (model path, its files' sizes and times, settings, library versions, SAVED_FORMAT). Building
    takes about a minute of CPU for all-MiniLM-L6-v2 (logged at start and end); it happens in a
    temporary folder beside the target, renamed into place, and gives the same files every time,
    wherever the sentence model is installed (its `config.json` names the model's folder alone,
    and model2vec's model card is not kept).

    Raises ModelError when the model is missing, model2vec or skeletoken is not installed, or
    the distillation fails.
    """
    path = resolve_model_path(spec)
    cache = Path(cache_dir or default_cache_dir())
    recipe = ("static", settings.pca_dims, settings.token_remove_pattern, SAVED_FORMAT)
    target = cache / f"{path.name}-static-{model_cache_key(path, recipe, DISTILL_PACKAGES)}"
    if (target / STATIC_WEIGHTS).is_file():
        return target
    try:
        from model2vec.distill import distill
    except ImportError as exc:
        raise ModelError(
            "distilling a static model needs the packages model2vec and skeletoken, which are "
            "not installed: install moodcast with its dependencies (pip install -c "
            f"constraints.txt -e .) ({exc})"
        ) from exc
    log.info(
        "distilling a static model from %s into %s: once per model, about a minute of CPU",
        path,
        target,
    )
    start = time.process_time()

    def distil_into(staging: Path) -> None:
        model = distill(
            model_name=str(path),
            pca_dims=settings.pca_dims,
            token_remove_pattern=settings.token_remove_pattern,
            device="cpu",
        )
        model.config["tokenizer_name"] = path.name
        model.save_pretrained(str(staging))
        (staging / MODEL_CARD).unlink(missing_ok=True)
        for file in staging.iterdir():
            file.chmod(0o644)

    try:
        build_into_place(target, STATIC_WEIGHTS, distil_into)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot distil a static model from {path}: {exc}") from exc
    log.info("distilled the static model in %.0f CPU s", time.process_time() - start)
    return target


def saved_beside(model_dir: Path, out_dir: Path, digest: str) -> str:
    """Copy the static model in `model_dir`, whose files have `digest`
    (transforms.model_folders.folder_digest), into `out_dir` as `static-<digest>/` unless a copy
    is there; returns the folder's name. The copy is made under a temporary name and renamed
    into place; a copy another training renamed there meanwhile (the same files: the name is
    their digest) is kept; a copy whose files no longer have that digest is replaced
    (remove_damaged)."""
    target = out_dir / f"{STATIC_PREFIX}{digest}"
    remove_damaged(target, digest)
    if not (target / STATIC_WEIGHTS).is_file():
        build_into_place(
            target,
            STATIC_WEIGHTS,
            lambda staging: shutil.copytree(model_dir, staging, dirs_exist_ok=True),
        )
    return target.name


def remove_damaged(folder: Path, digest: str) -> None:
    """Remove the model folder `folder` (`static-<digest>/`, `finetuned-<digest>/`) when it is
    there and its files do not have `digest` (damaged, or copied in part), so that a training
    places its model there again rather than naming the damaged one. Call it holding the
    directory's training lock (placing)."""
    if folder.is_dir() and folder_digest(folder) != digest:
        shutil.rmtree(folder)


def remove_unnamed(out_dir: Path, prefix: str) -> None:
    """Remove the model folders `<prefix>*` of `out_dir` that no `*.head.json` there names as
    its `model` any more (a head retrained on another model, or removed). Call it holding the
    directory's training lock (placing), after the head files are written."""
    named = {
        json.loads(p.read_text(encoding="utf-8")).get("model") for p in out_dir.glob("*.head.json")
    }
    for stale in out_dir.glob(f"{prefix}*"):
        if stale.is_dir() and stale.name not in named:
            shutil.rmtree(stale)


@contextmanager
def placing(out_dir: Path) -> Iterator[None]:
    """Hold the training lock of the marker directory `out_dir` (`fcntl.flock` on its
    TRAINING_LOCK file, waiting for it) while a training places its model folder, writes its
    head files and removes the folders no head names (remove_unnamed): another training into
    the same directory does all that before or after, never in between, so it never removes a
    folder this one has placed and not yet named. The file is opened for writing (created when
    missing), else for reading: a local `flock` needs no more, so a user who may write into a
    shared marker directory but not into the lock file another user created there trains too;
    on NFS, where `flock` is a byte-range lock whose exclusive form needs a file open for
    writing (flock(2), "NFS details"), a user who may write the file still locks it."""
    path = out_dir / TRAINING_LOCK
    try:
        lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        lock = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)


@contextmanager
def staging_folder(out_dir: Path, prefix: str) -> Iterator[Path]:
    """A new empty folder `<prefix>*` in the marker directory `out_dir` for a training to save
    its model into before placing it, held (`fcntl.flock` on the folder) until the block ends
    and then removed, so that remove_abandoned, in another training, leaves it alone. It is made
    and removed holding the training lock (placing), where remove_abandoned runs, so that never
    sees it unheld or half removed."""
    with placing(out_dir):
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir))
        held = os.open(folder, os.O_RDONLY)
        fcntl.flock(held, fcntl.LOCK_EX)
    try:
        yield folder
    finally:
        with placing(out_dir):
            shutil.rmtree(folder, ignore_errors=True)
            os.close(held)


def remove_abandoned(out_dir: Path, prefix: str, *, legacy: tuple[str, ...] = ()) -> None:
    """Remove the staging folders `<prefix>*` of `out_dir` (staging_folder), and those named in
    `legacy` (a staging folder of one fixed name that an earlier moodcast saved into without
    holding it), that no training holds any more: those of a training killed before it ended.
    Call it holding the directory's training lock (placing)."""
    for folder in [*out_dir.glob(f"{prefix}*"), *(out_dir / name for name in legacy)]:
        try:
            held = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(held)
