"""Trained-head recipes side by side on real labelled posts: which features a head should learn
from, judged on dev splits, reported on test splits, with the cost per post of each.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/head_recipes.py [--train-cap 6000] [--cap 1500]
        [--finetune-cap 2500] [--finetune-epochs 3] [--sets A,B [--families F,G] --write]

Recipes (`moodcast markers train --family F --recipe R`, through moodcast.training.train_heads):
`ngram` on `ngram-words` and on `ngram-v1`, `embedding` (the default model), and `hybrid` on
the embedding beside `ngram-v1` (beside `ngram-words` it scored 0.04 lower on xed_en's dev split
and cost no less: the encoder is most of either's cost). Each head learns on a set's train split (at most
`--train-cap` rows; CovidEmo has no train split: its dev split is cut by a hash of `id` into
80% to learn from and 20% to judge on), with its threshold chosen by 5-fold cross-validation
there; it is judged on the dev split (where recipes are chosen) and on the test split (capped
at `--cap` rows), as macro-F1 over the set's labels (the Reddit sample: each marker's
subreddit against the controls). Only the English sets are here: the default model is English,
and the Spanish sets' n-gram heads are in `markers`. Two extra rows judge the four labels of the issue's
0.70 tweet bar (anger, joy, optimism, sadness): CovidEmo's anger, joy, sadness and
`anticipation` (no optimism label; the nearest), and SemEval-2018 E-c Spanish's anger, joy,
sadness and `hope`. Two more judge the issue's Reddit-stress bar (one label, `stress`, balanced):
sad_stress_en's negatives against as many of its positives (seeded), and rmhd27's r/anxiety and
r/depression posts against its controls.

`finetune` (moodcast.finetune) fine-tunes the model itself on the first `--finetune-cap` train
rows for `--finetune-epochs` epochs on one torch thread, thresholds on its own held-out 15%; its
training CPU seconds are reported. With `--sets` the table goes to `head-finetune` (`--write`),
and `--families` trains only those families.

Cost: CPU µs per post of `score_texts` with one head of each recipe over the first `--cost-posts`
test posts of CovidEmo (the model encoder included, onnx-fp32; least of 3 runs, this process).
Embeddings are cached under benchmarks/.data/embeddings for the F1 tables only. Results go to
benchmarks/RESULTS.md (`heads`). Skips, saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import CONFIG, CachedEncoder, prf  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.finetune import FinetuneSettings  # noqa: E402
from moodcast.training import train_heads  # noqa: E402
from transforms.embedding import DEFAULT_BACKEND, DEFAULT_MODEL, load_encoder  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import threshold  # noqa: E402
from transforms.model_scoring import model_text, score_texts  # noqa: E402

RECIPES = (
    ("ngram", "ngram-words"),
    ("ngram", "ngram-v1"),
    ("embedding", "ngram-v1"),
    ("hybrid", "ngram-v1"),
    ("finetune", "ngram-v1"),
)
"""(family, n-gram recipe); the recipe is unused by `embedding` and `finetune`."""
BAR_LABELS = {
    "covidemo_en": ("anger", "joy", "sadness", "anticipation"),
    "semeval2018_ec_es": ("anger", "joy", "sadness", "hope"),
}


STRESS_VIEWS = ("sad_stress_en", "rmhd27_reddit_en")
"""Sets judged again as the issue's Reddit-stress bar (one label, `stress`), see stress_view."""


def name_of(family: str, recipe: str) -> str:
    return family if family in ("embedding", "finetune") else f"{family} {recipe}"


