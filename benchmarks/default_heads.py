"""The shipped default heads: trained with `moodcast markers train`'s own path on the train split
of public labelled sets whose licence allows shipping what is derived from them, and judged on
their test splits beside the lexicon.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/default_heads.py [--check]

Writes transforms/markers/heads/<lang>/<marker>.head.json (as_shipped: without the fields
loading ignores that the heads were first shipped without) and transforms/markers/heads/
PROVENANCE.md (set, split, rows, date, cross-validated and test metrics), and the same table into
benchmarks/RESULTS.md (`default-heads`). With `--check`, writes nothing: judges the heads already
shipped, and trains each again to show that the shipped file is what a rerun writes, byte for
byte, and PROVENANCE.md too but for its date (exit status 1 where one is not). Skips, saying so,
when the datasets are absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.training import train_heads  # noqa: E402
from transforms.markers import DEFAULT_HEADS_DIR, load_markers, score  # noqa: E402
from transforms.model_markers import ModelConfig, load_encoders, threshold  # noqa: E402
from transforms.model_scoring import score_texts  # noqa: E402
from transforms.ngram import NGRAM_FEATURES, WORDS_ONLY  # noqa: E402


@dataclass(frozen=True)
class Shipped:
    """A head to ship: `marker` learnt from `labelled`'s train split; with community labels,
    the subreddit's posts against every other subreddit's (so that posts about another mental
    health topic count as negatives, not only the controls)."""

    marker: str
    labelled: str
    licence: str
    recipe: str = NGRAM_FEATURES
    c: float = 1.0
    """The head's C: shipped heads were chosen and trained at C=1, before the `ngram` family's
    default became 4 (measured on `ngram-v1` only; docs/markers.md), and are not retrained."""


SHIPPED = (Shipped("suicide_risk", "rmhd27_reddit_en", "CC BY 4.0", recipe=WORDS_ONLY),)
"""suicide_risk uses word 1-2-grams alone: on the dev splits of rmhd27 and the Spanish suicide
tweets its `either` rule kept F1 and recall (docs/markers.md) at about a quarter of the cost per
post of ngram-v1."""
RECORD_ONLY = ("c", "c_cv_f1")
"""Fields `moodcast markers train` records and loading ignores, which the shipped heads were
written without: a head file is part of its marker's version, so shipping them would change
suicide_risk's version without changing a score."""
NO_MODEL = ModelConfig(models={})
ZERO_SHOT = ModelConfig()
"""The default model, for the zero-shot source the head replaces (its prototypes, shipped threshold)."""


def _rows(labelled: ms.LabelledSet, split: str, marker: str) -> pl.DataFrame:
    """`text, lang, <marker>` (Boolean) and `control` of every post of one split."""
    frame = pl.read_csv(ms.DATASETS / labelled.files[split], infer_schema=False, null_values=[""])
    if labelled.hashed:
        frame = frame.filter(ms.split_of(labelled.name, frame.get_column("id")) == split)
    control = (pl.col(labelled.control) == "1") if labelled.control else pl.lit(False)
    return frame.select(
        pl.col("text").fill_null(""),
        pl.lit(labelled.lang).alias("lang"),
        (pl.col(marker) == "1").alias(marker),
        control.alias("control"),
    )


def _rates(found: np.ndarray, test: pl.DataFrame, marker: str) -> dict[str, float]:
    gold = test.get_column(marker).to_numpy()
    control = test.get_column("control").to_numpy()
    judged = gold | control if control.any() else np.ones_like(gold)
    tp = float((found & gold).sum())
    precision = tp / found[judged].sum() if found[judged].any() else 0.0
    recall = tp / gold.sum()
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    rates = {"f1": f1, "precision": precision, "recall": recall}
    rates["fpr_controls"] = float(found[~gold & judged].mean())
    if control.any():
        rates["fpr_other_topics"] = float(found[~gold & ~control].mean())
    return rates


def judge(ship: Shipped) -> tuple[dict, dict[str, dict[str, float]]]:
    """The shipped head's file fields and, on the test split, the lexicon's, the head's and
    `either`'s rates."""
    labelled = next(s for s in ms.SETS if s.name == ship.labelled)
    test = _rows(labelled, "test", ship.marker)
    markers = load_markers(names=[ship.marker])
    head = markers[ship.marker].heads[labelled.lang]
    lexicon = score(test, markers).get_column(ship.marker).fill_null(False).to_numpy()
    scores = score_texts(
        test.get_column("text").to_list(), lang=labelled.lang, markers=markers, encoder=None
    )[ship.marker]
    model = scores >= head.threshold
    path = DEFAULT_HEADS_DIR / labelled.lang / f"{ship.marker}.head.json"
    fields = json.loads(path.read_text(encoding="utf-8"))
    rates = {
        "lexicon": _rates(lexicon, test, ship.marker),
        "head": _rates(model, test, ship.marker),
        "either (lexicon or head)": _rates(lexicon | model, test, ship.marker),
    }
    if labelled.lang in ZERO_SHOT.models:
        prototypes = {ship.marker: replace(markers[ship.marker], heads={})}
        encoder = load_encoders(ZERO_SHOT, [labelled.lang])[labelled.lang]
        texts = test.get_column("text").to_list()
        zero_shot = score_texts(texts, lang=labelled.lang, markers=prototypes, encoder=encoder)
        found = zero_shot[ship.marker] >= threshold(prototypes[ship.marker], labelled.lang)
        rates["either (lexicon or zero-shot)"] = _rates(lexicon | found, test, ship.marker)
    return fields, rates


