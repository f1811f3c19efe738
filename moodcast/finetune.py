"""The `finetune` head family of `moodcast markers train`: the sentence model itself fine-tuned,
on the CPU, together with one linear output per label (multi-label, binary cross-entropy).

The encoder and its linear outputs start from the `embedding` family's solution (a logistic
regression per label on the frozen model's embeddings), so fine-tuning moves on from there.
A held-out part of the labelled rows (FinetuneSettings.holdout) is never learnt from: each
label's threshold is its F1-optimal cut there. Training is seeded and runs on a fixed number of
torch threads, so a rerun on the same machine gives the same weights.
"""

from __future__ import annotations

import copy
import math
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transforms.errors import ModelError
from transforms.model_folders import folder_digest


@dataclass(frozen=True)
class FinetuneSettings:
    """How `finetune` trains: `epochs` passes over the rows learnt from, in batches of
    `batch_size` texts cut at `max_seq_length` tokens; AdamW at `learning_rate` for the encoder
    and `head_learning_rate` for the linear outputs, warmed up over the first tenth of the
    steps and then decayed linearly to zero; `holdout` is the share of rows kept aside to choose
    thresholds on; `weight_decay` AdamW's decoupled weight decay; with `patience` above 0 the
    held-out rows' macro-F1 (each label at its F1-optimal cut there) is measured after each
    epoch, training stops once it has not risen for `patience` epochs, and the weights of the
    epoch with the highest are kept (the earliest of equals); `threads`
    torch threads; `seed` fixes the split, the batches and dropout. `max_steps` (0: no limit)
    stops early, for a smoke test."""

    epochs: int = 3
    batch_size: int = 16
    max_seq_length: int = 128
    learning_rate: float = 3e-5
    head_learning_rate: float = 1e-3
    holdout: float = 0.15
    weight_decay: float = 0.01
    patience: int = 0
    threads: int = 1
    seed: int = 0
    max_steps: int = 0

    def __post_init__(self) -> None:
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "max_seq_length": 8 <= self.max_seq_length <= 512,
            "learning_rate": 0 < self.learning_rate < 1,
            "head_learning_rate": 0 < self.head_learning_rate < 1,
            "holdout": 0 < self.holdout < 1,
            "weight_decay": 0 <= self.weight_decay < 1,
            "patience": self.patience >= 0,
            "threads": self.threads >= 1,
            "max_steps": self.max_steps >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid fine-tuning settings: {', '.join(bad)} ({self})")


@dataclass(frozen=True)
class FinetunedHeads:
    """What `finetune` returns: the saved encoder's directory and its digest, and per label the
    linear output (`coef`, `intercept`), its held-out `threshold` and F1 there, and the
    epoch whose weights were kept."""

    encoder_dir: Path
    digest: str
    coef: np.ndarray
    intercept: np.ndarray
    threshold: np.ndarray
    holdout_f1: np.ndarray
    holdout_rows: int
    epochs: int


def holdout_mask(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A seeded choice of round(share × rows) of the 0/1 label rows `y` (at least one, and one
    left to learn from), then, for each label whose positives or negatives all fell outside it,
    the first of them in the same seeded order, and where they all fell in it, the last of them
    left out: every label is learnt and thresholded on both classes when it has two rows of
    each."""
    n = len(y)
    order = np.random.default_rng(seed).permutation(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[: min(max(1, round(share * n)), n - 1)]] = True
    for column in y.T:
        for value in (0, 1):
            rows = order[column[order] == value]
            if len(rows) > 1 and not mask[rows].any():
                mask[rows[0]] = True
            if len(rows) > 1 and mask[rows].all():
                mask[rows[-1]] = False
    return mask


def finetune(
    texts: list[str],
    y: np.ndarray,
    *,
    model_path: Path,
    out_dir: Path,
    settings: FinetuneSettings,
    best_threshold,
    epoch_end: Callable | None = None,
) -> FinetunedHeads:
    """Fine-tune the sentence model at `model_path` on `texts` with the 0/1 labels `y`
    (rows × labels), and save it as a sentence-transformers model into `out_dir` (replaced).
    `best_threshold(scores, gold) -> (cut, f1)` picks each label's threshold on the held-out
    rows; `epoch_end(epoch, model, head)`, when given, runs after each epoch (a benchmark's
    look at the weights on the way). The saved tokenizer cuts at `max_seq_length` too, so an ONNX export of the model
    (transforms.embedding) sees the tokens it was trained on. Progress goes to stderr.

    Raises ModelError when the model cannot be loaded.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    try:
        model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelError(
            f"cannot load the sentence-transformers model at {model_path}: {exc}"
        ) from exc
    model.max_seq_length = settings.max_seq_length
    model[0].auto_model.get_input_embeddings().requires_grad_(False)
    held = holdout_mask(y, settings.holdout, settings.seed)
    fit_rows, held_rows = np.flatnonzero(~held), np.flatnonzero(held)
    fit_texts = [texts[i] for i in fit_rows]
    y_fit = y[fit_rows].astype(np.float32)

    frozen = embed(model, fit_texts, settings.batch_size)
    start = np.stack(
        [
            _warm_start(LogisticRegression, frozen, y_fit[:, k], settings.seed)
            for k in range(y.shape[1])
        ]
    )
    head = torch.nn.Linear(frozen.shape[1], y.shape[1])
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(start[:, :-1]))
        head.bias.copy_(torch.from_numpy(start[:, -1]))
    held_texts = [texts[i] for i in held_rows]

    def held_out(model, head) -> list[tuple[float, float]]:
        coef, intercept = _weights(head)
        logits = embed(model, held_texts, settings.batch_size) @ coef.T + intercept
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        return [
            best_threshold(probabilities[:, k], y[held_rows, k].astype(bool))
            for k in range(y.shape[1])
        ]

    def judge(model, head) -> float:
        return float(np.mean([f1 for _, f1 in held_out(model, head)]))

    epoch = _train(model, head, (fit_texts, y_fit), settings, epoch_end, judge)
    model.eval()
    coef, intercept = _weights(head)
    cuts = held_out(model, head)
    model.tokenizer.model_max_length = settings.max_seq_length
    shutil.rmtree(out_dir, ignore_errors=True)
    model.save(str(out_dir))
    return FinetunedHeads(
        encoder_dir=out_dir,
        digest=folder_digest(out_dir),
        coef=coef,
        intercept=intercept,
        threshold=np.array([c for c, _ in cuts]),
        holdout_f1=np.array([f for _, f in cuts]),
        holdout_rows=len(held_rows),
        epochs=epoch,
    )