def stress_view(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A balanced stress task from one split: sad_stress_en's negatives and as many of its
    positives (seeded), or rmhd27's r/anxiety and r/depression posts (`stress`) against its
    controls."""
    if name == "rmhd27_reddit_en":
        adjacent = pl.col("anxiety") | pl.col("depression")
        return frame.filter(adjacent | pl.col("control")).with_columns(stress=adjacent)
    gold = frame.get_column("stress").to_numpy()
    negatives = np.flatnonzero(~gold)
    chosen = np.random.default_rng(0).choice(np.flatnonzero(gold), len(negatives), replace=False)
    return frame[np.sort(np.concatenate([negatives, chosen]))]


def splits(
    labelled: ms.LabelledSet, train_cap: int, cap: int, view: bool = False
) -> dict[str, pl.DataFrame]:
    """The rows a head learns from and the dev and test rows it is judged on (with `view`,
    each split's stress_view; the caps apply before it)."""
    if labelled.name == "covidemo_en":
        full = ms.load_split(labelled, "dev")
        inner = ms.split_of("covidemo-inner", full.get_column("id"))
        train, dev = full.filter(inner != "test"), full.filter(inner == "test")
    else:
        train = ms.load_split(labelled, "train", cap=train_cap)
        dev = ms.load_split(labelled, "dev", cap=cap)
    parts = {"train": train, "dev": dev, "test": ms.load_split(labelled, "test", cap=cap)}
    if view:
        return {split: stress_view(labelled.name, frame) for split, frame in parts.items()}
    return parts


def trained(
    labelled: ms.LabelledSet, train: pl.DataFrame, family: str, recipe: str, encoder, out: Path,
    settings: FinetuneSettings | None = None,
):  # fmt: skip
    """Markers with heads of (`family`, `recipe`) trained on `train`, one per label, written
    into `out` (a finetune head's model stays there)."""
    names = [n for n in labelled.labels if train.get_column(n).sum() >= 2]
    labels = train.select("text", "lang", *[pl.col(n).cast(pl.Int8) for n in names])
    train_heads(labels, markers=load_markers(), config=CONFIG, out_dir=out, origin=labelled.name,
                family=family, recipe=recipe, encoder=encoder, settings=settings)  # fmt: skip
    return load_markers(out, names=names)


def macro_f1(labelled: ms.LabelledSet, frame: pl.DataFrame, markers, encoder) -> float:
    """Macro-F1 of the heads' decisions on `frame` (judged rows only, as benchmarks/markers.py)."""
    texts = frame.select(model_text(pl.col("text"))).to_series().to_list()
    lang = labelled.lang
    scores = score_texts(texts, lang=lang, markers=markers, encoder=encoder)
    f1s = []
    for name, marker in markers.items():
        keep = ms.judged(labelled, frame, name).to_numpy()
        gold = frame.get_column(name).to_numpy()[keep]
        f1s.append(prf(gold, scores[name][keep] >= threshold(marker, lang))[2])
    return float(np.mean(f1s))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cost(train: pl.DataFrame, texts: list[str]) -> dict[str, float]:
    """Least CPU µs per post of 3 runs of score_texts on `texts` with a CovidEmo anger head of
    each recipe alone (trained on `train`)."""
    covidemo = replace(next(s for s in ms.SETS if s.name == "covidemo_en"), labels=("anger",))
    per = {}
    for family, recipe in RECIPES:
        out = Path(tempfile.mkdtemp(prefix="head-cost-"))
        encoder = load_encoder(DEFAULT_MODEL, backend=DEFAULT_BACKEND, cache_dir=out / "onnx")
        markers = trained(covidemo, train, family, recipe, CachedEncoder(), out / "heads",
                          FinetuneSettings(max_steps=1))  # fmt: skip
        score_texts(texts[:20], lang="en", markers=markers, encoder=encoder)
        best = float("inf")
        for _ in range(3):
            start = _cpu()
            score_texts(texts, lang="en", markers=markers, encoder=encoder)
            best = min(best, _cpu() - start)
        per[name_of(family, recipe)] = 1e6 * best / len(texts)
        shutil.rmtree(out)
    return per


def judge_set(labelled: ms.LabelledSet, title: str, args, view: bool = False) -> tuple:
    """(title, train rows, recipe → (dev, test) macro-F1, fine-tuning CPU s) of every recipe
    on one set. A finetune head learns from the first `--finetune-cap` train rows and is
    scored on the torch backend (its ONNX export would be a copy per head in the cache)."""
    encoder = CachedEncoder()
    parts = splits(labelled, args.train_cap, args.cap, view)
    if view:
        labelled = replace(labelled, labels=("stress",), control=None)
    cells, seconds = {}, None
    for family, recipe in RECIPES:
        if family != "ngram" and labelled.lang not in CONFIG.models:
            continue
        if family == "finetune" and not args.finetune_cap:
            continue
        if args.families and family not in args.families.split(","):
            continue
        with tempfile.TemporaryDirectory() as out:
            if family == "finetune":
                start = _cpu()
                settings = FinetuneSettings(epochs=args.finetune_epochs, threads=1)
                train = parts["train"].head(args.finetune_cap)
                markers = trained(labelled, train, family, recipe, encoder, Path(out), settings)
                seconds = _cpu() - start
                scorer = load_encoder(DEFAULT_MODEL, backend="torch")
            else:
                markers = trained(labelled, parts["train"], family, recipe, encoder, Path(out))
                scorer = encoder
            cells[name_of(family, recipe)] = tuple(
                macro_f1(labelled, parts[split], markers, scorer) for split in ("dev", "test")
            )
        print(title, name_of(family, recipe), cells[name_of(family, recipe)], flush=True)
    return title, parts["train"].height, cells, seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-cap", type=int, default=6000, help="Train rows per set at most.")
    parser.add_argument("--cap", type=int, default=1500, help="Dev and test rows per set at most.")
    parser.add_argument(
        "--cost-posts", type=int, default=500, help="Posts the cost is timed on (0: no cost)."
    )
    parser.add_argument(
        "--sets", help="Comma-separated set names, NAME:bar or NAME:stress (default: all)."
    )
    parser.add_argument(
        "--write", action="store_true", help="With --sets: write the table as `head-finetune`."
    )
    parser.add_argument("--workers", type=int, default=2, help="Sets judged at once.")
    parser.add_argument(
        "--finetune-cap", type=int, default=2500, help="Train rows a finetune head learns from (0: no finetune)."
    )  # fmt: skip
    parser.add_argument("--finetune-epochs", type=int, default=3, help="Epochs of a finetune head.")
    parser.add_argument(
        "--families", help="Comma-separated families to train (default: all; with --sets only)."
    )
    args = parser.parse_args(argv)
    if not ms.available():
        print(f"skipped: no labelled sets at {ms.DATASETS} (set MOODCAST_DATASETS)")
        return
    wanted = set(args.sets.split(",")) if args.sets else None
    jobs = [(s.name, s, s.name, False) for s in ms.SETS if s.lang in CONFIG.models]
    jobs += [
        (f"{s.name}:bar", replace(s, labels=BAR_LABELS[s.name]), f"{s.name}, bar labels ({', '.join(BAR_LABELS[s.name])})", False)
        for s in ms.SETS
        if s.name in BAR_LABELS
    ]  # fmt: skip
    jobs += [
        (f"{s.name}:stress", s, f"{s.name}, stress (balanced)" if s.name == "sad_stress_en" else f"{s.name}, stress (anxiety+depression vs control)", True)
        for s in ms.SETS
        if s.name in STRESS_VIEWS
    ]  # fmt: skip
    jobs = [job[1:] for job in jobs if not wanted or job[0] in wanted]
    jobs.sort(key=lambda job: -ms.load_split(job[0], "train", cap=args.train_cap).height)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        rows = pool.starmap(judge_set, [(s, title, args, view) for s, title, view in jobs])
    body = render(rows, args)
    if args.cost_posts and (wanted is None or "covidemo_en" in {w.split(":")[0] for w in wanted}):
        covidemo = next(s for s in ms.SETS if s.name == "covidemo_en")
        parts = splits(covidemo, args.train_cap, args.cap)
        texts = parts["test"].select(model_text(pl.col("text"))).to_series().to_list()
        texts = texts[: args.cost_posts]
        per = cost(parts["train"], texts)
        body += (
            f"\n\nCPU µs per post of scoring one head (`score_texts`, encoder included, "
            f"{DEFAULT_BACKEND}), {len(texts)} CovidEmo test posts, least of 3 runs:\n\n"
            + "| " + " | ".join(per) + " |\n|" + "---:|" * len(per) + "\n| "
            + " | ".join(f"{v:,.0f}" for v in per.values()) + " |"
        )  # fmt: skip
    print(body)
    if wanted is None:
        write_section("heads", body)
    elif args.write:
        write_section("head-finetune", body)


def render(rows: list, args) -> str:
    recipes = list(dict.fromkeys(r for _, _, cells, _ in rows for r in cells))
    command = (
        "PYTHONPATH=$PWD .venv/bin/python benchmarks/head_recipes.py "
        f"--train-cap {args.train_cap} --cap {args.cap} --cost-posts {args.cost_posts} "
        f"--finetune-cap {args.finetune_cap} --finetune-epochs {args.finetune_epochs}"
        + (f" --sets {args.sets}" if args.sets else "")
        + (f" --families {args.families}" if args.families else "")
    )
    lines = [
        f"Command: `{command}`",
        "",
        "Macro-F1 of heads trained by `moodcast markers train` on each set's train split "
        "(thresholds by 5-fold CV there), dev / test (`—`: no English model for the set):",
        "",
        "| set | train rows | " + " | ".join(recipes) + " |",
        "|---|---:|" + "---:|" * len(recipes),
    ]
    for title, train_rows, cells, _ in rows:
        values = [f"{cells[r][0]:.3f} / {cells[r][1]:.3f}" if r in cells else "—" for r in recipes]
        lines.append(f"| {title} | {train_rows} | " + " | ".join(values) + " |")
    tuned = [(title, seconds) for title, _, _, seconds in rows if seconds is not None]
    if tuned:
        lines += [
            "",
            f"`finetune`: the first {args.finetune_cap} train rows at most, "
            f"{args.finetune_epochs} epochs, 15% of them held out for thresholds, one torch "
            "thread; CPU s of training: "
            + "; ".join(f"{title} {seconds:,.0f}" for title, seconds in tuned)
            + ".",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
