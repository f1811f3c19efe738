"""`moodcast run` end to end on N sample posts, against the floor (benchmarks/floor.py).

    .venv/bin/python benchmarks/pipeline.py [--posts 1000000] [--repeats 3]

Both sides run as their own processes on the same clean JSON Lines file (start-up and imports
included), interleaved, and the medians are compared. `moodcast run` is the whole daily run
(Beam job on FnApiRunner with dead letters, dedupe and pseudonyms; DuckDB load; forecasts;
alerts; exports) in a fresh data directory whose config.toml has no sentence model
(`[models]` empty), so that markers are decided by their lexicons and the shipped n-gram heads,
as in the floor; sentence-model confirmation is measured in benchmarks/embedding.py. The floor is what no run can beat: one
polars read, the same pure validation, the compiled lexicon kernel and n-gram heads, one group
by. The two
must give identical `region = all, lang = all` per-day × marker counts (posts, marked posts,
distinct authors, distinct marked authors); the script stops if they do not. The floor cannot
survive a malformed line, so the comparison runs on a corpus generated without them; the run's
time on the default corpus (0.2% malformed) is reported beside it. Peak RSS is each process's
own (`wait4`). Results go to benchmarks/RESULTS.md (the `pipeline` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import NamedTuple

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.floor import COUNTS  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402

AS_OF = "2026-12-01"
BIN = Path(sys.executable).parent


class Sample(NamedTuple):
    """One process: wall seconds, CPU seconds (user + system) and peak RSS in MiB."""

    wall: float
    cpu: float
    rss: int


def measured(command: list[str], *, tree: Path = ROOT) -> tuple[Sample, str]:
    """Run `command` with the code of `tree` (default: this one) on PYTHONPATH; return its
    Sample and its stderr. Raises CalledProcessError when it fails."""
    env = {**os.environ, "PYTHONPATH": str(tree), "MOODCAST_SECRET": "benchmark-key-" + "0" * 32}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(status, command, stderr=stderr)
    return Sample(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024), stderr


def run_moodcast(posts: Path, data_dir: Path) -> tuple[Sample, float]:
    """`moodcast run` into a fresh `data_dir` (no sentence model): its Sample and the Beam
    job's seconds (from its log)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / "config.toml").write_text("[models]\n")
    sample, stderr = measured(
        [str(BIN / "moodcast"), "run", str(posts), "--data-dir", str(data_dir), "--as-of", AS_OF]
    )
    ingest = re.search(r"ingest: done in ([\d.]+) s", stderr)
    return sample, float(ingest.group(1)) if ingest else float("nan")


def run_floor(posts: Path, out: Path) -> Sample:
    sample, _ = measured(
        [sys.executable, str(ROOT / "benchmarks" / "floor.py"), str(posts), "-o", str(out), "--as-of", AS_OF]
    )  # fmt: skip
    return sample


def run_job_alone(posts: Path, landing: Path) -> Sample:
    """The Beam job alone (no start-up of the CLI, no load, no forecasts), as its own process."""
    sample, _ = measured([sys.executable, __file__, "--job-only", str(posts), str(landing)])
    return sample


def job_only(posts: Path | Sequence[Path], landing: Path, *, beam_args: Sequence[str] = ()) -> None:
    """What `moodcast run` runs as its Beam job, with no sentence model, on one file or several
    (one input pattern each, as `moodcast run` gives them), with Beam flags `beam_args`."""
    from ingest.job import IngestJob
    from ingest.pipeline import run_ingest
    from transforms.markers import load_markers
    from transforms.model_markers import ModelConfig
    from transforms.posts import PostOptions

    options = PostOptions(as_of=date.fromisoformat(AS_OF), models=ModelConfig(models={}))
    inputs = [str(posts)] if isinstance(posts, Path) else [str(path) for path in posts]
    shutil.rmtree(landing, ignore_errors=True)
    job = IngestJob(
        inputs=inputs, landing_dir=str(landing), markers=load_markers(),
        key=b"benchmark-key", run_id="benchmark", options=options,
    )  # fmt: skip
    run_ingest(job, beam_args=beam_args)


def published_counts(data_dir: Path) -> pl.DataFrame:
    """The run's `region = all, lang = all` counts per day × marker, as the floor writes them."""
    import warehouse
    from warehouse import queries

    con = warehouse.open_published(data_dir)
    try:
        daily = queries.current_daily(con)
    finally:
        con.close()
    return (
        daily.filter((pl.col("region") == "all") & (pl.col("lang") == "all"))
        .select("day", "marker", *COUNTS)
        .sort("day", "marker")
    )


