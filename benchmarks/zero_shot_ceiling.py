"""How far the zero-shot model source can go on real labelled posts: its F1 at the shipped
thresholds beside the best F1 any threshold on its score reaches on the test split itself.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/zero_shot_ceiling.py [--cap 1500] [--write]

For every English set of benchmarks/marker_sets.py and the two stress views of
benchmarks/head_sets.py (the issue's Reddit-stress bar), each marker's zero-shot score (the
shipped prototypes through the shipped all-MiniLM-L6-v2, no trained head; what
`moodcast tag --source model` thresholds) is judged on the test split (at most `--cap` rows):
ROC AUC, F1 at the shipped threshold, and the "oracle" F1, the highest F1 of any cut on the
score, chosen on the very rows it is judged on. The oracle is no method (a threshold fitted to
test labels): it bounds what any threshold on this score can reach, so where its macro-F1 is
below a bar, no choice of thresholds meets the bar with this score.

Results go to benchmarks/RESULTS.md (`zero-shot-ceiling`) with `--write`. Skips, saying so,
when the datasets are absent.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from benchmarks import head_sets as hs
from benchmarks import marker_sets as ms
from benchmarks import markers as bm
from benchmarks.results import write_section


def oracle_f1(score: np.ndarray, gold: np.ndarray) -> float:
    """The highest F1 of flagging `score >= cut` over every cut that some row's score takes."""
    order = np.argsort(-score, kind="stable")
    ranked, hits = score[order], gold[order].astype(np.int64)
    last_of_tie = np.r_[ranked[1:] != ranked[:-1], True]
    tp = np.cumsum(hits)[last_of_tie]
    flagged = np.flatnonzero(last_of_tie) + 1
    return float(np.max(2 * tp / (flagged + gold.sum())))


def judged(name: str, test: pl.DataFrame, labels: list[str], encoder) -> list[tuple]:
    """(set, marker, support, share, AUC, shipped F1, oracle F1) of each label of `test`."""
    markers = bm.prototypes_only(bm.load_markers(names=labels))
    lexicon = bm.score(test, markers)
    scores = bm.model_scores(test, markers, encoder)
    hits = bm.decisions(test, lexicon, scores, markers, source="model")
    rows = []
    for label in labels:
        gold = test.get_column(label).to_numpy().astype(bool)
        score = scores.get_column(f"{label}__model").to_numpy()
        shipped = bm.prf(gold, hits.get_column(label).to_numpy().astype(bool))[2]
        rows.append(
            (name, label, int(gold.sum()), float(gold.mean()), roc_auc_score(gold, score),
             shipped, oracle_f1(score, gold))
        )  # fmt: skip
    return rows


def tests(cap: int) -> list[tuple[str, pl.DataFrame, list[str]]]:
    """(name, test rows, labels) of every English set and of the two stress views."""
    found = [
        (s.name, ms.load_split(s, "test", cap=cap), list(s.labels))
        for s in ms.SETS
        if s.lang == "en" and not s.control
    ]
    for name in hs.STRESS_VIEWS:
        labelled = next(s for s in ms.SETS if s.name == name)
        test = hs.stress_view(name, ms.load_split(labelled, "test", cap=cap))
        found.append((f"{name}:stress", test, ["stress"]))
    return found


def render(rows: list[tuple], cap: int) -> str:
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/zero_shot_ceiling.py "
        f"--cap {cap} --write`",
        "",
        "Zero-shot source (shipped prototypes and thresholds, all-MiniLM-L6-v2, no head) on each "
        "test split: ROC AUC of the score, F1 at the shipped threshold, and the oracle F1 (best "
        "cut chosen on the same test rows: a bound on any threshold, not a method).",
        "",
        "| set | marker | support | share | AUC | F1 shipped | F1 oracle |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, label, support, share, auc, shipped, oracle in rows:
        lines.append(
            f"| {name} | {label} | {support} | {share:.3f} | {auc:.3f} | {shipped:.3f} | {oracle:.3f} |"
        )
    lines += ["", "Macro over each set's markers:", "", "| set | F1 shipped | F1 oracle |",
              "|---|---:|---:|"]  # fmt: skip
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        lines.append(
            f"| {name} | {np.mean([r[5] for r in mine]):.3f} | {np.mean([r[6] for r in mine]):.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap", type=int, default=1500, help="Most test rows per set.")
    parser.add_argument("--write", action="store_true", help="Write the RESULTS.md section.")
    args = parser.parse_args(argv)
    if not ms.DATASETS.exists():
        print(f"skipped: no labelled sets at {ms.DATASETS}", file=sys.stderr)
        return
    encoder = bm.CachedEncoder()
    rows = [
        row for name, test, labels in tests(args.cap) for row in judged(name, test, labels, encoder)
    ]
    text = render(rows, args.cap)
    print(text)
    if args.write:
        write_section("zero-shot-ceiling", text)


if __name__ == "__main__":
    main()
