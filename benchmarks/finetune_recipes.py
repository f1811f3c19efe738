"""Fine-tuning recipes (moodcast.finetune settings) side by side on the dev splits of several
labelled sets, to choose the `finetune` family's default; the test splits are left to
`benchmarks/head_recipes.py` once a recipe is chosen.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/finetune_recipes.py --recipes base,lr1e-4
        [--sets covidemo_en:bar,...] [--train-cap 800] [--cap 500] [--write]

Each recipe fine-tunes the default model with `moodcast.finetune.finetune` (the function behind
`moodcast markers train --family finetune`) on a set's first `--train-cap` train rows (of the
splits of benchmarks/head_sets.py at head_recipes.py's default caps: CovidEmo learns from 80% of its dev split, the
`:stress` views are balanced; rmhd27's rows come subreddit by subreddit in its file, so its
train rows are taken in the order of a hash of `id`), one torch thread, one training at a time, and is judged on the
first `--cap` rows of the dev split as macro-F1 at the thresholds chosen on its own held-out rows. Beside it, in the
same run: the dev macro-F1 after each epoch (thresholds on the held-out rows at that epoch),
and `+ngram`, the mean of its probability and that of an `ngram-v1` head (the recipe of
`markers train --family ngram`) learnt from the same rows, thresholded on the same held-out
rows. Each (set, recipe) result is kept in benchmarks/.data/finetune_recipes.jsonl, so recipes
can be run one invocation at a time; `--write` renders every kept result into RESULTS.md
(`finetune-recipes`). Skips, saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.head_sets import splits, view_of  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.finetune import FinetuneSettings, finetune, holdout_mask  # noqa: E402
from moodcast.training import MIN_CLASS_ROWS, best_threshold  # noqa: E402
from transforms.embedding import DEFAULT_MODEL, resolve_model_path  # noqa: E402
from transforms.model_scoring import model_text  # noqa: E402
from transforms.ngram import ngram_features  # noqa: E402

RECIPES = {
    "base": FinetuneSettings(),
    "e5 patience1": FinetuneSettings(epochs=5, patience=1),
    "lr1e-4 e5 patience1": FinetuneSettings(learning_rate=1e-4, epochs=5, patience=1),
    "holdout25": FinetuneSettings(holdout=0.25),
    "wd0.1": FinetuneSettings(weight_decay=0.1),
}
"""Recipe name → settings; `base` is the default before this sweep."""
SETS = ("covidemo_en:bar", "isear_en", "xed_en", "sad_stress_en:stress", "rmhd27_reddit_en:stress")
KEPT = ROOT / "benchmarks" / ".data" / "finetune_recipes.jsonl"


def _texts(frame: pl.DataFrame) -> list[str]:
    return frame.select(model_text(pl.col("text"))).to_series().to_list()


def macro_f1(held: np.ndarray, y_held: np.ndarray, dev: np.ndarray, y_dev: np.ndarray) -> float:
    """Dev macro-F1 of probabilities `dev` at each label's F1-optimal cut of `held`."""
    f1s = []
    for k in range(y_dev.shape[1]):
        cut, _ = best_threshold(held[:, k], y_held[:, k].astype(bool))
        gold, hit = y_dev[:, k].astype(bool), dev[:, k] >= cut
        denominator = hit.sum() + gold.sum()
        f1s.append(2 * (hit & gold).sum() / denominator if denominator else 0.0)
    return float(np.mean(f1s))


def ngram_probabilities(texts: list[str], y: np.ndarray, fit: np.ndarray, seed: int) -> np.ndarray:
    """Probabilities of `ngram-v1` heads (liblinear, balanced, as `markers train`) learnt from
    the rows `fit` of `texts`, for every row."""
    from sklearn.linear_model import LogisticRegression

    features = ngram_features(texts)
    out = np.zeros(y.shape)
    for k in range(y.shape[1]):
        model = LogisticRegression(class_weight="balanced", solver="liblinear", random_state=seed)
        out[:, k] = model.fit(features[fit], y[fit, k]).predict_proba(features)[:, 1]
    return out


