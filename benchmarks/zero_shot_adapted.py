"""Zero-shot scoring with corpus-adapted prototypes against the shipped one, on real posts.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/zero_shot_adapted.py [--cap 1500] [--choose-thresholds]

`adapted w` moves each marker's centroid toward the centroid of the corpus posts that the lexicon
flags for that marker alone, and the neutral centroid toward the posts it flags for nothing
(transforms.zero_shot.adapted_centroids, corpus share `w`); `neutral kept` moves the
markers' centroids only. Each then scores as the shipped zero-shot source does. The corpus is
the split being scored, its labels unused: a self-training step on the posts being measured.
Thresholds are chosen per scoring exactly as in `benchmarks/zero_shot.py` (pooled dev splits of
the shippable sets, capped F1-optimal cut), and the stress ROC AUC table is the same. Chosen on
dev: `adapted 0.25, neutral kept` (moving the neutral centroid costs irf_reddit_en 0.06 at 0.25;
0.5 is no better on dev and moves more). Results go to benchmarks/RESULTS.md
(`zero-shot-adapted`). Skips when the datasets are absent.

With `--choose-thresholds`, the dev-chosen cuts of the chosen scoring are written as the
adapted scoring's threshold table (transforms.zero_shot.ADAPTED_FILE) for every marker a
shippable English set labels, except stress (sad_stress's 95% positives let any cut win) and
markers whose English model source is a shipped head (zero-shot does not score them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import CachedEncoder, prototypes_only  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.zero_shot import (  # noqa: E402
    cut_markers,
    cut_table,
    english_splits,
    f1_table,
    pooled_cut,
    stress_lines,
)
from transforms.adapters import toml_with_header  # noqa: E402
from transforms.markers import load_markers, score  # noqa: E402
from transforms.zero_shot import (  # noqa: E402
    ADAPTED_FILE,
    adapted_centroids,
    score_basis,
    zero_shot,
)

WEIGHTS = (0.25, 0.5)
CHOSEN = "adapted 0.25, neutral kept"


def scored(frame, x, encoder, markers) -> tuple[dict, list[str]]:
    """Scoring name → {marker: scores} of the posts of `frame` (embedded as `x`), and the
    markers whose centroid the chosen scoring (`adapted 0.25, neutral kept`) moves."""
    names = [n for n, m in markers.items() if m.prototypes.get("en")]
    lexicon = score(frame.select("text", "lang"), markers)
    hits = {n: lexicon.get_column(n).fill_null(False).to_numpy() for n in markers}
    ways = {"shipped": None}
    for weight in WEIGHTS:
        for neutral in (True, False):
            ways[f"adapted {weight:g}" + ("" if neutral else ", neutral kept")] = adapted_centroids(
                x,
                hits,
                markers=markers,
                lang="en",
                encoder=encoder,
                weight=weight,
                neutral=neutral,
            )
    scores = {
        way: {
            n: zero_shot(x, marker=markers[n], lang="en", encoder=encoder, centroids=moved)
            for n in names
        }
        for way, moved in ways.items()
    }
    return scores, sorted(ways[CHOSEN])


def cut_lines(sets, splits: dict) -> list[str]:
    """Each marker's dev-chosen cut, shipped scoring against the chosen adapted one."""
    return [
        f"Dev-chosen cuts, shipped → `{CHOSEN}` (stress left out: sad_stress's 95% positives "
        "let any cut win):",
        "",
        *cut_table(("shipped", CHOSEN), sets, splits, columns=("shipped", "adapted")),
    ]


def write_thresholds(sets, splits: dict) -> None:
    """Write the chosen scoring's dev-chosen cuts as ADAPTED_FILE (see the module doc)."""
    headed = {n for n, m in load_markers().items() if "en" in m.heads}
    names = [name for name in cut_markers(sets) if name not in headed]
    cuts = {name: round(pooled_cut(CHOSEN, name, sets, splits), 2) for name in names}
    shipped = load_markers(names=names)
    basis = {name: score_basis(shipped[name], "en") for name in names}
    header = (
        'Thresholds of the adapted zero-shot scoring (zero_shot = "adapted", `moodcast markers\n'
        "adapt`): z-scores, each the F1-optimal cut flagging at most 2x the true share on the\n"
        "pooled dev splits of the CC BY / MIT sets that label the marker (covidemo_en and xed_en\n"
        "for the emotions, rmhd27_reddit_en for the others), each split's centroids adapted to\n"
        "that split's own posts. Written by `benchmarks/zero_shot_adapted.py\n"
        "--choose-thresholds`; only these markers are adapted (docs/markers.md). `basis`\n"
        "records the score_basis (transforms.zero_shot) each cut was chosen for: a marker whose\n"
        "basis is another (its phrases or, for an emotion, a rival's changed) is not adapted."
    )
    document = {"lang": {"en": cuts}, "basis": {"en": basis}}
    ADAPTED_FILE.write_text(toml_with_header(document, header), encoding="utf-8")
    print(f"wrote {ADAPTED_FILE}: {cuts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    parser.add_argument(
        "--choose-thresholds", action="store_true", help="Write the adapted threshold table."
    )
    args = parser.parse_args()
    if ms.skipped():
        return
    encoder = CachedEncoder()
    markers = prototypes_only(load_markers())
    sets = [s for s in ms.SETS if s.lang == "en"]
    splits, moved = {}, {}
    for labelled, split, frame, x in english_splits(encoder, args.cap):
        scores, moved[labelled.name, split] = scored(frame, x, encoder, markers)
        splits[labelled.name, split] = (frame, scores)
    ways = next(iter(splits.values()))[1]
    body = "\n".join(
        [
            *f1_table(ways, sets, splits)[0],
            "",
            *stress_lines(ways, splits),
            "",
            *cut_lines(sets, splits),
            "",
            f"Centroids moved by `{CHOSEN}` (dev split; the others have under "
            "ADAPT_MIN_POSTS posts flagged for them alone):",
            "",
            *(f"- {s.name}: {', '.join(moved[s.name, 'dev']) or 'none'}" for s in sets),
        ]
    )
    print(body)
    if args.choose_thresholds:
        write_thresholds(sets, splits)
    intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:3])
    write_section("zero-shot-adapted", f"{intro}\n\nMacro-F1, dev / test:\n\n{body}")


if __name__ == "__main__":
    main()
