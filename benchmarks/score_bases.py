"""Check that a table of zero-shot cuts chosen at an earlier commit may be keyed on today's
score bases: the markers' zero-shot scores there and here, recomputed and compared.

    PYTHONPATH=$PWD nice .venv/bin/python benchmarks/score_bases.py --before REV [--model FOLDER]

model/thresholds.toml records, per marker, the score_basis each cut was chosen for
(transforms.zero_shot.model_threshold applies a cut only while the marker's is that one). A
table written before it recorded them can be given today's only where the scores it was chosen
on are today's. This script exports `transforms/` as it was at REV (the commit that wrote the
cuts) into a temporary folder, scores the shipped model/labelled-en.csv posts there and here in
two processes, each run in its own tree and refusing another tree's `transforms` (before,
`python -c` found the working folder's first, so both scored with today's code), with the
same sentence model (`--model`, default the shipped one; each the markers
of the table, or `--markers`), and prints, per marker, the largest absolute difference of the
scores and today's score_basis; it exits 1 when a difference is above 1e-6. Identical scores on
these posts with identical centroid phrases (which it also compares) mean identical centroids,
so identical scores on any post.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "transforms" / "markers" / "model" / "labelled-en.csv"
SCORE = """
import json, sys
from pathlib import Path
import numpy as np, polars as pl
import transforms
if not Path(transforms.__file__).resolve().is_relative_to(Path(sys.argv[5]).resolve()):
    sys.exit(f"imported {transforms.__file__}, not the tree {sys.argv[5]}'s transforms")
from transforms.embedding import load_encoder
from transforms.markers import load_markers
from transforms.zero_shot import contrasted_phrases, prototype_phrases, zero_shot
names, model, labelled, out = sys.argv[1].split(","), sys.argv[2], sys.argv[3], sys.argv[4]
encoder = load_encoder(model)
texts = pl.read_csv(labelled).filter(pl.col("lang") == "en").get_column("text").to_list()
x = encoder.encode(texts)
markers = load_markers(names=names)
np.savez(out, **{n: zero_shot(x, marker=markers[n], lang="en", encoder=encoder) for n in names})
phrases = {n: list(prototype_phrases(markers[n], "en")) for n in names}
phrases["rivals"] = [[n, list(p)] for n, p in contrasted_phrases("en")]
with open(out + ".json", "w") as handle:
    json.dump(phrases, handle)
"""


def scores(tree: Path, names: list[str], model: str, out: Path) -> tuple[dict, dict]:
    """The zero-shot scores of `names` (and their centroid phrases) by the code in `tree`, run
    in `tree`: `python -c` puts its working folder before PYTHONPATH, so run from another
    checkout it would import that checkout's `transforms` instead."""
    subprocess.run(
        [sys.executable, "-c", SCORE, ",".join(names), model, str(LABELLED), str(out), str(tree)],
        check=True,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"},
    )
    with np.load(str(out) + ".npz") as saved:
        found = {n: saved[n] for n in names}
    return found, json.loads(Path(str(out) + ".json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit that chose the cuts")
    parser.add_argument("--model", default="default", help="the sentence model (a folder)")
    parser.add_argument("--markers", help="comma-separated markers (default: the table's)")
    args = parser.parse_args()
    model = str(Path(args.model).resolve()) if Path(args.model).is_dir() else args.model
    sys.path.insert(0, str(ROOT))
    from transforms.markers import load_markers
    from transforms.zero_shot import MODEL_THRESHOLDS_FILE, score_basis

    if args.markers:
        names = args.markers.split(",")
    else:
        with MODEL_THRESHOLDS_FILE.open("rb") as handle:
            tables = tomllib.load(handle)["model"].values()
        names = sorted({n for t in tables for n in t.get("lang", {}).get("en", {})})
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.before, "transforms"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        before_tree = Path(folder) / "before"
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(before_tree, filter="data")
        before, before_phrases = scores(before_tree, names, model, Path(folder) / "b")
        now, now_phrases = scores(ROOT, names, model, Path(folder) / "n")
    shipped = load_markers(names=names)
    worst = 0.0
    print(f"model {model}, {args.before} -> working tree, {LABELLED.name}:")
    for name in names:
        gap = float(np.abs(before[name] - now[name]).max())
        same = before_phrases[name] == now_phrases[name]
        worst = max(worst, gap)
        print(
            f"  {name}: max |score difference| {gap:.2e}, centroid phrases "
            f"{'same' if same else 'DIFFER'}, score_basis {score_basis(shipped[name], 'en')}"
        )
    rivals = before_phrases["rivals"] == now_phrases["rivals"]
    print(f"  rivals' phrases {'same' if rivals else 'DIFFER'}")
    phrases = rivals and all(before_phrases[n] == now_phrases[n] for n in names)
    sys.exit(0 if worst <= 1e-6 and phrases else 1)


if __name__ == "__main__":
    main()
