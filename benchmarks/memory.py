"""Peak RSS and time of `moodcast run` as the input grows (1M, 3M, … sample posts).

    .venv/bin/python benchmarks/memory.py [--posts 1000000,3000000]

Each size is a clean sample corpus over the same 365 days (generated once into
benchmarks/.data), run once into a fresh data directory with no sentence model (as in
benchmarks/pipeline.py). Peak RSS is the process's own (`wait4`). The bar: peak RSS at 3M posts
at most 1.2× the peak at 1M, and bounded up to 10M (`--posts 1000000,3000000,10000000`: ~4 CPU
minutes and ~0.2 GB of spill files under the temporary directory at 10M). Results go to
benchmarks/RESULTS.md (the `memory` section); benchmarks/memory_stages.py breaks the job's peak
down by stage.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import corpora, run_moodcast  # noqa: E402
from benchmarks.results import write_section  # noqa: E402


def _run(posts: int, clean: Path):
    with tempfile.TemporaryDirectory() as work:
        sample, ingest = run_moodcast(clean, Path(work) / "data")
    print(posts, sample, ingest, file=sys.stderr, flush=True)
    return posts, sample, ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="1000000,3000000")
    parser.add_argument(
        "--parallel", action="store_true",
        help="run every size at once: CPU seconds and peak RSS stay each process's own",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(n) for n in args.posts.split(",")]
    corpus = {posts: corpora(posts, dirty=False)[0] for posts in sizes}
    with ThreadPoolExecutor(max_workers=len(sizes) if args.parallel else 1) as pool:
        futures = [pool.submit(_run, posts, corpus[posts]) for posts in sizes]
    results = [f.result() for f in futures]
    load = os.getloadavg()
    lines = [
        f"`.venv/bin/python benchmarks/memory.py --posts {args.posts}"
        f"{' --parallel' if args.parallel else ''}` on {os.cpu_count()} cores"
        f"{' (every size at once)' if args.parallel else ''},"
        f" Python {platform.python_version()}, {date.today().isoformat()}. Load average at the end:"
        f" {load[0]:.1f} (1 min), {load[1]:.1f} (5 min): the machine was shared.",
        "",
        "| posts | wall s | CPU s | Beam job wall s | peak RSS MiB | CPU µs per post |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for posts, sample, ingest in results:
        lines.append(
            f"| {posts:,} | {sample.wall:.1f} | {sample.cpu:.1f} | {ingest:.1f} | {sample.rss:,}"
            f" | {sample.cpu / posts * 1e6:.1f} |"
        )
    base = results[0][1].rss
    lines += [
        "",
        "Peak RSS relative to the first size: "
        + ", ".join(f"{posts:,}: {s.rss / base:.2f}×" for posts, s, _ in results)
        + " (target: ≤ 1.2× the 1M peak at 3M, and bounded at 10M).",
    ]
    write_section("memory", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
