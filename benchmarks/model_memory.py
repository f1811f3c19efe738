"""Peak memory of scoring a chunk's texts with the sentence model: in one call, as before, or in
slices of SCORE_BATCH_TEXTS (transforms.model_scoring.model_scores, what PrepareChunkFn calls).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/model_memory.py [--texts 2000,8000] [--backend B]

Each side is its own process: it loads the default English model, scores a hopelessness with
the `model` rule on the first N distinct English texts of the clean 200k sample corpus
(benchmarks/.data, generated once), and reports the peak RSS above its RSS before the call
(VmHWM after resetting it through /proc/self/clear_refs) and the call's CPU seconds. "one call"
sets SCORE_BATCH_TEXTS to N, which is what model_scores did before slices. The two sides'
scores are compared: equal (bit for bit) with the ONNX backends. Results go to
benchmarks/RESULTS.md (the `model-memory` section).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from benchmarks.pipeline import corpora  # noqa: E402
from benchmarks.results import write_section  # noqa: E402

SIDES = ("one call", "slices")


def _status_mib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(key))
    return int(line.split()[1]) // 1024


def child(side: str, n: int, backend: str, out: Path) -> None:
    """Score N texts on `side` in this process; print a JSON line, write the scores to `out`."""
    from transforms import model_scoring
    from transforms.markers import load_markers
    from transforms.model_markers import ModelConfig, load_encoders

    posts = pl.read_ndjson(corpora(200_000, dirty=False)[0])
    english = posts.filter(pl.col("lang") == "en").unique("text", maintain_order=True).head(n)
    texts = model_scoring.model_texts(english)
    markers = {"hopelessness": replace(load_markers()["hopelessness"], rule="model")}
    encoders = load_encoders(ModelConfig(models={"en": "default"}, backend=backend), ["en"])
    model_scoring.model_scores(texts.head(20), markers=markers, encoders=encoders)
    if side == "one call":
        model_scoring.SCORE_BATCH_TEXTS = texts.height
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")
    before, cpu = _status_mib("VmRSS"), time.process_time()
    scores = model_scoring.model_scores(texts, markers=markers, encoders=encoders)
    cpu = time.process_time() - cpu
    scores.write_parquet(out)
    peak = _status_mib("VmHWM")
    print(json.dumps({"rss": before, "peak": peak, "above": peak - before, "cpu": cpu}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", default="2000,8000")
    parser.add_argument("--backend", default="onnx-fp32")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "N", "OUT"))
    args = parser.parse_args()
    if args.child:
        side, n, out = args.child
        child(side, int(n), args.backend, Path(out))
        return
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for n in [int(n) for n in args.texts.split(",")]:
            got = {side: _side(side, n, args.backend, Path(work)) for side in SIDES}
            same = got["one call"].pop("scores").equals(got["slices"].pop("scores"))
            rows.append((n, got, same))
    load = os.getloadavg()
    lines = [
        f"`PYTHONPATH=$PWD .venv/bin/python benchmarks/model_memory.py --texts {args.texts}"
        f" --backend {args.backend}` on {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, {date.today().isoformat()}, slices of"
        f" {_slice_size()} texts. Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f}"
        " (5 min): the machine was shared.",
        "",
        "| texts | one call: MiB above / CPU s | slices: MiB above / CPU s | scores identical |",
        "| ---: | ---: | ---: | --- |",
    ]
    for n, got, same in rows:
        one, sliced = got["one call"], got["slices"]
        lines.append(
            f"| {n:,} | {one['above']} / {one['cpu']:.1f} | {sliced['above']} / {sliced['cpu']:.1f}"
            f" | {'yes' if same else 'no'} |"
        )
    write_section("model-memory", "\n".join(lines))
    print("\n".join(lines))


def _side(side: str, n: int, backend: str, work: Path) -> dict:
    """`side` on N texts, in its own process: its peak, CPU seconds and scores."""
    out = work / f"{n}-{side}.parquet"
    command = [sys.executable, __file__, "--backend", backend, "--child", side, str(n), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.splitlines()[-1])
    print(n, side, got, file=sys.stderr, flush=True)
    return got | {"scores": pl.read_parquet(out)}


def _slice_size() -> int:
    from transforms.model_scoring import SCORE_BATCH_TEXTS

    return SCORE_BATCH_TEXTS


if __name__ == "__main__":
    main()
