"""Label-free model sources compared on real posts: the shipped zero-shot scoring, corpus-adapted
centroids, and weak heads trained on the lexicon's flags of the corpus itself.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/zero_shot_weak.py [--cap 1500]

Every scoring uses no human label. The corpus is the split being scored (its labels unused):
- `shipped`: transforms.zero_shot.zero_shot;
- `adapted 0.25`: zero_shot with each centroid moved a quarter of the way toward the corpus
  posts the lexicon flags for that marker alone (transforms.zero_shot.adapted_centroids);
- `weak head, alone` / `weak head, any`: per marker, a logistic regression on the frozen
  MiniLM embeddings of the corpus (the embedding head family's fit: balanced classes), whose
  positives are the posts the lexicon flags for that marker alone (`alone`) or for it among
  others (`any`), and whose negatives are the posts the lexicon flags for no marker; every post
  is then scored by it. A marker with under ADAPT_MIN_POSTS positives keeps its zero-shot
  score, through the logistic function centred on its shipped threshold (0.5 at the cut);
- `lexicon`: the lexicon's own flags (reference; no threshold to choose).

Each scoring's threshold per marker is chosen as in `benchmarks/zero_shot.py` (capped
F1-optimal cut on the pooled dev splits of the shippable sets that label it); macro-F1 is
reported on dev and test splits (test capped at `--cap` rows), with the stress ROC AUC table.
Results go to benchmarks/RESULTS.md (`zero-shot-weak`). Skips when the datasets are absent.

Chosen on dev across sets: `adapted 0.25`, the setting `zero_shot = "adapted"`
(docs/markers.md). A weak head mostly repeats the lexicon (its F1 sits near the lexicon's), with
every flag as a positive it loses the Reddit sets, and it wins only the threshold-free stress
AUC, which no shippable set can cut into a decision.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import CachedEncoder, prf, prototypes_only  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.zero_shot import cut_table, english_splits, f1_table, stress_lines  # noqa: E402
from transforms.markers import load_markers, score  # noqa: E402
from transforms.zero_shot import ADAPT_MIN_POSTS, adapted_centroids, zero_shot  # noqa: E402


def weak_scores(x, hits, shipped, markers, *, alone: bool) -> tuple[dict, list[str]]:
    """Each marker's weak-head probability on every post of `x`, and the markers fitted."""
    from sklearn.linear_model import LogisticRegression

    flags = np.stack(list(hits.values()))
    negatives = ~flags.any(axis=0)
    only = flags.sum(axis=0) == 1
    scores, fitted = {}, []
    for name, zs in shipped.items():
        positives = hits[name] & only if alone else hits[name]
        if positives.sum() < ADAPT_MIN_POSTS or negatives.sum() < ADAPT_MIN_POSTS:
            cut = markers[name].thresholds.get("en", 3.5)
            scores[name] = 1.0 / (1.0 + np.exp(cut - zs))
            continue
        rows = positives | negatives
        model = LogisticRegression(class_weight="balanced", max_iter=2000)
        model.fit(x[rows], positives[rows])
        scores[name] = model.predict_proba(x)[:, 1]
        fitted.append(name)
    return scores, fitted


def scored(frame, x, encoder, markers) -> tuple[dict, dict]:
    """Scoring name → {marker: scores} of the posts of `frame` (embedded as `x`), and per weak
    scoring the markers it fitted."""
    names = [n for n, m in markers.items() if m.prototypes.get("en")]
    lexicon = score(frame.select("text", "lang"), markers)
    hits = {n: lexicon.get_column(n).fill_null(False).to_numpy() for n in markers}
    moved = adapted_centroids(x, hits, markers=markers, lang="en", encoder=encoder)
    ways = {
        way: {
            n: zero_shot(x, marker=markers[n], lang="en", encoder=encoder, centroids=centroids)
            for n in names
        }
        for way, centroids in (("shipped", None), ("adapted 0.25", moved))
    }
    fitted = {}
    for alone in (True, False):
        way = "weak head, " + ("alone" if alone else "any")
        ways[way], fitted[way] = weak_scores(x, hits, ways["shipped"], markers, alone=alone)
    ways["lexicon"] = {n: hits[n].astype(float) for n in names}
    return ways, fitted


def lexicon_line(sets, splits) -> str:
    """Macro-F1 of the lexicon's flags per set, dev / test."""
    cells = []
    for labelled in sets:
        f1s = []
        for split in ("dev", "test"):
            frame, ways = splits[labelled.name, split]
            per = []
            for name in labelled.labels:
                keep = ms.judged(labelled, frame, name).to_numpy()
                gold = frame.get_column(name).to_numpy()[keep]
                per.append(prf(gold, ways["lexicon"][name][keep] > 0)[2])
            f1s.append(np.mean(per))
        cells.append(f"{f1s[0]:.3f} / {f1s[1]:.3f}")
    return "| lexicon (reference) | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    args = parser.parse_args()
    if ms.skipped():
        return
    encoder = CachedEncoder()
    markers = prototypes_only(load_markers())
    sets = [s for s in ms.SETS if s.lang == "en"]
    splits, fitted = {}, {}
    for labelled, split, frame, x in english_splits(encoder, args.cap):
        ways, fitted[labelled.name, split] = scored(frame, x, encoder, markers)
        splits[labelled.name, split] = (frame, ways)
        print(labelled.name, split, frame.height, flush=True)
    ways = [w for w in next(iter(splits.values()))[1] if w != "lexicon"]
    table, _ = f1_table(ways, sets, splits)
    body = "\n".join(
        [
            *table,
            lexicon_line(sets, splits),
            "",
            *stress_lines(ways, splits),
            "",
            "Dev-chosen cuts:",
            "",
            *cut_table(ways, sets, splits),
            "",
            "Markers with a weak head (dev split; the others keep their zero-shot score):",
            "",
            *(
                f"- {s.name}: " + "; ".join(f"{w}: {', '.join(f)}" for w, f in fit.items())
                for s in sets
                for fit in [fitted[s.name, "dev"]]
            ),
        ]
    )
    print(body)
    intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:5])
    write_section("zero-shot-weak", f"{intro}\n\nMacro-F1, dev / test:\n\n{body}")


if __name__ == "__main__":
    main()
