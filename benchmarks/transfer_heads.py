"""Emotion heads trained on permissive public sets, judged on sets they never saw.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/transfer_heads.py [--cap 1500] [--write]

Heads for anger, disgust, fear, joy, sadness and surprise are trained by `moodcast markers
train`'s own path (moodcast.training.train_heads: balanced logistic regression, threshold the
F1-optimal cut of 5-fold out-of-fold probabilities on the training rows only) on sets whose
licence lets us ship what is derived from them (TRAININGS): XED English's train split (CC BY
4.0), the same plus CovidEmo's dev split (MIT), and XED Spanish's train split (CC BY 4.0);
English as `ngram` (ngram-v1), `embedding` and `hybrid` heads, Spanish as `ngram` heads. Each is
judged on the test splits of benchmarks/marker_sets.py (capped at `--cap` rows as in
benchmarks/markers.py), on the labels the set shares with the heads: English ISEAR and
CovidEmo, Spanish SemEval-2018 E-c and MentAI (anger, sadness), which no head learnt from
(CovidEmo is seen by the `+covidemo` training), and the training set's own test split as the
in-domain reference. Beside each head: the lexicon alone (the shipped default source of these
markers), the zero-shot source alone (English), lexicon OR head, lexicon OR zero-shot (the
`either` rule) and VADER's valence used as in benchmarks/markers.py.

Reported per test set and source, as means over its labels: F1, TPR - FPR (what an adjusted
share divides by, transforms.quantify), the flagged share against the true share and, for the
sources with a score (zero-shot, heads), ROC AUC: how well it ranks whatever its cut. Nothing
is chosen on a test split. Results go to benchmarks/RESULTS.md (`transfer-heads`) with
`--write`. Skips, saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import (  # noqa: E402
    CONFIG,
    NO_MODEL,
    CachedEncoder,
    decisions,
    judge,
    model_scores,
    trained_heads,
    vader,
)
from benchmarks.results import write_section  # noqa: E402
from transforms.markers import Marker, load_markers, score  # noqa: E402


@dataclass(frozen=True)
class Training:
    """Heads of `families` learnt from the union of `parts` (set name, split), judged on the
    test splits of the sets `tests` names."""

    name: str
    parts: tuple[tuple[str, str], ...]
    families: tuple[str, ...]
    tests: tuple[str, ...]


TRAININGS = (
    Training(
        "xed_en",
        (("xed_en", "train"),),
        ("ngram", "embedding", "hybrid"),
        ("isear_en", "covidemo_en", "xed_en"),
    ),
    Training(
        "xed_en+covidemo",
        (("xed_en", "train"), ("covidemo_en", "dev")),
        ("ngram", "embedding", "hybrid"),
        ("isear_en", "covidemo_en", "xed_en"),
    ),
    Training(
        "xed_es",
        (("xed_es", "train"),),
        ("ngram",),
        ("semeval2018_ec_es", "mentai_instagram_es", "xed_es"),
    ),
)
EMOTIONS = ms.EMOTIONS
DETAIL = ROOT / "benchmarks" / ".data" / "transfer_heads.jsonl"
"""Per-label (precision, recall, F1, support, false-positive rate) of every run, appended."""
SETS = {s.name: s for s in ms.SETS}


def training_rows(training: Training) -> pl.DataFrame:
    """`text, lang` and one Int8 column per emotion, every row of the training's parts."""
    return pl.concat(
        [
            ms.load_split(SETS[name], split).select(
                "text", "lang", *[pl.col(e).cast(pl.Int8) for e in EMOTIONS]
            )
            for name, split in training.parts
        ]
    )


def trained_markers(
    training: Training, family: str, rows: pl.DataFrame, encoder
) -> dict[str, Marker]:
    """The emotion markers with heads of `family` learnt from `rows` as `markers train` learns."""
    return trained_heads(
        rows, family, EMOTIONS, origin=f"{training.name} ({family})", encoder=encoder
    )


def role(training: Training, name: str) -> str:
    """`in-domain` for the training's first set, `seen set` for another set it learnt from (any
    split), else `unseen`."""
    seen = [s for s, _ in training.parts]
    return "in-domain" if name == seen[0] else "seen set" if name in seen else "unseen"


def ranking(test: pl.DataFrame, scores: pl.DataFrame, names: list[str]) -> float:
    """Mean ROC AUC over `names` of the model scores (`<name>__model`): how well a source ranks
    the posts, whatever its cut."""
    from sklearn.metrics import roc_auc_score

    return float(
        np.mean(
            [roc_auc_score(test.get_column(n), scores.get_column(f"{n}__model")) for n in names]
        )
    )


def shared_sources(
    test: pl.DataFrame, names: list[str], encoder
) -> tuple[dict[str, pl.DataFrame], dict[str, float]]:
    """The sources no training changes (lexicon, zero-shot, lexicon OR zero-shot, VADER) and
    the zero-shot score's mean AUC."""
    markers = load_markers(names=names)
    lexicon = score(test, markers)
    hits = {"lexicon": decisions(test, lexicon, NO_MODEL, markers, source="lexicon")}
    aucs = {}
    if test.get_column("lang")[0] in CONFIG.models:
        prototypes = {n: replace(m, heads={}) for n, m in markers.items()}
        zero_shot = model_scores(test, prototypes, encoder)
        hits["zero-shot"] = decisions(test, lexicon, zero_shot, prototypes, source="model")
        hits["lexicon OR zero-shot"] = decisions(
            test, lexicon, zero_shot, prototypes, source=None, rule="either"
        )
        aucs["zero-shot"] = ranking(test, zero_shot, names)
    hits["VADER"] = vader(test, names)
    return hits, aucs