def corpora(posts: int, *, dirty: bool = True) -> tuple[Path, Path]:
    """The clean and default (0.2% malformed) sample corpora of `posts` posts, generated into
    benchmarks/.data once (the default one only when `dirty`)."""
    cache = ROOT / "benchmarks" / ".data"
    clean, default = cache / f"clean-{posts}", cache / f"default-{posts}"
    for out, share in ((clean, 0.0), (default, 0.002))[: 2 if dirty else 1]:
        if not (out / "posts.jsonl").exists():
            print(f"generating {posts:,} posts into {out} …", file=sys.stderr)
            generate_sample(out, posts=posts, malformed_share=share)
    return clean / "posts.jsonl", default / "posts.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--job-only", nargs=2, type=Path, metavar=("POSTS", "LANDING"))
    parser.add_argument(
        "--parallel", action="store_true",
        help="run the four sides of a repeat at once: CPU seconds and peak RSS stay each "
        "process's own, wall seconds then include the others' contention",
    )  # fmt: skip
    args = parser.parse_args()
    if args.job_only:
        job_only(*args.job_only)
        return
    clean, dirty = corpora(args.posts)
    names = ("moodcast run (clean corpus)", "floor (clean corpus)", "moodcast run (default corpus, 0.2% malformed)", "its Beam job alone (clean corpus)")  # fmt: skip
    rows: dict[str, list[Sample]] = {name: [] for name in names}
    ingest: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for _ in range(args.repeats):
            sides = (
                partial(run_moodcast, clean, work / "clean"),
                partial(run_floor, clean, work / "floor.parquet"),
                partial(run_moodcast, dirty, work / "dirty"),
                partial(run_job_alone, clean, work / "landing"),
            )
            with ThreadPoolExecutor(max_workers=len(sides) if args.parallel else 1) as pool:
                futures = [pool.submit(side) for side in sides]
            (sample, ingest_s), floor_sample, (dirty_sample, _), job_sample = (
                f.result() for f in futures
            )
            ingest.append(ingest_s)
            for name, got in zip(
                names, (sample, floor_sample, dirty_sample, job_sample), strict=True
            ):
                rows[name].append(got)
        ours, floor = published_counts(work / "clean"), pl.read_parquet(work / "floor.parquet")
    if not ours.equals(floor.cast(ours.schema)):
        raise SystemExit("moodcast run and the floor disagree: fix one before timing them")
    wall = {name: statistics.median(s.wall for s in values) for name, values in rows.items()}
    cpu = {name: statistics.median(s.cpu for s in values) for name, values in rows.items()}
    load = os.getloadavg()
    lines = [
        f"`.venv/bin/python benchmarks/pipeline.py --posts {args.posts} --repeats {args.repeats}"
        f"{' --parallel' if args.parallel else ''}` on {os.cpu_count()} cores"
        f"{' (the four sides of a repeat at once)' if args.parallel else ''}, Python {platform.python_version()}, {date.today().isoformat()}."
        f" Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min): the machine was"
        " shared, so compare ratios, and CPU seconds rather than wall seconds.",
        "",
        "| what | median wall s | min–max wall s | median CPU s | posts/s (wall) | peak RSS MiB (max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in rows.items():
        walls = [s.wall for s in values]
        lines.append(
            f"| {name} | {wall[name]:.2f} | {min(walls):.2f}–{max(walls):.2f} | {cpu[name]:.2f} "
            f"| {args.posts / wall[name]:,.0f} | {max(s.rss for s in values):,} |"
        )
    lines += [
        "",
        f"**Ratio (moodcast run ÷ floor, clean corpus): {wall[names[0]] / wall[names[1]]:.2f}× wall,"
        f" {cpu[names[0]] / cpu[names[1]]:.2f}× CPU** (target ≤ 1.5×). Of the run, the Beam job"
        f" took {statistics.median(ingest):.2f} s wall (median; its own log line); the rest is"
        " start-up, the DuckDB load, forecasts, alerts and exports, whose cost does not grow"
        " with the posts. The Beam job alone ÷ floor:"
        f" {wall[names[3]] / wall[names[1]]:.2f}× wall, {cpu[names[3]] / cpu[names[1]]:.2f}× CPU.",
        f"Both produced identical `region = all, lang = all` counts ({ours.height:,} day × marker"
        f" rows, {int(ours['n_posts'].sum()):,} post-marker pairs; checked on the last run).",
    ]
    write_section("pipeline", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
