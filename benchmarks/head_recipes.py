"""Trained-head recipes side by side on real labelled posts: which features a head should learn
from, judged on dev splits, reported on test splits, with the cost per post of each.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/head_recipes.py [--train-cap 6000] [--cap 1500]
        [--finetune-cap 2500] [--finetune-epochs 3] [--sets A,B [--families F,G] --write]
        [--section NAME] [--c-grids GRID/GRID...] [--kept FILE]

Recipes (`moodcast markers train --family F --recipe R`, through moodcast.training.train_heads):
`ngram` on `ngram-words` and on `ngram-v1`, `embedding` (the default model), and `hybrid` on
the embedding beside `ngram-v1` (beside `ngram-words` it scored 0.04 lower on xed_en's dev split
and cost no less: the encoder is most of either's cost). Each head learns on a set's train split (at most
`--train-cap` rows; CovidEmo learns from 80% of its dev split, benchmarks/head_sets.splits),
with its threshold chosen by 5-fold cross-validation there; it is judged on the dev split (where
recipes are chosen) and on the test split (capped at `--cap` rows), as macro-F1 over the set's
labels (the Reddit sample: each marker's subreddit against the controls). The Spanish sets have
no sentence model (the default model is English), so only their `ngram` and `auto` (`ngram`
alone) columns are trained. Extra rows judge the four labels of the issue's 0.70 tweet bar
(`NAME:bar`) and its Reddit-stress bar (`NAME:stress`, one label, balanced): the views of
benchmarks/head_sets.py.

`finetune` (moodcast.finetune) fine-tunes the model itself on the first `--finetune-cap` train
rows for `--finetune-epochs` epochs on one torch thread, thresholds on its own held-out 15%; its
training CPU seconds are reported. With `--sets` the table goes to `head-finetune` (`--write`),
and `--families` trains only those families (or `FAMILY:RECIPE`s, e.g. `ngram:ngram-v1`).

`auto` (`--family auto`) trains, per label, the head of the family
moodcast.training.choose_family keeps among `ngram` (`ngram-v1`), `embedding` and `hybrid` by
cross-validated F1 on the train split (on a set without a sentence model, `ngram` alone). Where
the table has its three candidates, `auto` is replayed from their heads at each
margin of MARGINS (dev / test macro-F1, labels per family), the margin being chosen on the dev
columns, and each recipe's training CPU seconds are listed; `--section heads-auto` writes it.

`--c-grids 0.25/1/4` trains every recipe but `finetune` once per C grid (`moodcast markers train
--c-grid`), its columns named `<recipe> C=<grid>`; where the grids are single C values and the
three candidates of `auto` are among the recipes, `auto` is replayed over every run of
consecutive C values (per label, each candidate at its C of best CV F1, then choose_family), with
each grid's worst dev change against C=1 alone (`--section heads-c`); and each recipe at each
single C is compared with C=1 alone (mean dev / test over the sets, worst dev change, the sets
whose dev falls by more than 0.01; `--section heads-ngram-c`).

Cost: CPU µs per post of `score_texts` with one head of each recipe over the first `--cost-posts`
test posts of CovidEmo (the model encoder included, onnx-fp32; least of 3 runs, this process).
Embeddings are cached under benchmarks/.data/embeddings for the F1 tables only. Results go to
benchmarks/RESULTS.md (`heads`), and each set's, per label too, to `--kept` (default
benchmarks/.data/head_recipes.jsonl) as it finishes (smallest training split first); `--from-kept`
renders those again. Skips, saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.cpu import least_cpu_s  # noqa: E402
from benchmarks.head_sets import label_f1, splits, trained, views  # noqa: E402
from benchmarks.markers import CONFIG, CachedEncoder  # noqa: E402
from benchmarks.results import table_head, table_row, write_section  # noqa: E402
from moodcast.finetune import FinetuneSettings  # noqa: E402
from moodcast.training import AUTO_MARGIN, choose_family  # noqa: E402
from transforms.embedding import DEFAULT_BACKEND, DEFAULT_MODEL, load_encoder  # noqa: E402
from transforms.model_scoring import model_text, score_texts  # noqa: E402

RECIPES = (
    ("ngram", "ngram-words"),
    ("ngram", "ngram-v1"),
    ("embedding", "ngram-v1"),
    ("hybrid", "ngram-v1"),
    ("finetune", "ngram-v1"),
    ("auto", "ngram-v1"),
)
"""(family, n-gram recipe); the recipe is unused by `embedding` and `finetune`."""
AUTO_PARTS = {"ngram": "ngram ngram-v1", "embedding": "embedding", "hybrid": "hybrid ngram-v1"}
"""The columns whose heads `auto` chooses between (its candidate families at its recipe)."""
KEPT = ROOT / "benchmarks" / ".data" / "head_recipes.jsonl"
"""The last run's per-set results (Judged), per label too, to study without retraining."""
MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1)
"""The margins of moodcast.training.choose_family replayed on the dev splits."""


