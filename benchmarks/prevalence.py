"""Does correcting for marker error bring the published share closer to the truth?

    PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence.py [--datasets DIR] [--draws 50]
        [--size 1000] [--calibration-rows 1000]

For each shared labelled set with columns named after our markers (or standing for one as a
proxy, benchmarks/marker_sets.py `proxies`: irf_reddit_en's thwarted belongingness for
loneliness): rates are measured as
`moodcast markers calibrate` measures them (transforms.rates, the marker's rule under the
default settings) on a seeded random sample of at most `--calibration-rows` posts of the set's
train/dev part (a seeded half of the file when it has no split). On the held-out part (test
split, or the other half), `--draws` subsets of `--size` posts per true prevalence (5%, 10%,
20%, 40%) are drawn with replacement from its labelled positives and negatives (seed fixed),
and the raw flagged share and the adjusted share (transforms.quantify) are compared with the
subset's true share: mean absolute error of each, and how often the adjusted 95% interval
covers the truth. Only markers whose rates are `validated` get an adjusted share (the others
are published without one); they are listed with their status. The bar: adjusted MAE <= 0.03
and at most half the raw MAE. Results go to benchmarks/RESULTS.md (`prevalence` section).
Skips with a message when the datasets directory is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.calibration import measure_rates  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from moodcast.training import label_frame  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import (  # noqa: E402
    classify,
    model_languages,
    score_probability,
)
from transforms.quantify import (  # noqa: E402
    VALIDATED,
    adjusted,
    blended,
    interval,
    rates_status,
)

DATASETS = Path(os.environ.get("MOODCAST_DATASETS", "/work/shared/datasets"))
PREVALENCES = (0.05, 0.10, 0.20, 0.40)
HELD_OUT_ROWS = 5000
MIN_HELD_OUT = 20
SEED = 0
EXPECTED_ABS = (2 / np.pi) ** 0.5
"""Mean absolute value of a normal error per unit of its standard deviation."""

SETS = {
    "covidemo_en": (("covidemo_en_dev.csv",), ("covidemo_en_test.csv",)),
    "semeval2018_ec_es": (
        ("semeval2018_ec_es_train.csv", "semeval2018_ec_es_dev.csv"),
        ("semeval2018_ec_es_test.csv",),
    ),
    "xed_en": (("xed_en.csv",), None),
    "xed_es": (("xed_es.csv",), None),
    "isear_en": (("isear_en.csv",), None),
    "rmhd27_reddit_en": (("rmhd27_reddit_en.csv",), None),
    "sad_stress_en": (("sad_stress_en.csv",), None),
    "valeriano_suicide_es": (("valeriano_suicide_es.csv",), None),
    "mentai_instagram_es": (("mentai_instagram_es.csv",), None),
    "irf_reddit_en": (
        ("irf_reddit_en_train.csv", "irf_reddit_en_val.csv"),
        ("irf_reddit_en_test.csv",),
    ),
}
"""Set → (calibration files, held-out files); None: a seeded half of the calibration file."""


def parts(datasets: Path, name: str):
    """(calibration part, held-out part, path of the first calibration file) of set `name` as raw
    frames, a proxy label column renamed after the marker it stands for."""
    calib, held = SETS[name]
    proxies = next((s.proxies for s in ms.SETS if s.name == name), {})
    renames = {column: marker for marker, column in proxies.items()}
    calib_frame, held_frame, source = _parts(datasets, calib, held)
    return calib_frame.rename(renames), held_frame.rename(renames), source


def _parts(datasets: Path, calib: tuple[str, ...], held: tuple[str, ...] | None):
    read = [pl.read_csv(datasets / name, infer_schema=False) for name in calib]
    frame = pl.concat(read, how="diagonal")
    if held is not None:
        other = pl.concat(
            [pl.read_csv(datasets / name, infer_schema=False) for name in held], how="diagonal"
        )
        return frame, other, datasets / calib[0]
    shuffled = frame.sample(fraction=1.0, seed=SEED, shuffle=True)
    half = shuffled.height // 2
    return shuffled.head(half), shuffled.slice(half), datasets / calib[0]


def draws(
    gold: np.ndarray, hit: np.ndarray, prob: np.ndarray, *, size: int, count: int, rng
) -> pl.DataFrame:
    """`count` subsets of `size` per true prevalence, drawn with replacement from the labelled
    positives and negatives: `prevalence` (target), `truth`, `flagged` (share), `mean_prob`
    and `var_prob` (mean and variance of the model probability, NaN where the marker has
    none)."""
    positives, negatives = np.flatnonzero(gold), np.flatnonzero(~gold)
    rows = []
    for target in PREVALENCES:
        n_pos = round(target * size)
        for _ in range(count):
            drawn = np.concatenate(
                [rng.choice(positives, n_pos), rng.choice(negatives, size - n_pos)]
            )
            scores = prob[drawn]
            rows.append((target, n_pos / size, hit[drawn].mean(), scores.mean(), scores.var()))
    return pl.DataFrame(
        rows, schema=["prevalence", "truth", "flagged", "mean_prob", "var_prob"], orient="row"
    )


def probabilities(frame: pl.DataFrame, labelled: list[str], markers, config) -> pl.DataFrame:
    """Each labelled marker's model score of each post of `frame` in 0-1
    (transforms.model_markers.score_probability), NaN where it has no model source in the
    post's language."""
    modelled = {m: markers[m] for m in labelled if model_languages(markers[m], config)}
    found = frame.with_columns(pl.lit(np.nan).alias(m) for m in labelled).select(labelled)
    if not modelled:
        return found
    scores = classify(frame, modelled, config=config, source="model").with_columns(
        frame.get_column("lang")
    )
    return found.with_columns(
        scores.select(
            score_probability(marker, model_languages(marker, config)).fill_null(np.nan)
            for marker in modelled.values()
        ).get_columns()
    )


