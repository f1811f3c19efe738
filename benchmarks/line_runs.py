"""Rule 4 on a line (transforms.line_changes) on runs of releases: the check as it pairs runs
(only where some run of an 8-week period starts or ends) against its peer, the same check
expanding every run to one row per release in it (as it did before), each in its own process:
CPU seconds and peak memory.

    PYTHONPATH=. nice .venv/bin/python -m benchmarks.line_runs --releases 30 120 365 [--write]

The cells: 2 markers × 7 regions (`all` and 6) × 3 languages (`all` and 2), 364 days each,
every one published with the same counts by every release (a year of daily releases of a
small deployment: 15,288 cells)."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta

import polars as pl

from benchmarks.results import write_section
from transforms import line_changes
from transforms.contracts import ALL
from transforms.line_changes import line_moved
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, RELEASED_SCHEMA

START = date(2024, 1, 1)
KEY = list(COUNTS_SCHEMA)[:6]


def _cells() -> pl.DataFrame:
    rows = [
        (marker, region, lang, "v", "day", START + timedelta(days=d))
        for marker in ("m1", "m2")
        for region in (ALL, *(f"r{i}" for i in range(6)))
        for lang in (ALL, "en", "es")
        for d in range(364)
    ]
    cells = pl.DataFrame(rows, schema=KEY, orient="row")
    return cells.with_columns(pl.lit(40, pl.Int64).alias(c) for c in MOVED_COUNTS)


def _every_release(stored: pl.DataFrame, week_grain: str, shown=None) -> pl.DataFrame:
    """The peer's pairing: every run expanded to each release in it (as before)."""
    each = pl.int_ranges("release", pl.col("last_release") + 1)
    return stored.with_columns(each.alias("release")).explode("release").drop("last_release")


def measure(releases: int, peer: bool) -> dict:
    """One check in this process: CPU seconds, peak resident MiB, stored rows, cells held."""
    cells = _cells()
    run = (pl.lit(1, pl.Int64).alias("release"), pl.lit(releases, pl.Int64).alias("last_release"))
    stored = cells.with_columns(run).cast(RELEASED_SCHEMA)
    if peer:
        line_changes._paired = _every_release
    held = cells.select(KEY).head(0)
    began = time.process_time()
    out = line_moved(cells, stored, held, k=11, week_grain="iso_week", counts=MOVED_COUNTS)
    return {
        "cpu_s": time.process_time() - began,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "paired": line_changes._paired(stored, "iso_week").height,
        "held": out.height,
    }


def _child(releases: int, peer: bool) -> dict:
    args = [sys.executable, "-m", "benchmarks.line_runs", "--child", str(releases)]
    out = subprocess.run([*args, *(["--peer"] if peer else [])], capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, nargs="+", default=[30, 120, 365])
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.peer)))
        return
    lines = [
        "| releases | ours: rows paired | CPU s | peak MiB | peer: rows paired | CPU s | peak MiB "
        "| cells held: ours / peer |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for releases in args.releases:
        ours, peer = _child(releases, False), _child(releases, True)
        lines.append(
            f"| {releases} | {ours['paired']:,} | {ours['cpu_s']:.1f} | {ours['peak_mib']:.0f} "
            f"| {peer['paired']:,} | {peer['cpu_s']:.1f} | {peer['peak_mib']:.0f} "
            f"| {ours['held']} / {peer['held']} |"
        )
        print(lines[-1], flush=True)
    body = (
        "Rule 4 on a line on 15,288 day cells each published with the same counts by every one "
        "of `releases` releases (`PYTHONPATH=. nice .venv/bin/python -m benchmarks.line_runs "
        "--write`): ours pairs the runs where some run of an 8-week period starts or ends; the "
        "peer expands every run to one row per release in it (as the check did before). Each in "
        "its own process.\n\n" + "\n".join(lines)
    )
    if args.write:
        write_section("line-runs", body)


if __name__ == "__main__":
    main()