def as_shipped(written: str) -> str:
    """A head file `moodcast markers train` wrote, without the RECORD_ONLY fields, in the same
    layout (one-space indent, fields in their order)."""
    head = {k: v for k, v in json.loads(written).items() if k not in RECORD_ONLY}
    return json.dumps(head, indent=1) + "\n"


def retrained(ship: Shipped) -> tuple[Path, str]:
    """Where `ship`'s head is shipped, and its file as training it again gives it (as_shipped)."""
    labelled = next(s for s in ms.SETS if s.name == ship.labelled)
    rows = _rows(labelled, "train", ship.marker).select(
        "text", "lang", pl.col(ship.marker).cast(pl.Int8)
    )
    with tempfile.TemporaryDirectory() as out:
        (written,) = train_heads(
            rows,
            markers=load_markers(names=[ship.marker]),
            config=NO_MODEL,
            out_dir=Path(out),
            origin=f"{ship.labelled} train split ({ship.licence})",
            family="ngram",
            recipe=ship.recipe,
            c_grid=(ship.c,),
        )
        target = DEFAULT_HEADS_DIR / labelled.lang / written.path.name
        return target, as_shipped(written.path.read_text(encoding="utf-8"))


def provenance(judged: list[tuple[Shipped, dict, dict]]) -> str:
    lines = [
        "# Shipped default heads",
        "",
        "Written by `benchmarks/default_heads.py` (n-gram heads, `moodcast markers train`'s own",
        "path: logistic regression on transforms/ngram.py features of the recipe the head names,",
        "balanced classes, threshold =",
        "the F1-optimal cut of 5-fold out-of-fold probabilities). Only sets whose licence allows",
        "shipping derived weights are used. Test metrics are on the set's held-out test split",
        "(benchmarks/marker_sets.py); `fpr other topics` is the share flagged among posts of the",
        "other mental-health subreddits (neither the marker's subreddit nor a control).",
        "`either (lexicon or zero-shot)` is the rule the head replaced: the marker's prototypes",
        "at their shipped threshold.",
        "",
        f"Trained {dt.date.today().isoformat()}.",
        "",
        "| lang | marker | features | trained on | rows (positive) | threshold | cv F1 | source "
        "| test F1 (P/R) | fpr controls | fpr other topics |",
        "|---|---|---|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for ship, fields, rates in judged:
        for source, r in rates.items():
            lines.append(
                f"| {','.join(fields['languages'])} | {ship.marker} | {fields['model']} | "
                f"{fields['trained_on']} | "
                f"{fields['rows']} ({fields['positives']}) | {fields['threshold']:g} | "
                f"{fields['cv_f1']:.3f} | {source} | {r['f1']:.3f} ({r['precision']:.2f}/"
                f"{r['recall']:.2f}) | {r['fpr_controls']:.3f} | "
                f"{r.get('fpr_other_topics', float('nan')):.3f} |"
            )
    return "\n".join(lines) + "\n"


def undated(text: str) -> list[str]:
    """The lines of a PROVENANCE.md but its `Trained` date: what a rerun must write again."""
    return [line for line in text.splitlines() if not line.startswith("Trained ")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Judge the shipped heads only.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    judged, differ = [], []
    for ship in SHIPPED:
        target, text = retrained(ship)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        elif target.read_text(encoding="utf-8") != text:
            differ.append(target)
        judged.append((ship, *judge(ship)))
    text = provenance(judged)
    print(text)
    shipped = DEFAULT_HEADS_DIR / "PROVENANCE.md"
    if args.check:
        if undated(shipped.read_text(encoding="utf-8")) != undated(text):
            differ.append(shipped)
        print(f"differ from a rerun: {', '.join(map(str, differ))}" if differ else
              "every shipped head file, and PROVENANCE.md but its date, is what a rerun writes")  # fmt: skip
        sys.exit(1 if differ else 0)
    shipped.write_text(text, encoding="utf-8")
    write_section("default-heads", text.split("\n", 2)[2])


if __name__ == "__main__":
    main()