def name_of(family: str, recipe: str) -> str:
    return family if family in ("embedding", "finetune", "auto") else f"{family} {recipe}"


def cost(train: pl.DataFrame, texts: list[str], model: str = DEFAULT_MODEL) -> dict[str, float]:
    """Least CPU µs per post of 3 runs of score_texts on `texts` with a CovidEmo anger head of
    each recipe alone (trained on `train`, sentence model `model`); an `auto` head costs what
    its family costs."""
    covidemo = replace(next(s for s in ms.SETS if s.name == "covidemo_en"), labels=("anger",))
    per = {}
    for family, recipe in RECIPES:
        if family == "auto":
            continue
        out = Path(tempfile.mkdtemp(prefix="head-cost-"))
        encoder = load_encoder(model, backend=DEFAULT_BACKEND, cache_dir=out / "onnx")
        markers = trained(covidemo, train, family, recipe, CachedEncoder(model), out / "heads",
                          FinetuneSettings(max_steps=1))  # fmt: skip
        score_texts(texts[:20], lang="en", markers=markers, encoder=encoder)
        run = partial(score_texts, texts, lang="en", markers=markers, encoder=encoder)
        best = least_cpu_s(run, repeats=3)
        per[name_of(family, recipe)] = 1e6 * best / len(texts)
        shutil.rmtree(out)
    return per


@dataclass(frozen=True)
class Judged:
    """One set's results: per recipe (dev, test) macro-F1, per recipe and label (CV, dev, test)
    F1, per recipe the CPU s of training, and the fine-tuning CPU s (None: no finetune)."""

    title: str
    train_rows: int
    cells: dict[str, tuple[float, float]]
    labels: dict[str, dict[str, tuple[float, float, float]]]
    train_cpu: dict[str, float]
    finetune_cpu: float | None
    modelled: bool
    """Whether the set's language has a sentence model (else `auto` trains `ngram` alone)."""


def grids_of(text: str | None) -> list[tuple[float, ...] | None]:
    """`--c-grids` (grids split by `/`, each of comma-separated C values) as tuples; None (each
    family at its DEFAULT_C) when not given."""
    if not text:
        return [None]
    return [tuple(float(c) for c in grid.split(",")) for grid in text.split("/")]


def grid_name(grid: tuple[float, ...]) -> str:
    return ",".join(f"{c:g}" for c in sorted(grid))


def columns(labelled: ms.LabelledSet, args) -> list[tuple[str, str, tuple[float, ...] | None, str]]:
    """(family, recipe, C grid, column name) of every head trained on `labelled`: each recipe
    that `--families` keeps and the set's language allows, once per grid of `--c-grids` (the
    name then ends in ` C=<grid>`; a finetune head has no C and is trained once)."""
    wanted = set(args.families.split(",")) if args.families else None
    found = []
    for family, recipe in RECIPES:
        if family not in ("ngram", "auto") and labelled.lang not in CONFIG.models:
            continue
        if family == "finetune" and not args.finetune_cap:
            continue
        if wanted and not {family, f"{family}:{recipe}"} & wanted:
            continue
        if family == "finetune" or not args.c_grids:
            found.append((family, recipe, None, name_of(family, recipe)))
            continue
        for grid in grids_of(args.c_grids):
            found.append((family, recipe, grid, f"{name_of(family, recipe)} C={grid_name(grid)}"))
    return found


