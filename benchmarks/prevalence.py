"""Does correcting for marker error bring the published share closer to the truth?

    PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence.py [--datasets DIR] [--draws 50]
        [--size 1000] [--calibration-rows 1000]

For each shared labelled set with columns named after our markers (or standing for one as a
proxy, benchmarks/marker_sets.py `proxies`: irf_reddit_en's thwarted belongingness for
loneliness): rates are measured as `moodcast markers calibrate` measures them
(moodcast.calibration.measure_rates: the marker's rule under the default settings, and the
mean and variance of its model probability on the labelled positives and negatives where it
has a model source) on a seeded random sample of at most `--calibration-rows` posts of the
set's train/dev part (a seeded half of the file when it has no split). On the held-out part
(test split, or the other half), `--draws` subsets of `--size` posts per true prevalence (5%,
10%, 20%, 40%) are drawn with replacement from its labelled positives and negatives (seed
fixed), and adjusted as `moodcast markers evaluate` adjusts a labelled file
(transforms.quantify.with_adjusted_prevalence on the subset's counts and probability sums):
ACC alone, and what `evaluate` publishes (BLEND of ACC and PACC where the rates hold the
probability statistics, else ACC). Each is compared with the subset's true share, beside the
raw flagged share: mean absolute error, and how often the 95% interval covers the truth. Only
markers whose rates are `validated` get an adjusted share; the others are listed with their
status. The bar: published MAE <= 0.03 and at most half the raw MAE. Results go to
benchmarks/RESULTS.md (`prevalence` section). Skips with a message when the datasets
directory is absent.
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
from moodcast.calibration import measure_rates, score_probabilities  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from moodcast.training import label_frame  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import classify  # noqa: E402
from transforms.quantify import (  # noqa: E402
    ADJUSTED_COLUMNS,
    SCORE_SUMS,
    VALIDATED,
    adjusted,
    rates_status,
    separates,
    with_adjusted_prevalence,
)
from transforms.rates import conform_rates  # noqa: E402

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
    positives and negatives: `prevalence` (target), `truth`, `flagged` (share), and the cell a
    run or `markers evaluate` would publish for it: `n_authors`, `n_marked_authors` and the
    SCORE_SUMS of the model probability (null where the marker has none)."""
    positives, negatives = np.flatnonzero(gold), np.flatnonzero(~gold)
    rows = []
    for target in PREVALENCES:
        n_pos = round(target * size)
        for _ in range(count):
            drawn = np.concatenate(
                [rng.choice(positives, n_pos), rng.choice(negatives, size - n_pos)]
            )
            scores, marked = prob[drawn], int(hit[drawn].sum())
            rows.append(
                (target, n_pos / size, marked / size, size, marked, scores.sum(), (scores**2).sum())
            )
    return pl.DataFrame(
        rows,
        schema=["prevalence", "truth", "flagged", "n_authors", "n_marked_authors", *SCORE_SUMS],
        orient="row",
    ).with_columns(pl.col(SCORE_SUMS).fill_nan(None))


def scored_posts(name: str, args, settings, markers) -> tuple[pl.DataFrame, dict]:
    """The posts of set `name` that the protocol uses, reduced to numbers: one row per post
    and labelled marker of the calibration sample (`part` "calibration") and of the held-out
    part (`part` "held-out", at most HELD_OUT_ROWS), with `marker`, `lang`, `gold`, `hit`
    (the rule's decision; null where the marker has no source in the language) and `prob`
    (the model probability, NaN where it has none); and the rates measured on the calibration
    sample as `moodcast markers calibrate` measures them (moodcast.calibration.measure_rates,
    with the probability statistics), with `validation`, keyed by (marker, lang). The posts
    are cached in benchmarks/.data by set, sizes and marker versions (no text is kept)."""
    calib, held, source = parts(args.datasets, name)
    labelled = [m for m in markers if m in calib.columns and m in held.columns]
    if not labelled:
        return pl.DataFrame(), {}
    sample = calib.sample(min(args.calibration_rows, calib.height), seed=SEED, shuffle=True)
    calib_frame = label_frame(sample, text_col="text", label_cols=labelled)
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
    posts = posts.with_columns(pl.col("prob").fill_nan(None))
    calibration = posts.filter(pl.col("part") == "calibration")
    probabilities = pl.DataFrame(
        {m: calibration.filter(pl.col("marker") == m).get_column("prob") for m in labelled}
    )
    rates = measure_rates(
        calib_frame,
        markers,
        config=settings.model_config,
        source=source,
        probabilities=probabilities,
    )
    rates = rates.join(rates_status(rates), on=["marker", "lang"])
    return posts, {(r["marker"], r["lang"]): r for r in rates.iter_rows(named=True)}


