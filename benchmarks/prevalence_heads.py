"""Would an n-gram head fitted on the calibration labels themselves correct prevalence better than
the marker's rule? The protocol of benchmarks/prevalence.py, with the head in place of the rule.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence_heads.py [--draws 50] [--size 1000]
        [--calibration-rows 1000]

For each set × marker of benchmarks/prevalence.py: on the same seeded calibration sample (at most
`--calibration-rows` labelled posts), an `ngram-v1` head (moodcast.training's settings: balanced
logistic regression, F1-optimal cut of 5-fold out-of-fold probabilities) is cross-fitted: its
out-of-fold decisions give the rates (tpr, fpr) and its out-of-fold probabilities the PACC rates
(mean probability on positives and on negatives), so no rate is measured on a post the head
learnt from. The head refitted on the whole sample then scores the held-out part, and the same
draws as benchmarks/prevalence.py (5%, 10%, 20%, 40%) compare the raw flagged share, ACC
(transforms.quantify.adjusted on the decisions) and PACC (the same formula on the mean
probability) with the truth. Rows whose cross-fitted `tpr - fpr` is below
transforms.validation.MIN_YOUDEN get no adjusted share, as in the product. This is a measurement
for a design (`markers calibrate --labels` fitting such a head), not what the product does today.
Results go to benchmarks/RESULTS.md (`prevalence-heads`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.prevalence_protocol import (  # noqa: E402
    HELD_OUT_ROWS,
    MIN_HELD_OUT,
    PREVALENCES,
    SEED,
    SETS,
    arguments,
    parts,
)
from benchmarks.results import write_section  # noqa: E402
from moodcast.label_files import label_frame  # noqa: E402
from moodcast.training import FOLDS, best_threshold  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_scoring import model_text  # noqa: E402
from transforms.ngram import ngram_features  # noqa: E402
from transforms.quantify import adjusted, interval  # noqa: E402
from transforms.validation import MIN_YOUDEN  # noqa: E402


def _texts(frame: pl.DataFrame) -> list[str]:
    return frame.select(model_text(pl.col("text"))).to_series().to_list()


def cross_fitted(features, y: np.ndarray):
    """(out-of-fold probabilities, cut, model refitted on all rows)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    model = LogisticRegression(class_weight="balanced", solver="liblinear")
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    held = cross_val_predict(model, features, y, cv=folds, method="predict_proba")[:, 1]
    cut, _ = best_threshold(held, y.astype(bool))
    return held, cut, model.fit(features, y)


def _mae(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.abs(estimate - truth).mean())


def evaluate(gold: np.ndarray, prob: np.ndarray, cut: float, rates: dict, args, rng) -> dict:
    """Raw, ACC and PACC errors over the draws, and ACC's interval coverage."""
    hit = prob >= cut
    truths, flagged, means = [], [], []
    for target in PREVALENCES:
        n_pos = round(target * args.size)
        for _ in range(args.draws):
            pos = rng.choice(np.flatnonzero(gold), n_pos)
            neg = rng.choice(np.flatnonzero(~gold), args.size - n_pos)
            rows = np.concatenate([pos, neg])
            truths.append(n_pos / args.size)
            flagged.append(hit[rows].mean())
            means.append(prob[rows].mean())
    frame = pl.DataFrame({"truth": truths, "flagged": flagged, "mean": means})
    out = {"raw_mae": _mae(frame["flagged"].to_numpy(), frame["truth"].to_numpy())}
    if rates["tpr"] - rates["fpr"] < MIN_YOUDEN:
        return out

    def corrected(share: str, tpr: str, fpr: str):
        lits = (args.size, rates[tpr], rates[fpr], rates["n_pos"], rates["n_neg"])
        return adjusted(pl.col(share), *map(pl.lit, lits))

    acc, variance = corrected("flagged", "tpr", "fpr")
    pacc, _ = corrected("mean", "ptpr", "pfpr")
    lo, hi = interval(acc, variance)
    scored = frame.select(
        (acc - pl.col("truth")).abs().mean().alias("acc_mae"),
        (pacc - pl.col("truth")).abs().mean().alias("pacc_mae"),
        ((lo <= pl.col("truth")) & (hi >= pl.col("truth"))).mean().alias("coverage"),
    ).row(0, named=True)
    return out | scored


