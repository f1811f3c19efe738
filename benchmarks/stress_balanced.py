"""Stress sources at a balanced base rate, on the two proxies of the issue's Reddit-stress bar.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/stress_balanced.py [--add T ...] [--drop T ...]
        [--write]

The bars of issue 11 for stress (lexicon ≥ 0.72, VADER 0.70; zero-shot ≥ 0.74; heads ≥ 0.78)
are F1 of the stressed class on an outside set of Reddit posts about half of which are
stressed. Our two proxies of it (those of benchmarks/head_sets.py and zero_shot.py):

- `sad_stress`: every row of sad_stress_en's split (95% stressed);
- `rmhd27 a+d`: rmhd27's r/anxiety and r/depression posts (stressed) against its control
  subreddits (about a sixth of them are stressed).

Neither is at half, so each source's F1 is reported at a base rate of one half: recall on the
stressed rows, precision as if stressed and other rows were equally many
(recall / (recall + false-positive rate)). For sad_stress this is what head_sets.stress_view's
balanced sample estimates, from every positive instead of a sample of them.

Sources, on the dev and test splits (benchmarks/marker_sets.py): the shipped lexicon (stress's
own rule: it is `lexicon`), the zero-shot source at its shipped threshold (prototypes alone, as
benchmarks/markers.py runs it), `either` and `both` of the two, and the peers used as
benchmarks/markers.py uses them (VADER compound ≤ -0.05, NRCLex `negative`, Empath
`nervousness`), and with `--add`/`--drop` the lexicon with those English terms added or removed
(`lexicon, edited`: a term change before and after in one run; plain F1 on sad_stress_en as it
is too). Then the zero-shot score at its shipped threshold, at the cut of best mean balanced F1
on the two dev proxies and at the cut benchmarks/markers.py's threshold rule picks on rmhd27's
dev proxy, with ROC AUC and the share of the negatives each cut flags. Texts never leave the
process. `--write` writes the section `stress-balanced` of benchmarks/RESULTS.md. Skips, saying
so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import (  # noqa: E402
    NO_MODEL,
    CachedEncoder,
    capped_best,
    decisions,
    empath,
    model_scores,
    nrclex,
    prf,
    prototypes_only,
    vader,
)
from benchmarks.results import write_section  # noqa: E402
from transforms.embedding import DEFAULT_MODEL  # noqa: E402
from transforms.markers import Marker, load_markers, score  # noqa: E402
from transforms.model_markers import threshold  # noqa: E402

PROXIES = {"sad_stress": "sad_stress_en", "rmhd27 a+d": ms.STRESS_PROXY}
SOURCES = ("lexicon", "zero-shot", "either", "both", "VADER", "NRCLex", "Empath")
EDITED = "lexicon, edited"
"""The row of the lexicon with `--add` and `--drop` applied to its English terms."""


def proxy(name: str, split: str) -> pl.DataFrame:
    """`text, lang, stress` of proxy `name`'s split (PROXIES)."""
    labelled = next(s for s in ms.SETS if s.name == PROXIES[name])
    frame = ms.load_split(labelled, split)
    if labelled.name == ms.STRESS_PROXY:
        frame = ms.stress_rows(frame)
    return frame.select("text", "lang", "stress")


def balanced(gold: np.ndarray, hit: np.ndarray) -> tuple[float, float, float, float]:
    """(precision, recall, F1) of `hit` at a base rate of one half, and its false-positive
    rate: recall on the positives of `gold`, precision as if they were as many as its
    negatives."""
    recall, false_positive_rate = float(hit[gold].mean()), float(hit[~gold].mean())
    precision = recall / (recall + false_positive_rate) if recall else 0.0
    f1 = 2 * precision * recall / (precision + recall) if recall else 0.0
    return precision, recall, f1, false_positive_rate


def edited(marker: Marker, add: Sequence[str], drop: Sequence[str]) -> Marker:
    """`marker` with the English terms `add` added and `drop` removed."""
    terms = [t for t in marker.terms["en"] if t not in drop] + list(add)
    return replace(marker, terms={**marker.terms, "en": tuple(terms)})