def _long(part: str, frame: pl.DataFrame, labelled: list[str], markers, config) -> pl.DataFrame:
    """`part, marker, lang, gold, hit, prob` of every post of `frame` and labelled marker."""
    chosen = {m: markers[m] for m in labelled}
    hits = classify(frame, chosen, config=config)
    probs = score_probabilities(frame, chosen, config=config)
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
        subsets = draws(
            gold,
            held.get_column("hit").to_numpy(),
            held.get_column("prob").to_numpy(),
            size=args.size,
            count=args.draws,
            rng=rng,
        )
        found.append(row | errors(subsets, rate, args.size))
    return found


def errors(subsets: pl.DataFrame, rate: dict, size: int) -> dict:
    """The raw share's mean absolute error over `subsets`; for validated rates also ACC's and
    the published estimate's (`markers evaluate`'s: transforms.quantify.with_adjusted_prevalence
    of each subset's cell, with its SCORE_SUMS where `rate` holds the probability statistics)
    with their interval coverage, and the error ACC predicts from these rates."""
    raw_mae = subsets.select((pl.col("flagged") - pl.col("truth")).abs().mean()).item()
    if rate["validation"] != VALIDATED:
        return {"raw_mae": raw_mae}
    _, floor = adjusted(
        pl.col("truth") * rate["tpr"] + (1 - pl.col("truth")) * rate["fpr"],
        pl.lit(size),
        pl.lit(rate["tpr"]),
        pl.lit(rate["fpr"]),
        pl.lit(rate["tp"] + rate["fn"]),
        pl.lit(rate["fp"] + rate["tn"]),
    )
    rates = conform_rates(pl.DataFrame([rate]).drop("validation"))
    cells = subsets.with_row_index("day").with_columns(
        pl.lit("all").alias("region"),
        pl.lit(rate["lang"]).alias("lang"),
        pl.lit(rate["marker"]).alias("marker"),
        pl.lit(rate["marker_version"]).alias("marker_version"),
    )
    scored = pl.DataFrame([rate]).select(separates().fill_null(False)).item()
    found = {
        "raw_mae": raw_mae,
        "estimator": "blend" if scored else "acc",
        "expected_mae": subsets.select((EXPECTED_ABS * floor.sqrt()).mean()).item(),
    }
    for name, frame in (("acc", cells.drop(SCORE_SUMS)), ("published", cells)):
        theta, lo, hi = (pl.col(c) for c in ADJUSTED_COLUMNS)
        found |= (
            with_adjusted_prevalence(frame, rates)
            .select(
                (theta - pl.col("truth")).abs().mean().alias(f"{name}_mae"),
                ((lo <= pl.col("truth")) & (hi >= pl.col("truth")))
                .mean()
                .alias(f"{name}_coverage"),
            )
            .row(0, named=True)
        )
    return found


