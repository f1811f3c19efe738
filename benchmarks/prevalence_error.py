"""Where the adjusted share's error comes from, and which standard remedies lower it.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence_error.py [--datasets DIR]
        [--draws 50] [--size 1000] [--calibration-rows 1000]

The protocol of benchmarks/prevalence.py (same sets, calibration samples, held-out parts,
seeded draws at true prevalences 5/10/20/40%; its cached per-post decisions and scores are
reused). For every marker × language with enough held-out posts:

* **Decomposition** of adjusted classify-and-count's (ACC) error into three sources, by
  re-estimating each subset with other rates: the held-out part's own rates (`oracle`: only
  the subset's sampling error is left); rates of a fresh calibration sample for each subset,
  drawn with replacement from the held-out posts with the calibration sample's class counts
  (`no shift`: the rates' sampling error is added, averaged over calibration samples; PACC
  and BLEND too where a score exists); the calibration rates (`measured`: adds this sample's
  luck and any difference between the rates of the calibration and held-out posts, i.e.
  bias). `shift z`: the difference of the calibration and held-out tpr (fpr) in standard
  errors of the two.
* **Remedies**: the floor on `tpr - fpr` (FLOORS; rows reported both ways); ACC
  unclipped; intervals without the rates' uncertainty; and where a model score exists in the
  language, Forman's (2008) threshold choices on the calibration sample (X: fpr = 1 - tpr;
  MAX: largest tpr - fpr; T50: tpr = 0.5; MS: median of the ACC estimates over all thresholds
  with tpr - fpr >= 0.25), PACC (ACC's formula on the mean probability, with the measured
  spreads), and BLEND: ACC and PACC weighted by the inverses of their estimated variances
  (transforms.quantify.blended, what `markers evaluate` publishes where a score exists).

Writes the `prevalence-error` section of benchmarks/RESULTS.md. Skips with a message when
the datasets directory is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import prevalence_protocol as pv  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.quantify import adjusted, blended, interval  # noqa: E402
from transforms.validation import MIN_YOUDEN, VALIDATED, WEAK  # noqa: E402

FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3)
MS_FLOOR = 0.25
"""Forman's MS takes the median over thresholds whose tpr - fpr is at least this."""
THRESHOLDS = 101
"""Candidate thresholds of a model score: this many quantiles of its calibration scores."""


def estimate(
    flagged, tpr, fpr, n_pos, n_neg, size: int, *, spreads=()
) -> tuple[np.ndarray, np.ndarray]:
    """transforms.quantify.adjusted over numpy arrays broadcast together (and with the three
    `spreads`, if given): `(theta, variance)` of the broadcast shape, NaN where null."""
    names = ("share", "tpr", "fpr", "n_pos", "n_neg", "s0", "s1", "s2")
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (flagged, tpr, fpr, n_pos, n_neg, *spreads))
    )
    frame = pl.DataFrame({n: a.ravel() for n, a in zip(names, arrays, strict=False)})
    cols = [pl.col(n) for n in frame.columns]
    theta, variance = adjusted(
        cols[0], pl.lit(size), *cols[1:5], spreads=tuple(cols[5:]) if spreads else None
    )
    out = frame.select(theta.alias("t"), variance.alias("v")).fill_null(np.nan)
    shape = arrays[0].shape
    return out.get_column("t").to_numpy().reshape(shape), out.get_column("v").to_numpy().reshape(
        shape
    )