def _train(
    model, head, fit: tuple[list[str], np.ndarray], settings: FinetuneSettings,
    epoch_end: Callable | None, judge: Callable,
) -> int:  # fmt: skip
    """Train `model` (its parameters that require a gradient) and the linear `head` on the
    texts and float 0/1 labels `fit`, as `settings` say (see FinetuneSettings; `judge(model,
    head)`, the held-out macro-F1, decides early stopping); `epoch_end(epoch, model, head)`
    runs after each epoch. Returns the epoch whose weights are kept."""
    import torch

    texts, y = fit
    positives = y.sum(axis=0)
    pos_weight = torch.from_numpy((len(y) - positives) / np.maximum(positives, 1))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight.float())
    optimiser = torch.optim.AdamW(
        [
            {
                "params": [p for p in model.parameters() if p.requires_grad],
                "lr": settings.learning_rate,
            },
            {"params": head.parameters(), "lr": settings.head_learning_rate},
        ],
        weight_decay=settings.weight_decay,
        foreach=True,
    )
    per_epoch = math.ceil(len(texts) / settings.batch_size)
    total = per_epoch * settings.epochs
    if settings.max_steps:
        total = min(total, settings.max_steps)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup + 1)))
    )
    order = np.random.default_rng(settings.seed + 1)
    step, began = 0, time.monotonic()
    best, trained = (-1.0, 0, None), 0
    for epoch in range(1, settings.epochs + 1):
        if step >= total:
            break
        model.train()
        for batch in np.array_split(order.permutation(len(texts)), per_epoch):
            if step >= total:
                break
            features = model.preprocess([texts[i] for i in batch])
            embedding = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=1)
            loss = loss_fn(head(embedding), torch.from_numpy(y[batch]))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(
                [p for p in (*model.parameters(), *head.parameters()) if p.requires_grad], 1.0
            )
            optimiser.step()
            schedule.step()
            step += 1
            if step % 20 == 0 or step == total:
                print(
                    f"fine-tuning: step {step}/{total} (epoch {epoch}), "
                    f"loss {loss.item():.4f}, {time.monotonic() - began:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        trained = epoch
        if epoch_end is not None:
            epoch_end(epoch, model, head)
        if not settings.patience:
            continue
        held_f1 = judge(model, head)
        print(f"fine-tuning: epoch {epoch}, held-out macro-F1 {held_f1:.4f}", file=sys.stderr)
        if held_f1 > best[0]:
            best = (held_f1, epoch, copy.deepcopy((model.state_dict(), head.state_dict())))
        elif epoch - best[1] >= settings.patience:
            break
    if best[2] is None:
        return trained
    model.load_state_dict(best[2][0])
    head.load_state_dict(best[2][1])
    return best[1]


def _weights(head) -> tuple[np.ndarray, np.ndarray]:
    """The linear `head`'s weights and bias (float64)."""
    return (
        head.weight.detach().numpy().astype(np.float64),
        head.bias.detach().numpy().astype(np.float64),
    )


def embed(model, texts: list[str], batch_size: int) -> np.ndarray:
    """L2-normalised embeddings of `texts` by `model` in eval mode (float64)."""
    training = model.training
    model.eval()
    out = model.encode(
        texts,
        batch_size=max(batch_size, 32),
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    model.train(training)
    return out.astype(np.float64)


def _warm_start(logistic_regression, features: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """The `embedding` family's weights and intercept for one label (zeros where a label has no
    positive or no negative among the rows learnt from)."""
    if y.min() == y.max():
        return np.zeros(features.shape[1] + 1, dtype=np.float32)
    model = logistic_regression(class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features, y)
    return np.concatenate([model.coef_[0], model.intercept_]).astype(np.float32)
