"""`moodcast run` end to end on N sample posts, against the floor (benchmarks/floor.py).

    .venv/bin/python benchmarks/pipeline.py [--posts 1000000] [--repeats 3]

Both sides run as their own processes on the same clean JSON Lines file (start-up and imports
included), interleaved, and the medians are compared. `moodcast run` is the whole daily run
(Beam job on FnApiRunner with dead letters, dedupe and pseudonyms; DuckDB load; forecasts;
alerts; exports) in a fresh data directory whose config.toml has no sentence model
(`[models]` empty), so that every marker is decided by its lexicon, as in the floor; model
confirmation is measured in benchmarks/embedding.py. The floor is what no run can beat: one
polars read, the same pure validation and the compiled lexicon kernel, one group by. The two
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
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.floor import COUNTS  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402

AS_OF = "2026-12-01"
BIN = Path(sys.executable).parent


def measured(command: list[str]) -> tuple[float, int, str]:
    """Run `command`; return its wall seconds, its peak RSS in MiB and its stderr. Raises
    CalledProcessError when it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MOODCAST_SECRET": "benchmark-key"}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(status, command, stderr=stderr)
    return seconds, usage.ru_maxrss // 1024, stderr


def run_moodcast(posts: Path, data_dir: Path) -> tuple[float, int, float]:
    """`moodcast run` into a fresh `data_dir` (no sentence model): wall s, peak MiB, ingest s."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (data_dir / "config.toml").write_text("[models]\n")
    seconds, rss, stderr = measured(
        [str(BIN / "moodcast"), "run", str(posts), "--data-dir", str(data_dir), "--as-of", AS_OF]
    )
    ingest = re.search(r"ingest: done in ([\d.]+) s", stderr)
    return seconds, rss, float(ingest.group(1)) if ingest else float("nan")


def run_floor(posts: Path, out: Path) -> tuple[float, int]:
    seconds, rss, _ = measured(
        [sys.executable, str(ROOT / "benchmarks" / "floor.py"), str(posts), "-o", str(out), "--as-of", AS_OF]
    )  # fmt: skip
    return seconds, rss


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


def corpora(posts: int) -> tuple[Path, Path]:
    cache = ROOT / "benchmarks" / ".data"
    clean, dirty = cache / f"clean-{posts}", cache / f"default-{posts}"
    for out, share in ((clean, 0.0), (dirty, 0.002)):
        if not (out / "posts.jsonl").exists():
            print(f"generating {posts:,} posts into {out} …", file=sys.stderr)
            generate_sample(out, posts=posts, malformed_share=share)
    return clean / "posts.jsonl", dirty / "posts.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    clean, dirty = corpora(args.posts)
    names = ("moodcast run (clean corpus)", "floor (clean corpus)", "moodcast run (default corpus, 0.2% malformed)")  # fmt: skip
    rows: dict[str, list[tuple[float, int]]] = {name: [] for name in names}
    ingest: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for _ in range(args.repeats):
            seconds, rss, ingest_s = run_moodcast(clean, work / "clean")
            rows[names[0]].append((seconds, rss))
            ingest.append(ingest_s)
            rows[names[1]].append(run_floor(clean, work / "floor.parquet"))
            rows[names[2]].append(run_moodcast(dirty, work / "dirty")[:2])
        ours, floor = published_counts(work / "clean"), pl.read_parquet(work / "floor.parquet")
    if not ours.equals(floor.cast(ours.schema)):
        raise SystemExit("moodcast run and the floor disagree: fix one before timing them")
    median = {name: statistics.median(s for s, _ in values) for name, values in rows.items()}
    ratio = median[names[0]] / median[names[1]]
    load = os.getloadavg()
    lines = [
        f"`.venv/bin/python benchmarks/pipeline.py --posts {args.posts} --repeats {args.repeats}`"
        f" on {os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}."
        f" Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min): the machine was"
        " shared, so compare the ratio, not the seconds.",
        "",
        "| what | median s | min s | max s | posts/s (median) | peak RSS MiB (max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in rows.items():
        seconds = [s for s, _ in values]
        lines.append(
            f"| {name} | {median[name]:.2f} | {min(seconds):.2f} | {max(seconds):.2f} "
            f"| {args.posts / median[name]:,.0f} | {max(r for _, r in values):,} |"
        )
    lines += [
        "",
        f"**Ratio (moodcast run ÷ floor, clean corpus): {ratio:.2f}×** (target ≤ 1.5×). Of the"
        f" run, the Beam job took {statistics.median(ingest):.2f} s (median; its own log line),"
        " the rest is start-up, the DuckDB load, forecasts, alerts and exports.",
        f"Both produced identical `region = all, lang = all` counts ({ours.height:,} day × marker"
        f" rows, {int(ours['n_posts'].sum()):,} post-marker pairs; checked on the last run).",
    ]
    write_section("pipeline", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