def hits_and_scores(
    frame: pl.DataFrame, encoder, variant: Marker | None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each source's stress flags on `frame` (SOURCES; and `lexicon, edited` from `variant`'s
    terms where given), and the zero-shot score."""
    markers = load_markers(names=["stress"])
    prototypes = prototypes_only(markers)
    lexicon = score(frame, markers)
    zero_shot = model_scores(frame, prototypes, encoder)
    found = {
        "lexicon": decisions(frame, lexicon, NO_MODEL, markers, source="lexicon"),
        "zero-shot": decisions(frame, lexicon, zero_shot, prototypes, source="model"),
        "either": decisions(frame, lexicon, zero_shot, prototypes, source=None, rule="either"),
        "both": decisions(frame, lexicon, zero_shot, prototypes, source=None, rule="both"),
        "VADER": vader(frame, ["stress"]),
        "NRCLex": nrclex(frame, ["stress"]),
        "Empath": empath(frame, ["stress"]),
    }
    if variant is not None:
        found[EDITED] = score(frame, {"stress": variant})
    flags = {s: pl.Series(f["stress"]).fill_null(False).to_numpy() for s, f in found.items()}
    return flags, zero_shot.get_column("stress__model").to_numpy()


def chosen_cut(dev: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """The zero-shot cut (scores rounded to 0.01) of best mean balanced F1 over the dev
    proxies `dev` (name → (gold, scores))."""
    cuts = np.unique(np.round(np.concatenate([s for _, s in dev.values()]), 2))
    mean_f1 = [np.mean([balanced(g, s >= c)[2] for g, s in dev.values()]) for c in cuts]
    return float(cuts[int(np.argmax(mean_f1))])


def cell(gold: np.ndarray, hit: np.ndarray) -> str:
    precision, recall, f1, _ = balanced(gold, hit)
    return f"{f1:.3f} ({precision:.2f}/{recall:.2f})"


def render(runs: dict, cuts: dict[str, float], edit: str) -> str:
    """The tables of the section from `runs` ((proxy, split) → (gold, flags, scores)), the
    zero-shot `cuts` (label → cut) and `edit` (what `lexicon, edited` changed, or empty)."""
    from sklearn.metrics import roc_auc_score

    keys = list(runs)
    header = " | ".join(f"{p} {s}" for p, s in keys)
    sources = [*SOURCES, *([EDITED] if edit else [])]
    lines = [
        "Stress F1 at a base rate of one half, F1 (precision/recall)"
        + (f"; `{EDITED}`: {edit}" if edit else "")
        + ":",
        "",
        f"| source | {header} |",
        "|---|" + "---:|" * len(keys),
    ]
    for source in sources:
        cells = [cell(runs[k][0], runs[k][1][source]) for k in keys]
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    lines.append(
        "| stressed rows / other rows | "
        + " | ".join(f"{int(g.sum())} / {int((~g).sum())}" for g, _, _ in runs.values())
        + " |"
    )
    plain = [
        f"{source} " + " / ".join(
            f"{prf(runs['sad_stress', split][0], runs['sad_stress', split][1][source])[2]:.3f}"
            for split in ("dev", "test")
        )
        for source in ("lexicon", *([EDITED] if edit else []))
    ]  # fmt: skip
    lines += [
        "",
        "Plain F1 on sad_stress_en as it is (95% stressed), dev / test: " + "; ".join(plain) + ".",
        "",
        "The zero-shot score at three cuts: the shipped threshold (stress.toml's), the cut of "
        "best mean balanced F1 on the two dev proxies, and the cut `benchmarks/markers.py --choose-thresholds`' rule picks on rmhd27 "
        "a+d dev at its own base rate (F1-optimal among cuts flagging at most twice the true "
        "share); balanced F1 (precision/recall), the share of the negatives each flags, and "
        "ROC AUC:",
        "",
        f"| zero-shot | {header} |",
        "|---|" + "---:|" * len(keys),
    ]
    for label, at in cuts.items():
        cells = [cell(g, s >= at) for g, _, s in runs.values()]
        lines.append(f"| {label} {at:g} | " + " | ".join(cells) + " |")
        rates = [f"{balanced(g, s >= at)[3]:.2f}" for g, _, s in runs.values()]
        lines.append(f"| {label} {at:g}, negatives flagged | " + " | ".join(rates) + " |")
    aucs = [f"{roc_auc_score(g, s):.3f}" for g, _, s in runs.values()]
    lines.append("| ROC AUC | " + " | ".join(aucs) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--add", nargs="*", default=[], help="Terms `lexicon, edited` adds.")
    parser.add_argument("--drop", nargs="*", default=[], help="Terms `lexicon, edited` drops.")
    parser.add_argument("--write", action="store_true", help="Write section stress-balanced.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    stress = load_markers(names=["stress"])["stress"]
    variant = edited(stress, args.add, args.drop) if args.add or args.drop else None
    encoder = CachedEncoder()
    runs = {}
    for split in ("dev", "test"):
        for name in PROXIES:
            frame = proxy(name, split)
            print(f"{name} {split}: {frame.height} rows …", flush=True)
            flags, scores = hits_and_scores(frame, encoder, variant)
            runs[name, split] = (frame.get_column("stress").to_numpy(), flags, scores)
    dev = {n: (runs[n, "dev"][0], runs[n, "dev"][2]) for n in PROXIES}
    cuts = {
        "shipped": threshold(replace(stress, heads={}), "en", DEFAULT_MODEL),
        "balanced dev": chosen_cut(dev),
        "capped rule, rmhd27 dev": capped_best(dev["rmhd27 a+d"][1], dev["rmhd27 a+d"][0])[0],
    }
    edit = " ".join([*(f"+`{t}`" for t in args.add), *(f"-`{t}`" for t in args.drop)])
    body = render(runs, cuts, edit)
    print(body)
    if args.write:
        flags = "".join(
            f" --{k} " + " ".join(f'"{t}"' for t in v)
            for k, v in (("add", args.add), ("drop", args.drop))
            if v
        )
        command = f"PYTHONPATH=$PWD .venv/bin/python benchmarks/stress_balanced.py{flags} --write"
        intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[2:5])
        write_section("stress-balanced", f"Command: `{command}`\n\n{intro}\n\n{body}")


if __name__ == "__main__":
    main()