def report(rows: list[dict], args) -> str:
    """The RESULTS.md section: command, protocol, per set × marker table, summary."""
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence.py "
        f"--draws {args.draws} --size {args.size} --calibration-rows {args.calibration_rows}`",
        "",
        f"Rates measured as `moodcast markers calibrate` measures them "
        "(moodcast.calibration.measure_rates) on a seeded random sample of at most "
        f"{args.calibration_rows} labelled posts of each set's train/dev part (a seeded half "
        "when the set has no split), each marker's rule under the default settings, with the "
        "mean and variance of its model probability on the labelled positives and negatives "
        "where it has a model source in the language (the default config's zero-shot source "
        "on the English model); then, on the held-out part, "
        f"{args.draws} subsets of {args.size} posts per true prevalence "
        f"({', '.join(f'{p:.0%}' for p in PREVALENCES)}), drawn with replacement from its "
        "labelled positives and negatives, each adjusted as `moodcast markers evaluate` "
        "adjusts a file (transforms.quantify.with_adjusted_prevalence on the subset's counts "
        "and, where the rates hold the probability statistics, its probability sums). "
        "ACC: the adjusted flagged share alone; published: what `markers evaluate` reports, "
        "BLEND (ACC and PACC weighted by the inverses of their variances, "
        "transforms.quantify.blended) where the rates hold the probability statistics "
        "and the mean probability is higher on the positives than on the negatives "
        "(estimator `blend`; transforms.quantify.separates), else ACC. MAE: mean absolute "
        "error against the subset's true share; coverage: share of subsets whose 95% interval holds it. Bar: published MAE ≤ "
        "0.03 and ≤ half the raw MAE. Markers whose rates are not validated get no adjusted "
        "share (their status is shown instead). Expected MAE: the error ACC itself predicts "
        "from these rates (the delta-method standard deviation of "
        "transforms.quantify.adjusted at each true share, × √(2/π)).",
        "",
        "| set | marker | lang | calib pos/neg | tpr | fpr | status | raw MAE | ACC MAE "
        "| expected MAE | ACC coverage | estimator | published MAE | published coverage | bar |",
        "| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- "
        "| ---: | ---: | --- |",
    ]
    for r in rows:
        status = (
            "validated"
            if r["validation"] == VALIDATED
            else r["validation"].removeprefix("not validated: ")
        )
        lines.append(
            f"| {r['set']} | {r['marker']} | {r['lang']} | {r['tp'] + r['fn']}/{r['fp'] + r['tn']} "
            f"| {r['tpr']:.3f} | {r['fpr']:.3f} | {status} | {_num(r.get('raw_mae'))} "
            f"| {_num(r.get('acc_mae'))} | {_num(r.get('expected_mae'))} "
            f"| {_num(r.get('acc_coverage'), 2)} | {r.get('estimator', '—')} "
            f"| {_num(r.get('published_mae'))} | {_num(r.get('published_coverage'), 2)} "
            f"| {_bar(r, 'published')} |"
        )
    return "\n".join([*lines, "", *summary(rows)])


def _met(row: dict, name: str) -> bool:
    mae = row.get(f"{name}_mae")
    return mae is not None and mae <= 0.03 and mae <= row["raw_mae"] / 2


def _bar(row: dict, name: str) -> str:
    return "—" if row.get(f"{name}_mae") is None else "met" if _met(row, name) else "missed"


def summary(rows: list[dict]) -> list[str]:
    """Over the validated rows: raw, ACC and published MAE and coverage, rows meeting the bar,
    and ACC against BLEND on the rows where the published share is BLEND."""
    scored = [r for r in rows if r.get("acc_mae") is not None]
    lines = [f"{len(rows)} set × marker × language rows; {len(scored)} validated."]
    if not scored:
        return lines
    raw = np.mean([r["raw_mae"] for r in scored])
    expected = [r["expected_mae"] for r in scored]
    for name, label in (("acc", "ACC"), ("published", "Published (`markers evaluate`)")):
        mae = np.mean([r[f"{name}_mae"] for r in scored])
        lines.append(
            f"{label} over the {len(scored)} validated rows: MAE {mae:.4f} against raw "
            f"{raw:.4f} ({mae / raw:.2f} of raw), interval coverage "
            f"{np.mean([r[f'{name}_coverage'] for r in scored]):.2f}; "
            f"{sum(_met(r, name) for r in scored)} rows meet the bar."
        )
    blend = [r for r in scored if r["estimator"] == "blend"]
    if blend:
        lines.append(
            f"On the {len(blend)} rows published by BLEND: MAE "
            f"{np.mean([r['published_mae'] for r in blend]):.4f} against ACC's "
            f"{np.mean([r['acc_mae'] for r in blend]):.4f}, better in "
            f"{sum(r['published_mae'] < r['acc_mae'] for r in blend)}."
        )
    lines.append(
        f"Expected MAE of ACC {np.mean(expected):.3f}, at most 0.03 in "
        f"{sum(e <= 0.03 for e in expected)} rows."
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