def judge_set(labelled: ms.LabelledSet, title: str, args, view: bool = False) -> Judged:
    """Every recipe on one set. A finetune head learns from the first `--finetune-cap` train
    rows and is scored on the torch backend (its ONNX export would be a copy per head in the
    cache). Training CPU s count the embeddings as read from the cache, not computed."""
    encoder = CachedEncoder(args.model)
    parts = splits(labelled, args.train_cap, args.cap, view)
    if view:
        labelled = replace(labelled, labels=("stress",), control=None)
    cells, labels, train_cpu, seconds = {}, {}, {}, None
    for family, recipe, grid, name in columns(labelled, args):
        with tempfile.TemporaryDirectory() as out:
            start = time.process_time()
            if family == "finetune":
                settings = FinetuneSettings(epochs=args.finetune_epochs, threads=1)
                train = parts["train"].head(args.finetune_cap)
                markers = trained(labelled, train, family, recipe, encoder, Path(out), settings)
                seconds = time.process_time() - start
                scorer = load_encoder(args.model, backend="torch")
            else:
                markers = trained(labelled, parts["train"], family, recipe, encoder, Path(out),
                                  c_grid=grid)  # fmt: skip
                scorer = encoder
            train_cpu[name] = time.process_time() - start
            dev, test = (label_f1(labelled, parts[s], markers, scorer) for s in ("dev", "test"))
        labels[name] = {
            m: (marker.heads[labelled.lang].cv_f1, dev[m], test[m]) for m, marker in markers.items()
        }
        cells[name] = (float(np.mean(list(dev.values()))), float(np.mean(list(test.values()))))
        print(title, name, cells[name], flush=True)
    modelled = labelled.lang in CONFIG.models
    judged = Judged(title, parts["train"].height, cells, labels, train_cpu, seconds, modelled)
    with Path(args.kept).open("a", encoding="utf-8") as kept:
        kept.write(json.dumps(asdict(judged)) + "\n")
    return judged


def replayed(judged: Judged, margin: float) -> tuple[float, float, dict[str, int]] | None:
    """(dev, test) macro-F1 of `auto` at `margin`, replayed from the heads of its candidate
    families (each label takes the chosen family's head, as `auto` would train it), and how
    many labels each family takes; None when the set lacks a candidate's column."""
    families = AUTO_PARTS if judged.modelled else {"ngram": AUTO_PARTS["ngram"]}
    if any(column not in judged.labels for column in families.values()):
        return None
    present = {f: judged.labels[column] for f, column in families.items()}
    chosen = {
        label: choose_family({f: heads[label][0] for f, heads in present.items()}, margin=margin)
        for label in present["ngram"]
    }
    dev = np.mean([present[f][label][1] for label, f in chosen.items()])
    test = np.mean([present[f][label][2] for label, f in chosen.items()])
    return float(dev), float(test), {f: list(chosen.values()).count(f) for f in present}


