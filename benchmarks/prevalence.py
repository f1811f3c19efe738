"""Does correcting for marker error bring the published share closer to the truth?

    PYTHONPATH=$PWD .venv/bin/python benchmarks/prevalence.py [--datasets DIR] [--draws 50]
        [--size 1000] [--calibration-rows 1000]

For each shared labelled set with columns named after our markers (or standing for one as a
proxy, benchmarks/marker_sets.py `proxies`: irf_reddit_en's thwarted belongingness for
loneliness): rates are measured as `moodcast markers calibrate` measures them
(moodcast.calibration.measure_rates: the marker's rule under the default settings, and the
mean and variance of a per-post score on the labelled positives and negatives: its model
probability where it has a model source that separates them, else the lexicon's graded score,
transforms.quantify.lexicon_score) on a seeded random sample of at most `--calibration-rows` posts of the
set's train/dev part (a seeded half of the file when it has no split). On the held-out part
(test split, or the other half), `--draws` subsets of `--size` posts per true prevalence (5%,
10%, 20%, 40%) are drawn with replacement from its labelled positives and negatives (seed
fixed), and adjusted as `moodcast markers evaluate` adjusts a labelled file
(transforms.quantify.with_adjusted_prevalence on the subset's counts and score sums):
ACC alone, BLEND with the model probability's statistics alone and with the lexicon score's
alone, and what `evaluate` publishes (BLEND of ACC and PACC on the recorded score where it
separates, else ACC). Each is compared with the subset's true share, beside the
raw flagged share: mean absolute error, and how often the 95% interval covers the truth. Only
markers whose rates are `validated` get an adjusted share; the others are listed with their
status. The bar: published MAE <= 0.03 and at most half the raw MAE. Results go to
benchmarks/RESULTS.md (`prevalence` section). Skips with a message when the datasets
directory is absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.prevalence_protocol import (  # noqa: E402
    MIN_HELD_OUT,
    PREVALENCES,
    SEED,
    SETS,
    arguments,
    scored_posts,
)
from benchmarks.results import write_section  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.quantify import (  # noqa: E402
    ADJUSTED_COLUMNS,
    LEXICON_SOURCE,
    SCORE_SUMS,
    adjusted,
    lexicon_score,
    separates,
    with_adjusted_prevalence,
)
from transforms.rates import conform_rates  # noqa: E402
from transforms.validation import VALIDATED  # noqa: E402

EXPECTED_ABS = (2 / np.pi) ** 0.5
"""Mean absolute value of a normal error per unit of its standard deviation."""

CAPS = (2, 3)
"""The caps of the lexicon's term count compared on the calibration parts (`cap_choice`)."""

SCORES = ("prob", "lexicon")
"""The per-post scores of `scored_posts`: the model probability and the lexicon's graded score."""


def draws(
    gold: np.ndarray, hit: np.ndarray, scores: dict[str, np.ndarray], *, size: int, count: int, rng
) -> pl.DataFrame:
    """`count` subsets of `size` per true prevalence, drawn with replacement from the labelled
    positives and negatives: `prevalence` (target), `truth`, `flagged` (share), and the cell a
    run or `markers evaluate` would publish for it: `n_authors`, `n_marked_authors` and, per
    score of `scores` (name → per-post array, NaN where there is none), its sum and sum of
    squares as `<name>_sum`, `<name>_sq_sum` (null where a post has no score)."""
    positives, negatives = np.flatnonzero(gold), np.flatnonzero(~gold)
    rows = []
    for target in PREVALENCES:
        n_pos = round(target * size)
        for _ in range(count):
            drawn = np.concatenate(
                [rng.choice(positives, n_pos), rng.choice(negatives, size - n_pos)]
            )
            marked = int(hit[drawn].sum())
            sums = [(s[drawn].sum(), (s[drawn] ** 2).sum()) for s in scores.values()]
            rows.append((target, n_pos / size, marked / size, size, marked, *np.ravel(sums)))
    names = [f"{name}_{kind}" for name in scores for kind in ("sum", "sq_sum")]
    return pl.DataFrame(
        rows,
        schema=["prevalence", "truth", "flagged", "n_authors", "n_marked_authors", *names],
        orient="row",
    ).with_columns(pl.col(names).fill_nan(None))


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
            {s: held.get_column(s).fill_null(np.nan).to_numpy() for s in SCORES},
            size=args.size,
            count=args.draws,
            rng=rng,
        )
        calibration = mine.filter(pl.col("part") == "calibration")
        found.append(row | errors(subsets, rate, args.size) | cap_choice(calibration, args.size))
    return found