def head_sources(
    test: pl.DataFrame, names: list[str], trained: Mapping[str, Marker], family: str, encoder
) -> tuple[dict[str, pl.DataFrame], dict[str, float]]:
    """The head alone and lexicon OR head, and the head's mean AUC."""
    markers = {n: trained[n] for n in names}
    lexicon = score(test, markers)
    model = model_scores(test, markers, encoder)
    hits = {
        f"{family} head": decisions(test, lexicon, model, markers, source="model"),
        f"lexicon OR {family}": decisions(
            test, lexicon, model, markers, source=None, rule="either"
        ),
    }
    return hits, {f"{family} head": ranking(test, model, names)}


def summarise(
    results: Mapping[str, Mapping[str, tuple]], rows: int, aucs: Mapping[str, float]
) -> dict[str, tuple]:
    """Source → (mean F1, mean TPR - FPR, mean flagged share, mean true share) over labels,
    and its mean AUC from `aucs` (NaN for a source without a score)."""
    summary = {}
    for source, per_label in results.items():
        f1, youden, flagged, true = [], [], [], []
        for _precision, recall, f, support, fpr in per_label.values():
            f1.append(f)
            youden.append(recall - fpr)
            flagged.append((recall * support + fpr * (rows - support)) / rows)
            true.append(support / rows)
        means = tuple(float(np.mean(v)) for v in (f1, youden, flagged, true))
        summary[source] = (*means, aucs.get(source, float("nan")))
    return summary


def evaluate(cap: int | None, encoder) -> list[tuple[str, str, str, int, dict[str, tuple]]]:
    """(training, test set, its role, rows, source → summary) for every training × test set."""
    tests = {n: ms.load_split(SETS[n], "test", cap=cap) for t in TRAININGS for n in t.tests}
    shared = {}
    out = []
    for training in TRAININGS:
        rows = training_rows(training)
        print(f"{training.name}: {rows.height} training rows", flush=True)
        trained = {f: trained_markers(training, f, rows, encoder) for f in training.families}
        for name in training.tests:
            test = tests[name]
            names = [e for e in EMOTIONS if e in SETS[name].labels]
            if name not in shared:
                shared[name] = shared_sources(test, names, encoder)
            hits, aucs = dict(shared[name][0]), dict(shared[name][1])
            for family, markers in trained.items():
                head_hits, head_aucs = head_sources(test, names, markers, family, encoder)
                hits |= head_hits
                aucs |= head_aucs
            results = judge(SETS[name], test, hits)
            DETAIL.parent.mkdir(parents=True, exist_ok=True)
            with DETAIL.open("a", encoding="utf-8") as file:
                file.write(json.dumps({"training": training.name, "test": name, **results}) + "\n")
            out.append(
                (
                    training.name,
                    name,
                    role(training, name),
                    test.height,
                    summarise(results, test.height, aucs),
                )
            )
            print(f"  {name} done", flush=True)
    return out


def render(rows: list[tuple[str, str, str, int, dict[str, tuple]]]) -> str:
    """Four tables, one row per training × test set: mean F1, TPR - FPR, flagged share (beside
    the true share) and, for the sources with a score, AUC."""
    sources = list(dict.fromkeys(s for *_, summary in rows for s in summary))
    scored = [s for s in sources if any(s in r[4] and not np.isnan(r[4][s][4]) for r in rows)]
    tables = []
    for title, k, columns in (
        ("Mean F1 over the set's labels that the heads cover", 0, sources),
        ("Mean TPR - FPR (what an adjusted share divides by)", 1, sources),
        ("Mean flagged share, beside the mean true share", 2, sources),
        ("Mean ROC AUC of the model score (threshold-free)", 4, scored),
    ):
        true = " true |" if k == 2 else ""
        lines = [
            f"{title}:",
            "",
            "| trained on | test set | role | rows |" + true + " " + " | ".join(columns) + " |",
            "|---|---|---|---:|" + "---:|" * (len(columns) + (k == 2)),
        ]
        for training, name, kind, height, summary in rows:
            share = f" {next(iter(summary.values()))[3]:.3f} |" if k == 2 else ""
            cells = [f"{summary[s][k]:.3f}" if s in summary else "—" for s in columns]
            lines.append(
                f"| {training} | {name} | {kind} | {height} |{share} " + " | ".join(cells) + " |"
            )
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    parser.add_argument("--write", action="store_true", help="Write the RESULTS.md section.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    body = render(evaluate(args.cap, CachedEncoder()))
    print(body)
    if args.write:
        intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:4])
        write_section("transfer-heads", f"{intro}\n\n{body}")


if __name__ == "__main__":
    main()