def scored_posts(name: str, args, settings, markers) -> tuple[pl.DataFrame, dict]:
    """The posts of set `name` that the protocol uses, reduced to numbers: one row per post
    and labelled marker of the calibration sample (`part` "calibration") and of the held-out
    part (`part` "held-out", at most HELD_OUT_ROWS), with `marker`, `lang`, `gold`, `hit`
    (the rule's decision; null where the marker has no source in the language) and `prob`
    (the model probability, NaN where it has none); and the rates measured on the calibration
    sample (transforms.rates, with `validation`), keyed by (marker, lang). Cached in
    benchmarks/.data by set, sizes and marker versions (no text is kept)."""
    calib, held, source = parts(args.datasets, name)
    labelled = [m for m in markers if m in calib.columns and m in held.columns]
    if not labelled:
        return pl.DataFrame(), {}
    sample = calib.sample(min(args.calibration_rows, calib.height), seed=SEED, shuffle=True)
    calib_frame = label_frame(sample, text_col="text", label_cols=labelled)
    rates = measure_rates(calib_frame, markers, config=settings.model_config, source=source)
    rates = rates.join(rates_status(rates), on=["marker", "lang"])
    key = "-".join([name, str(args.calibration_rows), *(markers[m].version[:8] for m in labelled)])
    cache = ROOT / "benchmarks" / ".data" / "prevalence-posts" / f"{key}.parquet"
    if cache.is_file():
        posts = pl.read_parquet(cache)
    else:
        held = held.sample(min(HELD_OUT_ROWS, held.height), seed=SEED, shuffle=True)
        held_frame = label_frame(held, text_col="text", label_cols=labelled)
        posts = pl.concat(
            [
                _long(part, frame, labelled, markers, settings.model_config)
                for part, frame in (("calibration", calib_frame), ("held-out", held_frame))
            ]
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        posts.write_parquet(cache)
    return posts, {(r["marker"], r["lang"]): r for r in rates.iter_rows(named=True)}


def _long(part: str, frame: pl.DataFrame, labelled: list[str], markers, config) -> pl.DataFrame:
    """`part, marker, lang, gold, hit, prob` of every post of `frame` and labelled marker."""
    hits = classify(frame, {m: markers[m] for m in labelled}, config=config)
    probs = probabilities(frame, labelled, markers, config)
    return pl.concat(
        pl.DataFrame(
            {
                "part": part,
                "marker": marker,
                "lang": frame.get_column("lang"),
                "gold": frame.get_column(marker) == 1,
                "hit": hits.get_column(marker),
                "prob": probs.get_column(marker).cast(pl.Float64),
            }
        )
        for marker in labelled
    )


def evaluate_set(name: str, args, settings, markers) -> list[dict]:
    """One row per marker labelled in the set: its calibration, status and errors."""
    posts, rates = scored_posts(name, args, settings, markers)
    rng = np.random.default_rng(SEED)
    found = []
    for (marker, lang), rate in rates.items():
        mine = posts.filter(
            (pl.col("marker") == marker) & (pl.col("lang") == lang) & pl.col("hit").is_not_null()
        )
        held = mine.filter(pl.col("part") == "held-out")
        gold = held.get_column("gold").to_numpy()
        row = {
            "set": name,
            "marker": marker,
            **rate,
            "held_pos": int(gold.sum()),
            "held_neg": int((~gold).sum()),
        }
        if min(row["held_pos"], row["held_neg"]) < MIN_HELD_OUT:
            found.append(row | {"validation": "held-out part too small"})
            continue
        calib = posts.filter(
            (pl.col("marker") == marker)
            & (pl.col("lang") == lang)
            & (pl.col("part") == "calibration")
        )
        subsets = draws(
            gold,
            held.get_column("hit").to_numpy(),
            held.get_column("prob").to_numpy(),
            size=args.size,
            count=args.draws,
            rng=rng,
        )
        found.append(
            row
            | errors(subsets, rate, args.size)
            | pacc_errors(
                subsets,
                rate,
                calib.get_column("gold").to_numpy(),
                calib.get_column("prob").to_numpy(),
                args.size,
            )
        )
    return found


def errors(subsets: pl.DataFrame, rate: dict, size: int) -> dict:
    """Raw and adjusted mean absolute errors over `subsets`, and the adjusted interval's
    coverage (adjusted figures only for validated rates)."""
    raw_mae = subsets.select((pl.col("flagged") - pl.col("truth")).abs().mean()).item()
    if rate["validation"] != VALIDATED:
        return {"raw_mae": raw_mae}
    theta, variance = acc(rate, size)
    lo, hi = interval(theta, variance)
    _, floor = adjusted(
        pl.col("truth") * rate["tpr"] + (1 - pl.col("truth")) * rate["fpr"],
        pl.lit(size),
        pl.lit(rate["tpr"]),
        pl.lit(rate["fpr"]),
        pl.lit(rate["tp"] + rate["fn"]),
        pl.lit(rate["fp"] + rate["tn"]),
    )
    scored = subsets.select(
        (theta - pl.col("truth")).abs().mean().alias("adjusted_mae"),
        ((lo <= pl.col("truth")) & (hi >= pl.col("truth"))).mean().alias("coverage"),
        (EXPECTED_ABS * floor.sqrt()).mean().alias("expected_mae"),
    ).row(0, named=True)
    return {"raw_mae": raw_mae, **scored}


def acc(rate: dict, size: int) -> tuple[pl.Expr, pl.Expr]:
    """ACC's estimate and variance of each subset's flagged share under `rate`."""
    return adjusted(
        pl.col("flagged"),
        pl.lit(size),
        pl.lit(rate["tpr"]),
        pl.lit(rate["fpr"]),
        pl.lit(rate["tp"] + rate["fn"]),
        pl.lit(rate["fp"] + rate["tn"]),
    )


def pacc_errors(
    subsets: pl.DataFrame, rate: dict, gold: np.ndarray, prob: np.ndarray, size: int
) -> dict:
    """For validated rates of a marker with a model score in the language (else {}): PACC's
    mean absolute error and interval coverage over `subsets` (the mean probability corrected
    by its means on the calibration positives and negatives, `gold` and `prob`; variance from
    the measured spreads of the scores), and the same for their blend by inverse variance
    (transforms.quantify.blended: `blend_mae`, `blend_coverage`)."""
    if rate["validation"] != VALIDATED or np.isnan(prob).any() or not len(prob):
        return {}
    tpr, fpr = float(prob[gold].mean()), float(prob[~gold].mean())
    theta, variance = adjusted(
        pl.col("mean_prob"),
        pl.lit(size),
        pl.lit(tpr),
        pl.lit(fpr),
        pl.lit(int(gold.sum())),
        pl.lit(int((~gold).sum())),
        spreads=(pl.col("var_prob"), pl.lit(prob[gold].var()), pl.lit(prob[~gold].var())),
    )
    blend, blend_variance = blended(acc(rate, size), (theta, variance))
    found = {"pacc_tpr": tpr, "pacc_fpr": fpr}
    for name, estimate, spread in (("pacc", theta, variance), ("blend", blend, blend_variance)):
        lo, hi = interval(estimate, spread)
        found |= subsets.select(
            (estimate - pl.col("truth")).abs().mean().alias(f"{name}_mae"),
            ((lo <= pl.col("truth")) & (hi >= pl.col("truth"))).mean().alias(f"{name}_coverage"),
        ).row(0, named=True)
    return found


def report(rows: list[dict], args) -> str:
    """The RESULTS.md section: command, protocol, per set × marker table, summary."""
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence.py "
        f"--draws {args.draws} --size {args.size} --calibration-rows {args.calibration_rows}`",
        "",
        f"Rates measured on a seeded random sample of at most {args.calibration_rows} labelled posts "
        "of each set's train/dev part (a seeded half when the set has no split), with each marker's "
        "rule under the default settings; then, on the held-out part, "
        f"{args.draws} subsets of {args.size} posts per true prevalence "
        f"({', '.join(f'{p:.0%}' for p in PREVALENCES)}), drawn with replacement from its "
        "labelled positives and negatives. MAE: mean absolute error of the share against the "
        "subset's true share; coverage: share of subsets whose adjusted 95% interval holds the "
        "true share. Bar: adjusted MAE ≤ 0.03 and ≤ half the raw MAE. Markers whose rates are "
        "not validated get no adjusted share (their status is shown instead). Expected MAE: "
        "the error ACC itself predicts from these rates (the delta-method standard deviation "
        "of transforms.quantify.adjusted at each true share, × √(2/π)): the error left by "
        "rates measured on this many labels, whatever the estimator does with them. PACC "
        "(validated rows of markers with a model score in the language): the mean model "
        "probability of the subset corrected by its means on the calibration positives and "
        "negatives (`pacc tpr/fpr`), its variance from the measured spread of the scores "
        "(transforms.quantify.adjusted `spreads`); blend: ACC and PACC weighted by the "
        "inverses of their estimated variances (transforms.quantify.blended; no label of the "
        "subset used).",
        "",
        "| set | marker | lang | calib pos/neg | tpr | fpr | status | raw MAE | adjusted MAE "
        "| expected MAE | coverage | bar | pacc tpr/fpr | PACC MAE | PACC coverage "
        "| blend MAE | blend coverage |",
        "| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- "
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    met = validated = 0
    for r in rows:
        adjusted_mae = r.get("adjusted_mae")
        ok = adjusted_mae is not None and adjusted_mae <= 0.03 and adjusted_mae <= r["raw_mae"] / 2
        validated += adjusted_mae is not None
        met += ok
        status = (
            "validated"
            if r["validation"] == VALIDATED
            else r["validation"].removeprefix("not validated: ")
        )
        lines.append(
            f"| {r['set']} | {r['marker']} | {r['lang']} | {r['tp'] + r['fn']}/{r['fp'] + r['tn']} "
            f"| {r['tpr']:.3f} | {r['fpr']:.3f} | {status} | {_num(r.get('raw_mae'))} "
            f"| {_num(adjusted_mae)} | {_num(r.get('expected_mae'))} | {_num(r.get('coverage'), 2)} | "
            f"{'met' if ok else '—' if adjusted_mae is None else 'missed'} | "
            + (f"{r['pacc_tpr']:.3f}/{r['pacc_fpr']:.3f}" if "pacc_tpr" in r else "—")
            + f" | {_num(r.get('pacc_mae'))} | {_num(r.get('pacc_coverage'), 2)} "
            f"| {_num(r.get('blend_mae'))} | {_num(r.get('blend_coverage'), 2)} |"
        )
    scored = [r for r in rows if r.get("adjusted_mae") is not None]
    lines += [
        "",
        f"{len(rows)} set × marker × language rows; {validated} validated, of which {met} meet the bar.",
    ]
    if scored:
        raw = np.mean([r["raw_mae"] for r in scored])
        adj = np.mean([r["adjusted_mae"] for r in scored])
        cov = np.mean([r["coverage"] for r in scored])
        expected = [r["expected_mae"] for r in scored]
        lines.append(
            f"Over the validated rows: raw MAE {raw:.3f}, adjusted MAE {adj:.3f} "
            f"({adj / raw:.2f} of raw), interval coverage {cov:.2f}; expected MAE "
            f"{np.mean(expected):.3f}, at most 0.03 in {sum(e <= 0.03 for e in expected)} rows."
        )
    lines += pacc_summary(scored)
    return "\n".join(lines)


def pacc_summary(scored: list[dict]) -> list[str]:
    """ACC against PACC on the validated rows that have both, and the rule `PACC where a
    model score exists, else ACC` over every validated row."""
    both = [r for r in scored if r.get("pacc_mae") is not None]
    if not both:
        return []
    lines = [
        f"PACC on the {len(both)} validated rows with a model score: MAE "
        f"{np.mean([r['pacc_mae'] for r in both]):.3f} against ACC's "
        f"{np.mean([r['adjusted_mae'] for r in both]):.3f} on the same rows, coverage "
        f"{np.mean([r['pacc_coverage'] for r in both]):.2f} (ACC's "
        f"{np.mean([r['coverage'] for r in both]):.2f})."
    ]
    for name, label in (("pacc", "PACC"), ("blend", "the blend of ACC and PACC")):
        chosen = [r[f"{name}_mae"] if r in both else r["adjusted_mae"] for r in scored]
        coverage = [r[f"{name}_coverage"] if r in both else r["coverage"] for r in scored]
        met = sum(c <= 0.03 and c <= r["raw_mae"] / 2 for c, r in zip(chosen, scored, strict=True))
        lines.append(
            f"With {label} where a model score exists and ACC elsewhere: MAE "
            f"{np.mean(chosen):.3f} over the {len(scored)} validated rows, coverage "
            f"{np.mean(coverage):.2f}, {met} meet the bar."
        )
    return lines


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def arguments(doc: str) -> argparse.Namespace:
    """The command line of this protocol (datasets, draws, subset size, calibration rows), with
    `doc`'s first paragraph as its description."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--calibration-rows", type=int, default=1000)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__)
    if not args.datasets.is_dir():
        print(f"skipped: no datasets directory at {args.datasets}", file=sys.stderr)
        return
    settings = load_settings(ROOT / "benchmarks" / ".data" / "prevalence-settings")
    markers = load_markers()
    rows = []
    for name, (calib, _) in SETS.items():
        if not all((args.datasets / f).is_file() for f in calib):
            print(f"skipped {name}: not in {args.datasets}", file=sys.stderr)
            continue
        found = evaluate_set(name, args, settings, markers)
        print(f"{name}: {len(found)} marker × language rows", file=sys.stderr)
        rows += found
    dump = ROOT / "benchmarks" / ".data" / "prevalence-rows.json"
    dump.parent.mkdir(parents=True, exist_ok=True)
    dump.write_text(json.dumps(rows, default=str))
    text = report(rows, args)
    print(text)
    write_section("prevalence", text)


if __name__ == "__main__":
    main()