def subsets(gold: np.ndarray, *, size: int, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Indices of `count` subsets of `size` per true prevalence (pv.PREVALENCES), drawn with
    replacement from the positives and negatives of `gold`, and each subset's true share."""
    positives, negatives = np.flatnonzero(gold), np.flatnonzero(~gold)
    rows, truth = [], []
    for target in pv.PREVALENCES:
        n_pos = round(target * size)
        for _ in range(count):
            rows.append(
                np.concatenate([rng.choice(positives, n_pos), rng.choice(negatives, size - n_pos)])
            )
            truth.append(n_pos / size)
    return np.stack(rows), np.array(truth)


def decomposition(rate: dict, held: dict, idx, truth, size: int, rng) -> dict:
    """ACC's errors with oracle, resampled (no shift) and measured rates, and its variants;
    with a model score, PACC's and BLEND's errors with resampled rates too (`*_no_shift`)."""
    flagged = held["hit"][idx].mean(axis=1)
    gh = held["gold"]
    tpr_h, fpr_h = held["hit"][gh].mean(), held["hit"][~gh].mean()
    n_pos, n_neg = rate["tp"] + rate["fn"], rate["fp"] + rate["tn"]
    fresh = _fresh_calibrations(gh, n_pos, n_neg, len(truth), rng)
    found = {"held_tpr": tpr_h, "held_fpr": fpr_h, "raw": np.abs(flagged - truth)}
    hit_rates = [held["hit"][part].mean(axis=1) for part in fresh]
    for name, tpr, fpr, npos, nneg in (
        ("oracle", tpr_h, fpr_h, gh.sum(), (~gh).sum()),
        ("no_shift", *hit_rates, n_pos, n_neg),
        ("acc", rate["tpr"], rate["fpr"], n_pos, n_neg),
    ):
        theta, variance = estimate(flagged, tpr, fpr, npos, nneg, size)
        found[name] = np.abs(theta - truth)
        found[f"{name}_theta"], found[f"{name}_var"] = theta, variance
    found |= {"acc_cover": _covers(found["acc_theta"], found["acc_var"], truth)}
    found["acc_signed"] = found["acc_theta"] - truth
    p_only = flagged * (1 - flagged) / size / (rate["tpr"] - rate["fpr"]) ** 2
    found["p_only_cover"] = _covers(found["acc_theta"], p_only, truth)
    unclipped = (flagged - rate["fpr"]) / (rate["tpr"] - rate["fpr"])
    found["unclipped"] = np.abs(unclipped - truth)
    if not np.isnan(held["prob"]).any():
        scores = held["prob"][idx]
        pos, neg = (held["prob"][part] for part in fresh)
        pacc, blend = pacc_and_blend(
            scores, pos, neg, (found.pop("no_shift_theta"), found.pop("no_shift_var")), size
        )
        found |= {
            "PACC_no_shift": np.abs(pacc[0] - truth),
            "BLEND_no_shift": np.abs(blend[0] - truth),
        }
    for which in ("tpr", "fpr"):
        measured, other = rate[which], found[f"held_{which}"]
        m_c, m_h = (n_pos, gh.sum()) if which == "tpr" else (n_neg, (~gh).sum())
        se = np.sqrt(other * (1 - other) * (1 / m_c + 1 / m_h))
        found[f"{which}_z"] = (measured - other) / se if se > 0 else 0.0
    return found


def _fresh_calibrations(gold: np.ndarray, n_pos: int, n_neg: int, count: int, rng):
    """`count` calibration samples drawn with replacement from the posts of `gold` with
    `n_pos` positives and `n_neg` negatives: (positives' indices, negatives' indices), each
    `count` × its size."""
    positives, negatives = np.flatnonzero(gold), np.flatnonzero(~gold)
    return rng.choice(positives, (count, n_pos)), rng.choice(negatives, (count, n_neg))


def pacc_and_blend(scores, pos, neg, acc: tuple, size: int) -> tuple[tuple, tuple]:
    """PACC's and BLEND's `(theta, variance)` per subset: `scores` are the subsets' model
    probabilities (subset × post), `pos` and `neg` those of the calibration positives and
    negatives (one sample, or one per subset: subset × post), `acc` ACC's estimates and
    variances of the same subsets."""
    pacc, pacc_var = estimate(
        scores.mean(axis=1),
        pos.mean(axis=-1),
        neg.mean(axis=-1),
        pos.shape[-1],
        neg.shape[-1],
        size,
        spreads=(scores.var(axis=1), pos.var(axis=-1), neg.var(axis=-1)),
    )
    frame = pl.DataFrame(
        {"a": acc[0], "va": acc[1], "p": pacc, "vp": pacc_var},
        schema=dict.fromkeys(["a", "va", "p", "vp"], pl.Float64),
    ).fill_nan(None)
    blend = blended((pl.col("a"), pl.col("va")), (pl.col("p"), pl.col("vp")))
    out = frame.select(blend[0].alias("t"), blend[1].alias("v")).fill_null(np.nan)
    return (pacc, pacc_var), (out.get_column("t").to_numpy(), out.get_column("v").to_numpy())


def _covers(theta, variance, truth) -> np.ndarray:
    """Whether the 95% interval of each estimate holds its truth (NaN estimates do not)."""
    frame = pl.DataFrame({"t": theta, "v": variance}).fill_nan(None)
    lo, hi = interval(pl.col("t"), pl.col("v"))
    bounds = frame.select(lo.alias("lo"), hi.alias("hi")).fill_null(np.nan).to_numpy()
    return (bounds[:, 0] <= truth) & (bounds[:, 1] >= truth)


def score_methods(calib: dict, held: dict, idx, truth, size: int, acc: tuple) -> dict:
    """Where a model score exists: Forman's threshold choices on the calibration scores (X,
    MAX, T50, MS), PACC, and BLEND (the inverse-variance mean of ACC, `acc` = its estimates
    and variances, and PACC; no label of the subset used; see the module doc). Absolute errors per subset, and
    `<method>_cover` where the method has a variance."""
    gc, pc = calib["gold"], calib["prob"]
    grid = np.unique(np.quantile(pc, np.linspace(0, 1, THRESHOLDS)))
    above = pc[:, None] >= grid
    tpr, fpr = above[gc].mean(axis=0), above[~gc].mean(axis=0)
    n_pos, n_neg = int(gc.sum()), int((~gc).sum())
    scores = held["prob"][idx]
    found = {}
    choices = {
        "X": np.argmin(np.abs(fpr - (1 - tpr))),
        "MAX": np.argmax(tpr - fpr),
        "T50": np.argmin(np.abs(tpr - 0.5)),
    }
    for name, k in choices.items():
        theta, variance = estimate(
            (scores >= grid[k]).mean(axis=1), tpr[k], fpr[k], n_pos, n_neg, size
        )
        found[f"{name}_j"] = float(tpr[k] - fpr[k])
        if found[f"{name}_j"] >= MIN_YOUDEN:
            found[name] = np.abs(theta - truth)
            found[f"{name}_cover"] = _covers(theta, variance, truth)
    good = np.flatnonzero(tpr - fpr >= MS_FLOOR)
    if len(good):
        shares = np.stack([(scores >= grid[k]).mean(axis=1) for k in good], axis=1)
        theta, _ = estimate(shares, tpr[good], fpr[good], n_pos, n_neg, size)
        found["MS"] = np.abs(np.nanmedian(theta, axis=1) - truth)
    (pacc, pacc_var), (blend, blend_var) = pacc_and_blend(scores, pc[gc], pc[~gc], acc, size)
    found |= {"PACC": np.abs(pacc - truth), "PACC_cover": _covers(pacc, pacc_var, truth)}
    found |= {"BLEND": np.abs(blend - truth), "BLEND_cover": _covers(blend, blend_var, truth)}
    return found


def analyse_set(name: str, args, settings, markers, rng) -> list[dict]:
    """One row per marker × language of set `name` with enough held-out posts: its rates,
    the per-subset absolute errors of every estimator (arrays), and scalars."""
    posts, rates = pv.scored_posts(name, args, settings, markers)
    rows = []
    for (marker, lang), rate in rates.items():
        mine = posts.filter(
            (pl.col("marker") == marker) & (pl.col("lang") == lang) & pl.col("hit").is_not_null()
        )
        held, calib = (
            {
                c: mine.filter(pl.col("part") == part).get_column(c).to_numpy()
                for c in ("gold", "hit", "prob")
            }
            for part in ("held-out", "calibration")
        )
        if min(held["gold"].sum(), (~held["gold"]).sum()) < pv.MIN_HELD_OUT:
            continue
        idx, truth = subsets(held["gold"], size=args.size, count=args.draws, rng=rng)
        target = np.repeat(pv.PREVALENCES, args.draws)
        row = {"set": name, **rate, "truth": truth, "target": target}
        row |= decomposition(rate, held, idx, truth, args.size, rng)
        acc = (row.pop("acc_theta"), row.pop("acc_var"))
        row.pop("oracle_theta"), row.pop("oracle_var")
        row.pop("no_shift_theta", None), row.pop("no_shift_var", None)
        scored = np.concatenate([calib["prob"], held["prob"]])
        if len(calib["prob"]) and not np.isnan(scored).any():
            row |= score_methods(calib, held, idx, truth, args.size, acc)
        rows.append(row)
    return rows


def _mae(row: dict, method: str, mask=None) -> float:
    """Mean absolute error of `method` in `row` (over the subsets in `mask`); NaN when the
    method gave no estimate."""
    errors = row[method] if mask is None else row[method][mask]
    return float("nan") if np.isnan(errors).all() else float(np.nanmean(errors))


def _meets(mae: float, raw: float) -> bool:
    return mae <= 0.03 and mae <= raw / 2


def row_table(rows: list[dict]) -> list[str]:
    """Per marker × language: J, status, raw and ACC MAE with measured / no-shift / oracle
    rates, the rate shifts, and ACC's MAE at each true prevalence."""
    heads = " | ".join(f"ACC @{p:.0%}" for p in pv.PREVALENCES)
    lines = [
        f"| set | marker | lang | tpr - fpr | status | raw | ACC | no shift | oracle | tpr z | fpr z "
        f"| {heads} | bias (mean signed) |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | "
        + "---: | " * len(pv.PREVALENCES)
        + "---: |",
    ]
    for r in rows:
        at = " | ".join(f"{_mae(r, 'acc', r['target'] == p):.3f}" for p in pv.PREVALENCES)
        state = "validated" if r["validation"] == VALIDATED else "below floor"
        lines.append(
            f"| {r['set']} | {r['marker']} | {r['lang']} | {r['tpr'] - r['fpr']:.3f} | {state} "
            f"| {_mae(r, 'raw'):.3f} | {_mae(r, 'acc'):.3f} | {_mae(r, 'no_shift'):.3f} "
            f"| {_mae(r, 'oracle'):.3f} | {r['tpr_z']:+.1f} | {r['fpr_z']:+.1f} | {at} "
            f"| {np.nanmean(r['acc_signed']):+.3f} |"
        )
    return lines


def decomposition_lines(rows: list[dict]) -> list[str]:
    """Mean squared errors of ACC over the validated rows with oracle, resampled and measured
    rates (the sources' shares), and how far the calibration rates sit from the held-out ones."""
    valid = [r for r in rows if r["validation"] == VALIDATED]
    mse = {
        m: np.mean([np.nanmean(r[m] ** 2) for r in valid]) for m in ("oracle", "no_shift", "acc")
    }
    z2 = {w: np.array([r[f"{w}_z"] ** 2 for r in valid]) for w in ("tpr", "fpr")}
    by_prevalence = {
        m: " / ".join(
            f"{np.mean([_mae(r, m, r['target'] == p) for r in valid]):.3f}" for p in pv.PREVALENCES
        )
        for m in ("raw", "oracle", "no_shift", "acc")
    }
    return [
        f"Over the {len(valid)} validated rows, mean squared error of ACC (RMSE in brackets): "
        f"with the held-out part's own rates (oracle: only the subset's sampling is left) "
        f"{mse['oracle']:.5f} ({mse['oracle'] ** 0.5:.3f}); with rates drawn at the held-out "
        f"rates from the calibration's class counts (no shift: what a random calibration sample "
        f"of this size leaves, on average) {mse['no_shift']:.5f} ({mse['no_shift'] ** 0.5:.3f}), "
        f"so the rates' sampling error is {(mse['no_shift'] - mse['oracle']) / mse['no_shift']:.0%} "
        f"of it; with the measured calibration rates {mse['acc']:.5f} ({mse['acc'] ** 0.5:.3f}), "
        f"{mse['acc'] - mse['no_shift']:+.5f} against no shift: this one calibration sample's luck "
        f"plus any shift of the rates between the parts. As MAE: oracle "
        f"{np.mean([_mae(r, 'oracle') for r in valid]):.3f}, no shift "
        f"{np.mean([_mae(r, 'no_shift') for r in valid]):.3f}, measured "
        f"{np.mean([_mae(r, 'acc') for r in valid]):.3f}.",
        f"Shift of the rates, calibration against held-out, in standard errors: mean z² "
        f"{z2['tpr'].mean():.2f} for tpr and {z2['fpr'].mean():.2f} for fpr (1 when the two parts "
        f"share their rates); |z| > 2 in {(z2['tpr'] > 4).sum()} (tpr) and {(z2['fpr'] > 4).sum()} "
        f"(fpr) of {len(valid)} rows (about {0.046 * len(valid):.1f} expected by chance).",
        "MAE by true prevalence ("
        + " / ".join(f"{p:.0%}" for p in pv.PREVALENCES)
        + "): "
        + "; ".join(
            f"{name} {by_prevalence[m]}"
            for m, name in (
                ("raw", "raw"),
                ("oracle", "ACC, oracle rates"),
                ("no_shift", "ACC, no shift"),
                ("acc", "ACC"),
            )
        )
        + ".",
    ]


def floor_lines(rows: list[dict]) -> list[str]:
    """The floor on tpr - fpr: rows validated at each, their raw and ACC MAE, rows meeting the
    bar, and the raw MAE of the rows it leaves out (reported both ways)."""
    lines = [
        "| floor on tpr - fpr | validated rows | raw MAE | ACC MAE | ACC MAE, no shift | coverage "
        "| meet the bar "
        "| rows below | their raw MAE | all rows: adjusted or raw |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for floor in FLOORS:
        kept = [r for r in rows if _passes(r, floor)]
        left = [r for r in rows if not _passes(r, floor)]
        both = [_mae(r, "acc") if r in kept else _mae(r, "raw") for r in rows]
        lines.append(
            f"| {floor} | {len(kept)} | {np.mean([_mae(r, 'raw') for r in kept]):.3f} "
            f"| {np.mean([_mae(r, 'acc') for r in kept]):.3f} "
            f"| {np.mean([_mae(r, 'no_shift') for r in kept]):.3f} "
            f"| {np.mean([np.mean(r['acc_cover']) for r in kept]):.2f} "
            f"| {sum(_meets(_mae(r, 'acc'), _mae(r, 'raw')) for r in kept)} | {len(left)} "
            f"| {np.mean([_mae(r, 'raw') for r in left]) if left else float('nan'):.3f} "
            f"| {np.mean(both):.3f} |"
        )
    return lines


def _passes(row: dict, floor: float) -> bool:
    """Whether the row would be validated with `floor` in place of MIN_YOUDEN."""
    weak = row["validation"] == WEAK
    return (row["validation"] == VALIDATED or weak) and row["tpr"] - row["fpr"] >= floor


SCORE_METHODS = ("X", "MAX", "T50", "MS", "PACC", "BLEND")


def method_lines(rows: list[dict]) -> list[str]:
    """Each estimator against ACC on the validated rows where it applies: MAE, coverage, rows
    meeting the bar, sets and rows where it beats ACC; then `it where a score exists, ACC
    elsewhere` over every validated row."""
    valid = [r for r in rows if r["validation"] == VALIDATED]
    lines = [
        "| estimator | rows | MAE | ACC MAE, same rows | coverage | meet the bar | rows better "
        "| sets better | with ACC elsewhere: MAE | meet the bar |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for method in ("acc", "unclipped", *SCORE_METHODS):
        have = [r for r in valid if method in r and not np.isnan(r[method]).all()]
        if not have:
            continue
        mae = [_mae(r, method) for r in have]
        acc = [_mae(r, "acc") for r in have]
        cover = [np.mean(r[f"{method}_cover"]) for r in have if f"{method}_cover" in r]
        sets = sorted({r["set"] for r in have})
        better_sets = sum(
            np.mean([m - a for m, a, r in zip(mae, acc, have, strict=True) if r["set"] == s]) < 0
            for s in sets
        )
        everywhere = [_mae(r, method) if r in have else _mae(r, "acc") for r in valid]
        lines.append(
            f"| {method.replace('acc', 'ACC') if method == 'acc' else method} | {len(have)} "
            f"| {np.mean(mae):.3f} | {np.mean(acc):.3f} "
            f"| {f'{np.mean(cover):.2f}' if cover else '—'} "
            f"| {sum(_meets(m, _mae(r, 'raw')) for m, r in zip(mae, have, strict=True))} "
            f"| {sum(m < a for m, a in zip(mae, acc, strict=True))} | {better_sets} of {len(sets)} "
            f"| {np.mean(everywhere):.3f} "
            f"| {sum(_meets(m, _mae(r, 'raw')) for m, r in zip(everywhere, valid, strict=True))} |"
        )
    fresh = [r for r in valid if "PACC" in r and not np.isnan(r["PACC"]).all()]
    expected = {
        m: np.mean([_mae(r, m) for r in fresh])
        for m in ("no_shift", "PACC_no_shift", "BLEND_no_shift")
    }
    blend_all = [_mae(r, "BLEND_no_shift" if "BLEND_no_shift" in r else "no_shift") for r in valid]
    lines += [
        "",
        f"Averaged over calibration samples instead of this one (each subset with its own "
        f"calibration sample of the same class counts, drawn from the held-out posts: no "
        f"shift), on the {len(fresh)} validated rows where PACC has an estimate: ACC "
        f"{expected['no_shift']:.3f}, PACC {expected['PACC_no_shift']:.3f}, BLEND "
        f"{expected['BLEND_no_shift']:.3f}; over all {len(valid)} validated rows, BLEND where "
        f"a score exists and ACC elsewhere {np.mean(blend_all):.3f} against ACC's "
        f"{np.mean([_mae(r, 'no_shift') for r in valid]):.3f}.",
    ]
    p_only = np.mean([np.mean(r["p_only_cover"]) for r in valid])
    lines += [
        "",
        f"Interval coverage of ACC without the rates' uncertainty (only the flagged share's "
        f"binomial variance): {p_only:.2f}, against "
        f"{np.mean([np.mean(r['acc_cover']) for r in valid]):.2f} with it.",
    ]
    return lines


def score_row_lines(rows: list[dict]) -> list[str]:
    """Per validated row with a model score: MAE of ACC and of each score method."""
    have = [r for r in rows if r["validation"] == VALIDATED and "PACC" in r]
    lines = [
        "| set | marker | ACC | " + " | ".join(SCORE_METHODS) + " | J at X / MAX / T50 |",
        "| --- | --- | ---: | " + "---: | " * len(SCORE_METHODS) + "--- |",
    ]
    for r in have:
        cells = " | ".join(
            "—" if m not in r or np.isnan(_mae(r, m)) else f"{_mae(r, m):.3f}"
            for m in SCORE_METHODS
        )
        lines.append(
            f"| {r['set']} | {r['marker']} | {_mae(r, 'acc'):.3f} | {cells} "
            f"| {r['X_j']:.2f} / {r['MAX_j']:.2f} / {r['T50_j']:.2f} |"
        )
    return lines


def report(rows: list[dict], args) -> str:
    """The `prevalence-error` section."""
    return "\n".join(
        [
            "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence_error.py "
            f"--draws {args.draws} --size {args.size} --calibration-rows {args.calibration_rows}`",
            "",
            "Protocol of `prevalence` (same calibration samples, held-out parts and kinds of draws; "
            "see the script's docstring). ACC: adjusted classify-and-count with the calibration "
            "rates, as published; no shift: each subset with the rates of its own calibration "
            "sample, drawn from the held-out posts with the calibration's class counts; oracle: "
            "with the held-out rates. tpr z, fpr z: "
            "calibration rate less held-out rate, in standard errors. Bias: ACC's mean signed error. "
            "Remedies where a model score exists: Forman's threshold choices X, MAX, T50 and MS on "
            "the calibration scores; PACC; BLEND, ACC and PACC weighted by the inverses of their "
            "estimated variances (transforms.quantify.blended). No label of a subset is used by any.",
            "",
            "### Where the error comes from",
            "",
            *decomposition_lines(rows),
            "",
            *row_table(rows),
            "",
            "### Remedies",
            "",
            *method_lines(rows),
            "",
            *score_row_lines(rows),
            "",
            "### The floor on tpr - fpr, rows reported both ways",
            "",
            *floor_lines(rows),
        ]
    )


def main() -> None:
    args = pv.arguments(__doc__)
    if not args.datasets.is_dir():
        print(f"skipped: no datasets directory at {args.datasets}", file=sys.stderr)
        return
    settings = load_settings(ROOT / "benchmarks" / ".data" / "prevalence-settings")
    markers = load_markers()
    rng = np.random.default_rng(pv.SEED)
    rows = []
    for name, (calib, _) in pv.SETS.items():
        if not all((args.datasets / f).is_file() for f in calib):
            print(f"skipped {name}: not in {args.datasets}", file=sys.stderr)
            continue
        rows += analyse_set(name, args, settings, markers, rng)
    text = report(rows, args)
    print(text)
    write_section("prevalence-error", text)


if __name__ == "__main__":
    main()