def evaluate_set(name: str, args, markers) -> list[dict]:
    calib, held, _ = parts(args.datasets, name)
    labelled = [m for m in markers if m in calib.columns and m in held.columns]
    if not labelled:
        return []
    sample = calib.sample(min(args.calibration_rows, calib.height), seed=SEED, shuffle=True)
    sample = label_frame(sample, text_col="text", label_cols=labelled)
    held = held.sample(min(HELD_OUT_ROWS, held.height), seed=SEED, shuffle=True)
    held = label_frame(held, text_col="text", label_cols=labelled)
    train_x, held_x = ngram_features(_texts(sample)), ngram_features(_texts(held))
    rng = np.random.default_rng(SEED)
    rows = []
    for marker in labelled:
        y = sample.get_column(marker).fill_null(0).to_numpy()
        gold = held.get_column(marker).fill_null(0).to_numpy() == 1
        row = {"set": name, "marker": marker, "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum())}
        if min(row["n_pos"], row["n_neg"]) < FOLDS or min(gold.sum(), (~gold).sum()) < MIN_HELD_OUT:
            rows.append(row | {"note": "too few labels"})
            continue
        oof, cut, model = cross_fitted(train_x, y)
        positive = y == 1
        row |= {
            "tpr": float((oof[positive] >= cut).mean()),
            "fpr": float((oof[~positive] >= cut).mean()),
            "ptpr": float(oof[positive].mean()),
            "pfpr": float(oof[~positive].mean()),
        }
        prob = model.predict_proba(held_x)[:, 1]
        rows.append(row | evaluate(gold, prob, cut, row, args, rng))
    return rows


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(rows: list[dict], args) -> str:
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence_heads.py "
        f"--draws {args.draws} --size {args.size} --calibration-rows {args.calibration_rows}`",
        "",
        "The protocol of `prevalence` with, instead of the marker's rule, an `ngram-v1` head "
        "cross-fitted on the calibration sample (rates from out-of-fold decisions; PACC from "
        "out-of-fold probabilities) and refitted on it to score the held-out draws. A design "
        "measurement, not what `markers calibrate` does today. Bar as in `prevalence`: adjusted "
        "MAE ≤ 0.03 and ≤ half the raw MAE.",
        "",
        "| set | marker | calib pos/neg | tpr | fpr | raw MAE | ACC MAE | PACC MAE | ACC coverage |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['set']} | {r['marker']} | {r['n_pos']}/{r['n_neg']} | {_num(r.get('tpr'))} | "
            f"{_num(r.get('fpr'))} | {_num(r.get('raw_mae'))} | {_num(r.get('acc_mae'))} | "
            f"{_num(r.get('pacc_mae'))} | {_num(r.get('coverage'), 2)} |"
        )
    scored = [r for r in rows if r.get("acc_mae") is not None]
    if scored:
        mean = {k: np.mean([r[k] for r in scored]) for k in ("raw_mae", "acc_mae", "pacc_mae")}
        met = sum(r["acc_mae"] <= 0.03 and r["acc_mae"] <= r["raw_mae"] / 2 for r in scored)
        lines += [
            "",
            f"{len(rows)} rows, {len(scored)} with tpr - fpr ≥ {MIN_YOUDEN}: raw MAE "
            f"{mean['raw_mae']:.3f}, ACC {mean['acc_mae']:.3f}, PACC {mean['pacc_mae']:.3f}, "
            f"coverage {np.mean([r['coverage'] for r in scored]):.2f}; {met} meet the bar with ACC.",
        ]
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__)
    if not args.datasets.is_dir():
        print(f"skipped: no datasets directory at {args.datasets}", file=sys.stderr)
        return
    markers = load_markers()
    rows = []
    for name, (calib, _) in SETS.items():
        if all((args.datasets / f).is_file() for f in calib):
            rows += evaluate_set(name, args, markers)
            print(f"{name}: done", file=sys.stderr, flush=True)
    text = report(rows, args)
    print(text)
    write_section("prevalence-heads", text)


if __name__ == "__main__":
    main()