def replayed_grid(
    judged: Judged, grid: tuple[float, ...]
) -> tuple[float, float, dict[float, int]] | None:
    """(dev, test) macro-F1 of `auto` at C grid `grid`, replayed from heads trained at one C
    each (columns `<candidate> C=<c>`): per label, each candidate family's C of best CV F1
    (ties: the smaller C, as moodcast.training.best_c), then the family choose_family keeps
    among them; and how many labels took each C. None when a column is missing."""
    families = AUTO_PARTS if judged.modelled else {"ngram": AUTO_PARTS["ngram"]}
    heads = {(f, c): judged.labels.get(f"{column} C={c:g}") for f, column in families.items()
             for c in grid}  # fmt: skip
    if not all(heads.values()):
        return None
    picked = []
    for label in heads[("ngram", grid[0])]:
        best = {f: min(grid, key=lambda c: (-heads[(f, c)][label][0], c)) for f in families}
        family = choose_family({f: heads[(f, c)][label][0] for f, c in best.items()})
        picked.append((best[family], heads[(family, best[family])][label]))
    dev = float(np.mean([scores[1] for _, scores in picked]))
    test = float(np.mean([scores[2] for _, scores in picked]))
    return dev, test, {c: [chosen for chosen, _ in picked].count(c) for c in grid}


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
        "--families",
        help="Comma-separated families, or FAMILY:RECIPE, to train (default: all; with --sets only).",
    )
    parser.add_argument(
        "--section", help="Write the tables into this section of RESULTS.md (e.g. heads-auto)."
    )
    parser.add_argument(
        "--c-grids",
        help="C grids to train every recipe at, split by / (e.g. 0.25/1/4 or 1/1,4,16); "
        "grids of one C each also replay `auto` over their runs (default: each family at its DEFAULT_C).",
    )
    parser.add_argument(
        "--kept", default=str(KEPT), help="The file each set's results are kept in as it finishes."
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="The English sentence model: a local model directory, or the shipped one "
        "(default). Its embeddings are cached apart.",
    )
    parser.add_argument(
        "--from-kept",
        action="store_true",
        help="Render the sets the last run finished (kept in --kept).",
    )
    args = parser.parse_args(argv)
    if args.model != DEFAULT_MODEL and args.finetune_cap:
        parser.error("--finetune-cap fine-tunes the shipped model only: leave it out with --model")
    if ms.skipped():
        return
    wanted = set(args.sets.split(",")) if args.sets else None
    jobs = [(v.labelled, v.title, v.stress) for v in views() if not wanted or v.key in wanted]
    jobs.sort(key=lambda job: ms.load_split(job[0], "train", cap=args.train_cap).height)
    if args.from_kept:
        rows = [
            Judged(**json.loads(line))
            for line in Path(args.kept).read_text(encoding="utf-8").splitlines()
        ]
    else:
        Path(args.kept).parent.mkdir(parents=True, exist_ok=True)
        Path(args.kept).write_text("", encoding="utf-8")
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            rows = pool.starmap(judge_set, [(s, title, args, view) for s, title, view in jobs])
    body = render(rows, args)
    if args.cost_posts and (wanted is None or "covidemo_en" in {w.split(":")[0] for w in wanted}):
        covidemo = next(s for s in ms.SETS if s.name == "covidemo_en")
        parts = splits(covidemo, args.train_cap, args.cap)
        texts = parts["test"].select(model_text(pl.col("text"))).to_series().to_list()
        texts = texts[: args.cost_posts]
        per = cost(parts["train"], texts, args.model)
        body += (
            f"\n\nCPU µs per post of scoring one head (`score_texts`, encoder included, "
            f"{DEFAULT_BACKEND}), {len(texts)} CovidEmo test posts, least of 3 runs:\n\n"
            + "| " + " | ".join(per) + " |\n|" + "---:|" * len(per) + "\n| "
            + " | ".join(f"{v:,.0f}" for v in per.values()) + " |"
        )  # fmt: skip
    print(body)
    if args.section:
        write_section(args.section, body)
    elif wanted is None:
        write_section("heads", body)
    elif args.write:
        write_section("head-finetune", body)