def judge(key: str, recipe: str, args) -> dict:
    """Train `recipe` on the set of `key` and judge it on the dev split (see the module)."""
    import torch

    from moodcast.finetune import embed

    _, labelled, _, view = view_of(key)
    parts = splits(labelled, 6000, 1500, view)
    train, dev = parts["train"], parts["dev"].head(args.cap)
    if labelled.control:
        train = train.sort(ms.hashed_order(labelled.name, train.get_column("id")))
    train = train.head(args.train_cap)
    if view:
        labelled = replace(labelled, labels=("stress",), control=None)
    names = [
        n
        for n in labelled.labels
        if MIN_CLASS_ROWS <= train.get_column(n).sum() <= train.height - MIN_CLASS_ROWS
    ]
    texts, dev_texts = _texts(train), _texts(dev)
    y = train.select(names).to_numpy().astype(np.int64)
    y_dev = dev.select(names).to_numpy().astype(np.int64)
    settings = replace(RECIPES[recipe], threads=1)
    held = holdout_mask(y, settings.holdout, settings.seed)
    per_epoch = []

    def probabilities(model, head, chosen: list[str]) -> np.ndarray:
        with torch.no_grad():
            embedded = torch.from_numpy(embed(model, chosen, 64).astype(np.float32))
            return torch.sigmoid(head(embedded)).numpy().astype(np.float64)

    def epoch_end(epoch: int, model, head) -> None:
        held_p = probabilities(model, head, [texts[i] for i in np.flatnonzero(held)])
        per_epoch.append(macro_f1(held_p, y[held], probabilities(model, head, dev_texts), y_dev))

    start = time.process_time()
    with tempfile.TemporaryDirectory() as out:
        tuned = finetune(texts, y, model_path=resolve_model_path(DEFAULT_MODEL),
                         out_dir=Path(out) / "model", settings=settings,
                         best_threshold=best_threshold, epoch_end=epoch_end)  # fmt: skip
        seconds = time.process_time() - start
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(tuned.encoder_dir), device="cpu", local_files_only=True)
        embedded = embed(model, texts + dev_texts, 64)
    logits = embedded @ tuned.coef.T + tuned.intercept
    tuned_p = 1 / (1 + np.exp(-logits))
    gram_p = ngram_probabilities(texts + dev_texts, np.vstack([y, y_dev]),
                                 np.flatnonzero(~held), settings.seed)  # fmt: skip
    n = len(texts)
    mixed = (tuned_p + gram_p) / 2
    return {
        "set": key,
        "recipe": recipe,
        "settings": asdict(settings),
        "train_rows": n,
        "dev_rows": len(dev_texts),
        "labels": names,
        "dev_f1": macro_f1(tuned_p[:n][held], y[held], tuned_p[n:], y_dev),
        "dev_f1_ngram_mix": macro_f1(mixed[:n][held], y[held], mixed[n:], y_dev),
        "dev_f1_ngram": macro_f1(gram_p[:n][held], y[held], gram_p[n:], y_dev),
        "dev_f1_per_epoch": per_epoch,
        "kept_epoch": tuned.epochs,
        "train_cpu_s": seconds,
    }


def kept() -> list[dict]:
    """Every kept result, the latest of each (set, recipe, train rows)."""
    if not KEPT.exists():
        return []
    rows = [json.loads(line) for line in KEPT.read_text().splitlines() if line]
    return list({(r["set"], r["recipe"], r["train_rows"]): r for r in rows}.values())


def render(rows: list[dict], args) -> str:
    sets = list(dict.fromkeys(r["set"] for r in rows))
    recipes = list(dict.fromkeys(r["recipe"] for r in rows))
    cell = {(r["set"], r["recipe"]): r for r in rows}
    lines = [
        "Command (one invocation per recipe and train cap, results kept between them): "
        "`PYTHONPATH=$PWD .venv/bin/python benchmarks/finetune_recipes.py --recipes NAME "
        f"[--sets KEYS] [--train-cap N] --cap {args.cap} [--write]` (N: the rows in brackets)",
        "",
        "Dev macro-F1 of `finetune` heads per recipe (thresholds on the recipe's own held-out "
        "rows); in brackets the dev macro-F1 after each epoch; `+ngram`: mean of its "
        "probability and an `ngram-v1` head's; CPU s of training (one torch thread, shared "
        "2-core machine):",
        "",
        "| recipe | " + " | ".join(f"{s} (train rows)" for s in sets) + " | mean |",
        "|---|" + "---|" * (len(sets) + 1),
    ]
    for recipe in recipes:
        cells, values = [], []
        for s in sets:
            r = cell.get((s, recipe))
            if r is None:
                cells.append("—")
                continue
            values.append(r["dev_f1"])
            epochs = ", ".join(f"{f:.3f}" for f in r["dev_f1_per_epoch"])
            cells.append(
                f"**{r['dev_f1']:.3f}** [{epochs}] kept {r['kept_epoch']}; +ngram "
                f"{r['dev_f1_ngram_mix']:.3f}; {r['train_cpu_s']:,.0f} s ({r['train_rows']})"
            )
        mean = f"{np.mean(values):.3f}" if len(values) == len(sets) else "—"
        lines.append(f"| {recipe} | " + " | ".join(cells) + f" | {mean} |")
    ngram = [f"{s} {cell[(s, 'base')]['dev_f1_ngram']:.3f}" for s in sets if (s, "base") in cell]
    if ngram:
        lines += ["", "`ngram-v1` alone on the same rows and thresholds: " + "; ".join(ngram) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipes", default="base", help=f"Comma-separated of {', '.join(RECIPES)}."
    )
    parser.add_argument("--sets", default=",".join(SETS), help="Comma-separated set keys.")
    parser.add_argument("--train-cap", type=int, default=800, help="Train rows per set at most.")
    parser.add_argument("--cap", type=int, default=500, help="Dev rows per set at most.")
    parser.add_argument(
        "--write", action="store_true", help="Write every kept result to RESULTS.md."
    )
    args = parser.parse_args(argv)  # fmt: skip
    if ms.skipped():
        return
    KEPT.parent.mkdir(parents=True, exist_ok=True)
    for recipe in args.recipes.split(",") if args.recipes else []:
        for key in args.sets.split(","):
            result = judge(key, recipe, args)
            print(json.dumps(result), flush=True)
            with KEPT.open("a") as handle:
                handle.write(json.dumps(result) + "\n")
    body = render(kept(), args)
    print(body)
    if args.write:
        write_section("finetune-recipes", body)


if __name__ == "__main__":
    main()