def cap_choice(calibration: pl.DataFrame, size: int, *, share: float = 0.2) -> dict:
    """`cap_<c>_sd` for each of CAPS: the standard deviation that transforms.quantify.adjusted
    predicts for PACC on `lexicon_score(count, cap=c)` at a true `share` in a cell of `size`,
    from the statistics of the calibration posts alone (`gold`, `count`); null where that score
    does not separate. The cap is chosen on these, never on the held-out draws."""
    gold = calibration.get_column("gold")
    found = {}
    for cap in CAPS:
        scores = calibration.select(lexicon_score(pl.col("count"), cap=cap)).to_series()
        pos, neg = scores.filter(gold), scores.filter(~gold)
        if scores.null_count() or not pos.mean() > neg.mean():
            found[f"cap_{cap}_sd"] = None
            continue
        youden, spreads = pos.mean() - neg.mean(), (pos.var(ddof=0), neg.var(ddof=0))
        mixed = share * spreads[0] + (1 - share) * spreads[1] + share * (1 - share) * youden**2
        _, variance = adjusted(
            pl.lit(neg.mean() + share * youden), pl.lit(size), pl.lit(pos.mean()),
            pl.lit(neg.mean()), pl.lit(pos.len()), pl.lit(neg.len()),
            spreads=(pl.lit(mixed), *map(pl.lit, spreads)),
        )  # fmt: skip
        found[f"cap_{cap}_sd"] = pl.select(variance.sqrt()).item()
    return found


def errors(subsets: pl.DataFrame, rate: dict, size: int) -> dict:
    """The raw share's mean absolute error over `subsets`; for validated rates also, with
    their interval coverage, that of ACC, of what `markers evaluate` publishes
    (`published`: transforms.quantify.with_adjusted_prevalence of each subset's cell, with the
    sums of the score that the rates' statistics were measured on), of the same with the model
    probability's statistics alone (`previous`, before the lexicon score) and with the
    lexicon score's alone (`lexicon`, in place of the model's), and the error ACC predicts
    from these rates."""
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
    cells = subsets.with_row_index("day").with_columns(
        pl.lit("all").alias("region"),
        pl.lit(rate["lang"]).alias("lang"),
        pl.lit(rate["marker"]).alias("marker"),
        pl.lit(rate["marker_version"]).alias("marker_version"),
    )
    sums = [f"{s}_{kind}" for s in SCORES for kind in ("sum", "sq_sum")]

    def summed(score: str) -> pl.DataFrame:
        return cells.with_columns(
            pl.col(f"{score}_sum").alias(SCORE_SUMS[0]),
            pl.col(f"{score}_sq_sum").alias(SCORE_SUMS[1]),
        ).drop(sums)

    def rows(row: dict) -> pl.DataFrame:
        return conform_rates(pl.DataFrame([row]).select(row.keys() - {"validation", "variants"}))

    published = rows(rate)
    scored = published.select(separates().fill_null(False)).item()
    estimates = {
        "acc": (cells.drop(sums), published),
        "published": (
            summed("lexicon" if rate["score_source"] == LEXICON_SOURCE else "prob"),
            published,
        ),
        "previous": (summed("prob"), rows(rate["variants"]["model"])),
        "lexicon": (summed("lexicon"), rows(rate["variants"]["lexicon"])),
    }
    found = {
        "raw_mae": raw_mae,
        "estimator": ("lexicon blend" if rate["score_source"] == LEXICON_SOURCE else "blend")
        if scored
        else "acc",
        "expected_mae": subsets.select((EXPECTED_ABS * floor.sqrt()).mean()).item(),
    }
    theta, lo, hi = (pl.col(c) for c in ADJUSTED_COLUMNS)
    for name, (frame, rates) in estimates.items():
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
        "mean and variance of a per-post score on the labelled positives and negatives: the "
        "marker's model probability where it has a model source in the language (the default "
        "config's zero-shot source on the English model, or a trained head) and that "
        "probability is higher on the positives, else the lexicon's graded score "
        "(transforms.quantify.lexicon_score: the count of the marker's terms, capped at 2, "
        "over 2); then, on the held-out part, "
        f"{args.draws} subsets of {args.size} posts per true prevalence "
        f"({', '.join(f'{p:.0%}' for p in PREVALENCES)}), drawn with replacement from its "
        "labelled positives and negatives, each adjusted as `moodcast markers evaluate` "
        "adjusts a file (transforms.quantify.with_adjusted_prevalence on the subset's counts "
        "and the sums of the score the rates' statistics were measured on). "
        "ACC: the adjusted flagged share alone; model-only and lexicon-only: BLEND with the "
        "statistics of that score alone (model-only is what `markers evaluate` published "
        "before the lexicon score); published: what `markers evaluate` reports, BLEND (ACC "
        "and PACC weighted by the inverses of their variances, transforms.quantify.blended) "
        "where the recorded score's mean is higher on the positives than on the negatives "
        "(estimator `blend` on the model probability, `lexicon blend` on the lexicon score; "
        "transforms.quantify.separates), else ACC. MAE: mean absolute "
        "error against the subset's true share; coverage: share of subsets whose 95% interval holds it. Bar: published MAE ≤ "
        "0.03 and ≤ half the raw MAE. Markers whose rates are not validated get no adjusted "
        "share (their status is shown instead). Expected MAE: the error ACC itself predicts "
        "from these rates (the delta-method standard deviation of "
        "transforms.quantify.adjusted at each true share, × √(2/π)).",
        "",
        "| set | marker | lang | calib pos/neg | tpr | fpr | status | raw MAE | ACC MAE "
        "| expected MAE | ACC coverage | model-only MAE | lexicon-only MAE | estimator "
        "| published MAE | published coverage | bar |",
        "| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: "
        "| --- | ---: | ---: | --- |",
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
            f"| {_num(r.get('acc_coverage'), 2)} | {_num(r.get('previous_mae'))} "
            f"| {_num(r.get('lexicon_mae'))} | {r.get('estimator', '—')} "
            f"| {_num(r.get('published_mae'))} | {_num(r.get('published_coverage'), 2)} "
            f"| {_bar(r, 'published')} |"
        )
    return "\n".join([*lines, "", *summary(rows, args)])


