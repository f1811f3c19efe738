"""What more in-process Beam workers buy the job when its input is split into files.

    .venv/bin/python benchmarks/workers.py [--posts 1000000] [--files 4] [--repeats 3]

The job reads, parses, validates and tags each input file in one fused stage, so one file is
one thread. What splitting a large file could gain is measured here by splitting the clean
sample corpus (benchmarks/pipeline.py's) into `--files` files at line boundaries, in order, and
running the Beam job alone (benchmarks/pipeline.py's `job_only`: `[models]` empty) as its own
process in three settings, interleaved within each repeat: the one file on FnApiRunner as
`moodcast run` runs it (one worker, in memory); the split files with as many workers as the
machine has cores in `multi_threading` mode; and in `multi_processing` mode. All three must write
the same daily, period and count tables (compared sorted); the script stops if they do not.
Peak RSS is each process's own (`wait4`; a multi_processing run's is its largest process's).
Results go to benchmarks/RESULTS.md (the `workers` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import Sample, corpora, job_only, measured  # noqa: E402
from benchmarks.results import write_section  # noqa: E402

COMPARED = ("daily", "periods", "counts")


def split_lines(posts: Path, out: Path, files: int) -> list[Path]:
    """`posts` cut into `files` files of about equal size under `out`, at line boundaries."""
    data = posts.read_bytes()
    cuts = [0]
    for n in range(1, files):
        cuts.append(data.index(b"\n", len(data) * n // files) + 1)
    cuts.append(len(data))
    paths = [out / f"part{n:02d}.jsonl" for n in range(files)]
    for path, start, end in zip(paths, cuts, cuts[1:], strict=False):
        path.write_bytes(data[start:end])
    return paths


def run_job(posts: list[Path], landing: Path, beam_args: list[str]) -> Sample:
    command = [sys.executable, __file__, "--job-only", str(landing), *map(str, posts)]
    sample, _ = measured(command + [f"--beam={flag}" for flag in beam_args])
    return sample


def landing_tables(landing: Path) -> dict[str, pl.DataFrame]:
    tables = {name: pl.read_parquet(landing / f"{name}.parquet") for name in COMPARED}
    return {name: frame.sort(frame.columns) for name, frame in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--job-only", nargs="+", type=Path, metavar=("LANDING", "POSTS"))
    parser.add_argument("--beam", action="append", default=[], metavar="FLAG")
    args = parser.parse_args()
    if args.job_only:
        job_only(args.job_only[1:], args.job_only[0], beam_args=args.beam)
        return
    clean, _ = corpora(args.posts, dirty=False)
    workers = os.cpu_count() or 1
    settings = {
        "one file, one worker (in memory, as `moodcast run`)": ([clean], []),
        f"{args.files} files, {workers} workers, multi_threading": (
            None,
            [f"--direct_num_workers={workers}", "--direct_running_mode=multi_threading"],
        ),
        f"{args.files} files, {workers} workers, multi_processing": (
            None,
            [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"],
        ),
    }
    rows: dict[str, list[Sample]] = {name: [] for name in settings}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        parts = split_lines(clean, work, args.files)
        for _ in range(args.repeats):
            for n, (name, (posts, flags)) in enumerate(settings.items()):
                loads.append(os.getloadavg()[0])
                rows[name].append(run_job(posts or parts, work / f"landing-{n}", flags))
                print(name, rows[name][-1], f"load {loads[-1]:.1f}", file=sys.stderr, flush=True)
        first = landing_tables(work / "landing-0")
        for n in range(1, len(settings)):
            tables = landing_tables(work / f"landing-{n}")
            if not all(tables[name].equals(first[name]) for name in COMPARED):
                raise SystemExit(f"setting {n} wrote other tables than the one file: fix it first")
    lines = [
        f"`.venv/bin/python benchmarks/workers.py --posts {args.posts} --files {args.files}"
        f" --repeats {args.repeats}` on {workers} cores, Python {platform.python_version()},"
        f" {date.today().isoformat()}. Load average (1 min) before each run:"
        f" {min(loads):.1f}-{max(loads):.1f}: with other jobs on the machine a wall time is a"
        " share of it, so read the CPU seconds beside it.",
        "",
        "| the Beam job alone, clean corpus | wall s (each run) | median wall s | median CPU s"
        " | peak RSS MiB (max) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, values in rows.items():
        lines.append(
            f"| {name} | {', '.join(f'{s.wall:.2f}' for s in values)}"
            f" | {statistics.median(s.wall for s in values):.2f}"
            f" | {statistics.median(s.cpu for s in values):.2f} | {max(s.rss for s in values):,} |"
        )
    lines += [
        "",
        f"All three wrote the same {', '.join(COMPARED)} tables (checked on the last run).",
    ]
    write_section("workers", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
