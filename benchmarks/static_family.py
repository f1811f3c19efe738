"""The built `static` head family (`moodcast markers train --family static`) on real labelled
posts: that it reproduces the measured `static+ngram` recipe, whether a static model distilled
from the shipped English all-MiniLM-L6-v2 helps the Spanish sets, and its cost per post.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/static_family.py [--train-cap 2000]
        [--cap 1500] [--dev-only] [--write]

- `same`: the static model the product distils (moodcast.static_models.distilled, into
  benchmarks/.data/static-cache) is compared file by file with benchmarks/static_model.py's
  `static-256` (`config.json` but for the sentence model's name), and a `static` head of CovidEmo's anger is compared with that script's
  `static+ngram` head (the `hybrid` family on `static-256`) trained on the same rows.
- `spanish`: `ngram` (ngram-v1) and `static` heads trained by train_heads (the path of
  `moodcast markers train`, with `models = {es = "default"}` so the English model is
  distilled for Spanish) on each Spanish set's train split (at most `--train-cap` rows),
  thresholds by 5-fold CV there, judged as macro-F1 on the dev split and then the test split
  (at most `--cap` rows each), as benchmarks/head_recipes.py judges heads. The rule, fixed
  before any number: `static` is worth it for Spanish if it beats `ngram` on dev on at least 3
  of the 4 sets (semeval2018_ec_es, xed_es, valeriano_suicide_es, mentai_instagram_es; the
  SemEval bar labels are a fifth row, shown, not counted) and loses no set's test by more
  than 0.01.
- `cost`: CPU µs per post of score_texts with the SemEval anger head of each family on its
  test posts, least of 3 runs, one process.

Results go to benchmarks/RESULTS.md (`static-family`) with `--write`. Skips, saying so, when
the datasets are absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import head_sets as hs  # noqa: E402
from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.cpu import least_cpu_s  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.static_model import STATIC_DIR  # noqa: E402
from moodcast.static_models import StaticSettings, distilled  # noqa: E402
from moodcast.training import train_heads  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import ModelConfig  # noqa: E402
from transforms.model_scoring import model_text, score_texts  # noqa: E402
from transforms.static_embedding import StaticEncoder  # noqa: E402

CACHE = ROOT / "benchmarks" / ".data" / "static-cache"
"""Where the product's distilled model is kept for these runs (its model cache)."""
SPANISH = ("semeval2018_ec_es", "xed_es", "valeriano_suicide_es", "mentai_instagram_es")
FAMILIES = ("ngram", "static")


def config(lang: str) -> ModelConfig:
    """The shipped English model configured for `lang`, the cache in benchmarks/.data."""
    return ModelConfig(models={lang: "default"}, cache_dir=CACHE)


def trained(labelled: ms.LabelledSet, train: pl.DataFrame, family: str, out: Path) -> dict:
    """Markers with a head of `family` (ngram-v1 n-grams) per label of `labelled`, trained on
    `train` by train_heads into `out`."""
    names = [n for n in labelled.labels if train.get_column(n).sum() >= 2]
    labels = train.select("text", "lang", *[pl.col(n).cast(pl.Int8) for n in names])
    train_heads(labels, markers=load_markers(), config=config(labelled.lang), out_dir=out,
                origin=labelled.name, family=family)  # fmt: skip
    return load_markers(out, names=names)


def same_table() -> list[str]:
    """The product's distilled model against static_model.py's, and one head of each."""
    start = time.process_time()
    built = distilled("default", cache_dir=CACHE, settings=StaticSettings())
    seconds = time.process_time() - start
    measured = STATIC_DIR / "static-256"
    lines = [f"Distilled (or found in the cache) in {seconds:.0f} CPU s: `{built.name}`.", ""]
    for name in ("model.safetensors", "tokenizer.json"):
        equal = (built / name).read_bytes() == (measured / name).read_bytes()
        lines.append(f"- `{name}` byte-identical to static_model.py's `static-256`: {equal}")
    configs = [json.loads((d / "config.json").read_text()) | {"tokenizer_name": ""}
               for d in (built, measured)]  # fmt: skip
    lines.append(
        "- `config.json` equal to static_model.py's `static-256` but for `tokenizer_name` (the "
        f"product's names the model's folder, not its path): {configs[0] == configs[1]}"
    )
    covidemo = replace(next(s for s in ms.SETS if s.name == "covidemo_en"), labels=("anger",))
    parts = hs.splits(covidemo, 2000, 1500)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        static = trained(covidemo, parts["train"], "static", Path(a))["anger"].heads["en"]
        hybrid = hs.trained(covidemo, parts["train"], "hybrid", "ngram-v1",
                            StaticEncoder(measured), Path(b))["anger"].heads["en"]  # fmt: skip
    equal = (static.coef, static.indices, static.ngram_coef, static.threshold) == (
        hybrid.coef, hybrid.indices, hybrid.ngram_coef, hybrid.threshold
    )  # fmt: skip
    lines.append(
        f"- CovidEmo anger head (family `static`) equal to static_model.py's `static+ngram` "
        f"head (weights, buckets, threshold): {equal}"
    )
    return lines


