"""Batch language identification (transforms.langid.identify) against py3langid, text by text.

    taskset -c 0 .venv/bin/python benchmarks/langid_speed.py [--texts 20000] [--repeats 3]

Both identify the same texts of the sample corpus (benchmarks/.data, generated if absent)
with the same model; the script stops unless every label is the same. Medians of interleaved
timings in one run. Results go to benchmarks/RESULTS.md (the `langid_speed` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import corpora  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.langid import identify  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    clean, _ = corpora(50_000, dirty=False)
    texts = []
    with clean.open("rb") as handle:
        for line in handle:
            texts.append(orjson.loads(line)["text"])
            if len(texts) == args.texts:
                break
    reference = LanguageIdentifier.from_model_file(MODEL_FILE)
    identify(texts[:10])
    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        labels = identify(texts)
        ours.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        expected = [reference.classify(t)[0] for t in texts]
        theirs.append(time.perf_counter() - start)
        theirs_cpu.append(time.process_time() - cpu)
        if labels != expected:
            raise SystemExit("identify and py3langid disagree")
    rate_ours = len(texts) / statistics.median(ours)
    rate_theirs = len(texts) / statistics.median(theirs)
    cpu_ours = len(texts) / statistics.median(ours_cpu)
    cpu_theirs = len(texts) / statistics.median(theirs_cpu)
    cores = os.sched_getaffinity(0)
    load = os.getloadavg()
    body = "\n".join(
        [
            f"`taskset -c {','.join(map(str, sorted(os.sched_getaffinity(0))))} .venv/bin/python benchmarks/langid_speed.py --texts {args.texts} --repeats"
            f" {args.repeats}` on {len(cores)} of {os.cpu_count()} cores, Python"
            f" {platform.python_version()}, {date.today().isoformat()}. Load average at the end:"
            f" {load[0]:.1f} (1 min): the machine was shared; both sides interleaved in one run.",
            "",
            "| identifier | texts | median wall s | texts/s (wall) | median CPU s | texts/s (CPU) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| transforms.langid.identify (one batch) | {len(texts):,} | {statistics.median(ours):.2f} | {rate_ours:,.0f} | {statistics.median(ours_cpu):.2f} | {cpu_ours:,.0f} |",
            f"| py3langid classify, text by text | {len(texts):,} | {statistics.median(theirs):.2f} | {rate_theirs:,.0f} | {statistics.median(theirs_cpu):.2f} | {cpu_theirs:,.0f} |",
            "",
            f"**{rate_ours / rate_theirs:.1f}× py3langid in wall time, {cpu_ours / cpu_theirs:.1f}× in CPU time**, identical labels on all {len(texts):,} texts.",
        ]
    )  # fmt: skip
    write_section("langid_speed", body)
    print(body)


if __name__ == "__main__":
    main()