def render(rows: list[Judged], args) -> str:
    recipes = list(dict.fromkeys(r for row in rows for r in row.cells))
    command = (
        "PYTHONPATH=$PWD .venv/bin/python benchmarks/head_recipes.py "
        f"--train-cap {args.train_cap} --cap {args.cap} --cost-posts {args.cost_posts} "
        f"--finetune-cap {args.finetune_cap} --finetune-epochs {args.finetune_epochs}"
        + (f" --sets {args.sets}" if args.sets else "")
        + (f" --families {args.families}" if args.families else "")
        + (f" --c-grids {args.c_grids}" if args.c_grids else "")
        + (f" --kept {args.kept}" if Path(args.kept) != KEPT else "")
        + (f" --model {args.model}" if args.model != DEFAULT_MODEL else "")
        + (f" --section {args.section}" if args.section else "")
    )
    lines = [
        f"Command: `{command}`"
        + (" (the sets it had finished, rendered with `--from-kept`)" if args.from_kept else ""),
        "",
        "Macro-F1 of heads trained by `moodcast markers train` on each set's train split "
        "(thresholds by 5-fold CV there), dev / test (`—`: no English model for the set):",
        "",
        *table_head(["set"], ["train rows", *recipes]),
    ]
    for row in rows:
        cells = row.cells
        values = [f"{cells[r][0]:.3f} / {cells[r][1]:.3f}" if r in cells else "—" for r in recipes]
        lines.append(table_row([row.title, str(row.train_rows), *values]))
    tuned = [(row.title, row.finetune_cpu) for row in rows if row.finetune_cpu is not None]
    if tuned:
        lines += [
            "",
            f"`finetune`: the first {args.finetune_cap} train rows at most, "
            f"{args.finetune_epochs} epochs, 15% of them held out for thresholds, one torch "
            "thread; CPU s of training: "
            + "; ".join(f"{title} {seconds:,.0f}" for title, seconds in tuned)
            + ".",
        ]
    if any(replayed(row, AUTO_MARGIN) for row in rows):
        lines += ["", *render_auto(rows, recipes)]
    sweep = sorted(g[0] for g in grids_of(args.c_grids) if g and len(g) == 1)
    if len(sweep) > 1 and any(replayed_grid(row, tuple(sweep)) for row in rows):
        lines += ["", *render_grids(rows, sweep)]
    if len(sweep) > 1 and 1.0 in sweep:
        lines += ["", *render_fixed(rows, recipes, sweep)]
    if args.c_grids:
        lines += ["", *render_cpu(rows, recipes)]
    return "\n".join(lines)