def _met(row: dict, name: str) -> bool:
    mae = row.get(f"{name}_mae")
    return mae is not None and mae <= 0.03 and mae <= row["raw_mae"] / 2


def _bar(row: dict, name: str) -> str:
    return "—" if row.get(f"{name}_mae") is None else "met" if _met(row, name) else "missed"


def summary(rows: list[dict], args) -> list[str]:
    """Over the validated rows: raw, ACC, model-only, lexicon-only and published MAE and
    coverage, rows meeting the bar, and the published share against ACC and the model-only
    BLEND on the rows of each estimator."""
    scored = [r for r in rows if r.get("acc_mae") is not None]
    lines = [f"{len(rows)} set × marker × language rows; {len(scored)} validated."]
    if not scored:
        return lines
    raw = np.mean([r["raw_mae"] for r in scored])
    expected = [r["expected_mae"] for r in scored]
    for name, label in (
        ("acc", "ACC"),
        ("previous", "BLEND with the model probability only (published before the lexicon score)"),
        ("lexicon", "BLEND with the lexicon score only (in place of the model's)"),
        ("published", "Published (`markers evaluate`)"),
    ):
        mae = np.mean([r[f"{name}_mae"] for r in scored])
        lines.append(
            f"{label} over the {len(scored)} validated rows: MAE {mae:.4f} against raw "
            f"{raw:.4f} ({mae / raw:.2f} of raw), interval coverage "
            f"{np.mean([r[f'{name}_coverage'] for r in scored]):.2f}; "
            f"{sum(_met(r, name) for r in scored)} rows meet the bar."
        )
    for estimator in ("blend", "lexicon blend"):
        mine = [r for r in scored if r["estimator"] == estimator]
        if mine:
            lines.append(
                f"On the {len(mine)} rows published by {estimator}: MAE "
                f"{np.mean([r['published_mae'] for r in mine]):.4f} against ACC's "
                f"{np.mean([r['acc_mae'] for r in mine]):.4f} (better in "
                f"{sum(r['published_mae'] < r['acc_mae'] for r in mine)}) and the model-only "
                f"BLEND's {np.mean([r['previous_mae'] for r in mine]):.4f}."
            )
    caps = ", ".join(
        f"cap {cap} {np.mean([r[f'cap_{cap}_sd'] for r in scored if r[f'cap_{cap}_sd'] is not None]):.4f}"
        f" ({sum(r[f'cap_{cap}_sd'] is not None for r in scored)} rows)"
        for cap in CAPS
    )
    lines.append(
        "Lexicon cap, chosen on the calibration parts alone: PACC's predicted standard "
        f"deviation at a true share of 20% in a cell of {args.size}, mean over the validated "
        f"rows where that score separates: {caps}."
    )
    lines.append(
        f"Expected MAE of ACC {np.mean(expected):.3f}, at most 0.03 in "
        f"{sum(e <= 0.03 for e in expected)} rows."
    )
    return lines


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


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