def spanish_rows(train_cap: int, cap: int, splits_wanted: tuple[str, ...]) -> list[tuple]:
    """(title, train rows, family → split → macro-F1) per Spanish row."""
    jobs = [(s, s.name) for s in ms.SETS if s.name in SPANISH]
    jobs += [(replace(s, labels=hs.BAR_LABELS[s.name]), f"{s.name}, bar labels")
             for s in ms.SETS if s.name in hs.BAR_LABELS and s.lang == "es"]  # fmt: skip
    rows = []
    for labelled, title in jobs:
        parts = hs.splits(labelled, train_cap, cap)
        cells = {}
        for family in FAMILIES:
            with tempfile.TemporaryDirectory() as out:
                markers = trained(labelled, parts["train"], family, Path(out))
                cells[family] = {
                    split: float(np.mean(list(hs.label_f1(labelled, parts[split], markers, None).values())))
                    for split in splits_wanted
                }  # fmt: skip
        print(title, cells, flush=True)
        rows.append((title, parts["train"].height, cells))
    return rows


def spanish_table(rows: list[tuple], splits_wanted: tuple[str, ...]) -> list[str]:
    lines = [
        f"| set | train rows | ngram ({' / '.join(splits_wanted)}) | static | static − ngram |",
        "|---|---:|---:|---:|---:|",
    ]
    for title, height, cells in rows:
        values = [" / ".join(f"{cells[f][s]:.3f}" for s in splits_wanted) for f in FAMILIES]
        gain = " / ".join(f"{cells['static'][s] - cells['ngram'][s]:+.3f}" for s in splits_wanted)
        lines.append(f"| {title} | {height} | " + " | ".join(values) + f" | {gain} |")
    counted = [cells for title, _, cells in rows if title in SPANISH]
    dev_wins = sum(c["static"]["dev"] > c["ngram"]["dev"] for c in counted)
    verdict = f"Rule: `static` beats `ngram` on dev on {dev_wins} of {len(counted)} sets (needs 3)"
    if "test" in splits_wanted:
        worst = min(c["static"]["test"] - c["ngram"]["test"] for c in counted)
        verdict += f"; its worst test difference is {worst:+.3f} (may not be below −0.010)"
        passed = dev_wins >= 3 and worst >= -0.01
        verdict += f": {'met' if passed else 'not met'}."
    return [*lines, "", verdict]


def cost_line(train_cap: int, cap: int) -> list[str]:
    """CPU µs per post of score_texts with SemEval's anger head of each family."""
    semeval = replace(next(s for s in ms.SETS if s.name == "semeval2018_ec_es"), labels=("anger",))
    parts = hs.splits(semeval, train_cap, cap)
    texts = parts["test"].select(model_text(pl.col("text"))).to_series().to_list()
    per = {}
    for family in FAMILIES:
        with tempfile.TemporaryDirectory() as out:
            markers = trained(semeval, parts["train"], family, Path(out))
            score_texts(texts, lang="es", markers=markers, encoder=None)
            run = partial(score_texts, texts, lang="es", markers=markers, encoder=None)
            best = least_cpu_s(run, repeats=3)
        per[family] = 1e6 * best / len(texts)
    return [
        f"CPU µs per post of `score_texts` ({len(texts)} SemEval-es test tweets, the anger head, "
        f"least of 3 runs, one process): ngram-v1 {per['ngram']:.1f}, static {per['static']:.1f}."
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="same,spanish,cost", help="Comma-separated parts.")
    parser.add_argument("--dev-only", action="store_true", help="Dev splits only (no test).")
    parser.add_argument("--cap", type=int, default=1500, help="Dev/test rows per set at most.")
    parser.add_argument("--train-cap", type=int, default=2000, help="Train rows per set at most.")
    parser.add_argument("--write", action="store_true", help="Write the RESULTS.md section.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    parts = args.parts.split(",")
    wanted = ("dev",) if args.dev_only else ("dev", "test")
    start = time.process_time()
    body = []
    if "same" in parts:
        body += ["The built family against the measured recipe:", "", *same_table(), ""]
    if "spanish" in parts:
        rows = spanish_rows(args.train_cap, args.cap, wanted)
        body += ["Spanish sets, macro-F1 (heads on at most "
                 f"{args.train_cap} train rows; distilled from the English MiniLM):", "",
                 *spanish_table(rows, wanted), ""]  # fmt: skip
    if "cost" in parts:
        body += [*cost_line(args.train_cap, args.cap), ""]
    body.append(
        f"`benchmarks/static_family.py --parts {args.parts} --train-cap {args.train_cap}"
        f"{' --dev-only' if args.dev_only else ''}`: {time.process_time() - start:.0f} CPU s."
    )
    text = "\n".join(body)
    print(text)
    if args.write:
        write_section("static-family", text)


if __name__ == "__main__":
    main()