def render_fixed(rows: list[Judged], recipes: list[str], sweep: list[float]) -> list[str]:
    """Per recipe trained at each fixed C of `sweep`: the mean dev / test macro-F1 over the sets
    that have all its columns, and the dev change of each against C=1 (the largest fall, and
    how many sets fall by more than 0.01: a default may cost no set more)."""
    lines = [
        "Each recipe at each fixed C against C=1, over the sets that have all its columns: mean "
        "dev / test macro-F1, the largest dev fall of a set (`worst dev`) and the sets whose dev "
        "falls by more than 0.01:",
        "",
        "| recipe | C | sets | mean | worst dev | sets below −0.01 |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for base in dict.fromkeys(r.rsplit(" C=", 1)[0] for r in recipes if " C=" in r):
        names = {c: f"{base} C={c:g}" for c in sweep}
        kept = [row for row in rows if all(n in row.cells for n in names.values())]
        for c, name in names.items():
            change = {row.title: row.cells[name][0] - row.cells[names[1.0]][0] for row in kept}
            falls = [title for title, d in change.items() if d < -0.01]
            lines.append(
                f"| {base} | {c:g} | {len(kept)} | "
                f"{np.mean([row.cells[name][0] for row in kept]):.3f} / "
                f"{np.mean([row.cells[name][1] for row in kept]):.3f} | "
                f"{round(min(change.values(), default=0.0), 3) + 0.0:+.3f} | {', '.join(falls) or '—'} |"
            )
    return lines


def render_grids(rows: list[Judged], sweep: list[float]) -> list[str]:
    """`auto` replayed at every run of consecutive C values of `sweep` (rows), on every set
    that has its columns (dev / test macro-F1), with each grid's mean, its largest dev loss
    against C=1 alone, and how many labels took each C."""
    grids = [tuple(sweep[i:j]) for i in range(len(sweep)) for j in range(i + 1, len(sweep) + 1)]
    kept = [row for row in rows if replayed_grid(row, tuple(sweep))]
    lines = [
        "`auto` replayed at C grids from the heads trained at one C each (per label, each "
        "candidate family at its C of best CV F1 on the train split, then the family "
        f"`choose_family` keeps at margin {AUTO_MARGIN}), dev / test macro-F1; `worst dev` is "
        "the largest fall of a set's dev macro-F1 against C=1 alone; `labels per C` counts the "
        "labels of all sets that took each C:",
        "",
        "| C grid | " + " | ".join(row.title for row in kept)
        + " | mean | worst dev | labels per C |",
        "|---|" + "---:|" * (len(kept) + 2) + "---|",
    ]  # fmt: skip
    base = {row.title: replayed_grid(row, (1.0,)) for row in kept} if 1.0 in sweep else {}
    for grid in grids:
        scores = [replayed_grid(row, grid) for row in kept]
        taken = {c: sum(s[2][c] for s in scores) for c in grid}
        worst = min(
            (s[0] - base[row.title][0] for s, row in zip(scores, kept, strict=True)), default=0.0
        )
        lines.append(
            f"| {grid_name(grid)} | " + " | ".join(f"{d:.3f} / {t:.3f}" for d, t, _ in scores)
            + f" | {np.mean([s[0] for s in scores]):.3f} / {np.mean([s[1] for s in scores]):.3f}"
            + (f" | {worst:+.3f}" if base else " | —")
            + " | " + " ".join(f"{c:g}:{n}" for c, n in taken.items()) + " |"
        )  # fmt: skip
    return lines


def render_cpu(rows: list[Judged], recipes: list[str]) -> list[str]:
    """The CPU s each column's training took, per set."""
    lines = [
        "CPU s of training (`train_heads`, the embeddings read from the cache, not computed):",
        "",
        *table_head(["set"], recipes),
    ]
    for row in rows:
        values = [f"{row.train_cpu[r]:,.1f}" if r in row.train_cpu else "—" for r in recipes]
        lines.append(table_row([row.title, *values]))
    return lines


def render_auto(rows: list[Judged], recipes: list[str]) -> list[str]:
    """The margin of `auto` replayed on every set (dev and test macro-F1, labels per family),
    and the CPU s each recipe's training took."""
    replays = {row.title: {m: replayed(row, m) for m in MARGINS} for row in rows}
    kept = [row for row in rows if all(replays[row.title].values())]
    lines = [
        f"`auto` (margin {AUTO_MARGIN}: the cross-validated F1 `embedding` or `hybrid` must "
        "gain over `ngram`) replayed at other margins from the heads of its candidate columns "
        "(each label takes the head of the family `choose_family` keeps by the CV F1 of each "
        "on the train split), dev / test macro-F1 and labels on ngram/embedding/hybrid:",
        "",
        *table_head(["set"], [f"margin {m}" for m in MARGINS]),
    ]
    for row in kept:
        cells = []
        for m in MARGINS:
            dev, test, taken = replays[row.title][m]
            counts = "/".join(str(taken.get(f, 0)) for f in AUTO_PARTS)
            cells.append(f"{dev:.3f} / {test:.3f} ({counts})")
        lines.append(table_row([row.title, *cells]))
    means = [np.mean([replays[row.title][m][k] for row in kept]) for m in MARGINS for k in (0, 1)]
    lines.append(
        f"| mean of {len(kept)} sets | "
        + " | ".join(f"{means[2 * i]:.3f} / {means[2 * i + 1]:.3f}" for i in range(len(MARGINS)))
        + " |"
    )
    return [*lines, "", *render_cpu(rows, recipes)]


if __name__ == "__main__":
    main()
