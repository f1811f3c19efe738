"""The reliability bars of issue 17, at full size, with the code the CI suite runs smaller
(tests/reliability/; benchmarks/fuzz_corpus.py and kills.py): a fuzz corpus through the readers, SIGKILLs at random points each
followed by a rerun, and readers polling `exports/` while it is published.

    PYTHONPATH=. .venv/bin/python -m benchmarks.reliability --fuzz 100000 --kills 20 --polls 2000

Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from benchmarks.fuzz_corpus import fates, write_corpus
from benchmarks.kills import kill_and_rerun, read_set, torn
from benchmarks.results import write_section
from benchmarks.small_run import LEXICON_ONLY
from moodcast.sample import generate_sample
from warehouse.export_versions import publish
from warehouse.load import replace_alerts, replace_forecasts
from warehouse.schema import create_schema


def fuzz(folder: Path, n: int) -> dict:
    expected = write_corpus(folder, n=n, seed=20261204)
    got, crashes = {}, 0
    for path in sorted(folder.iterdir()):
        try:
            got |= fates(str(path), 20_000)
        except Exception:
            crashes += 1
    wrong = sum(got.get(where) != fate for where, (_, fate) in expected.fates.items())
    return {"records": len(expected.fates), "bad": expected.bad, "crashes": crashes, "wrong": wrong}


def polls(folder: Path, n: int) -> dict:
    con = duckdb.connect(str(folder / "w.duckdb"))
    create_schema(con)
    day = date(2025, 3, 4)

    def content(run_id: str) -> None:
        replace_forecasts(
            con,
            pl.DataFrame(
                [{"unique_id": "m|all|en", "ds": day, "model": "AutoETS", "mean": 0.1,
                  "lo_80": 0.0, "hi_80": 0.2, "lo_95": 0.0, "hi_95": 0.3, "run_id": run_id}]
            ),
        )  # fmt: skip
        replace_alerts(
            con,
            pl.DataFrame(
                [{"unique_id": "m|all|en", "marker": "m", "region": "all", "lang": "en",
                  "start": day, "end": day, "peak": day, "peak_value": 0.2, "threshold": 0.1,
                  "method": "level", "severity": "low", "reason": "Above its usual level.",
                  "issued_on": day, "run_id": run_id}]
            ),
        )  # fmt: skip

    out = folder / "exports"
    content("run-0")
    publish(con, out, formats=["csv"], k=11, tz="UTC")
    seen = {"polls": 0, "torn": 0, "errors": 0}
    done = threading.Event()

    def reader():
        while seen["polls"] < n:
            try:
                seen["torn"] += torn(read_set(out))
            except OSError:
                seen["errors"] += 1
            seen["polls"] += 1
            time.sleep(0.005)
        done.set()

    thread = threading.Thread(target=reader)
    thread.start()
    publishes = 0
    while not done.is_set():
        publishes += 1
        content(f"run-{publishes}")
        publish(con, out, formats=["csv"], k=11, tz="UTC")
    thread.join()
    return {**seen, "publishes": publishes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--polls", type=int, default=2_000)
    parser.add_argument("--posts", type=int, default=1_500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fuzz").mkdir()
        clock = time.perf_counter()
        fuzzed = fuzz(root / "fuzz", args.fuzz)
        fuzz_s = time.perf_counter() - clock
        (root / "polls").mkdir()
        polled = polls(root / "polls", args.polls)
        generate_sample(root / "corpus", posts=args.posts, days=30, seed=3)
        data = root / "data"
        data.mkdir()
        (data / "config.toml").write_text(LEXICON_ONLY)
        clock = time.perf_counter()
        killed = kill_and_rerun(data, [root / "corpus" / "posts.jsonl"], kills=args.kills, seed=17)
        kill_s = time.perf_counter() - clock
    command = (
        f"PYTHONPATH=. .venv/bin/python -m benchmarks.reliability --fuzz {args.fuzz} "
        f"--kills {args.kills} --polls {args.polls} --posts {args.posts}"
    )
    problems = "; ".join(killed.problems) or "none"
    body = f"""`{command}` on {platform.machine()}, Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}.

| bar | result |
| --- | --- |
| fuzz: records through the readers (bad among them) | {fuzzed["records"]:,} ({fuzzed["bad"]:,}) in {fuzz_s:.1f} s |
| fuzz: crashes / records meeting the wrong fate | {fuzzed["crashes"]} / {fuzzed["wrong"]} |
| SIGKILLs at random points, each followed by a rerun | {killed.kills} in {kill_s:.0f} s |
| killed runs that had noted themselves / with a ledger row after the rerun | {killed.noted} / {killed.recorded} |
| problems after reruns (exports differing from the clean run's, processes left behind, stale lock, leftovers) | {problems} |
| polls of `exports/` during publishes / publishes / torn sets / read errors | {polled["polls"]:,} / {polled["publishes"]:,} / {polled["torn"]} / {polled["errors"]} |

A kill that lands before the run has noted itself in the lock file (start-up, imports) has
nothing to record; every other killed run has a `killed` row (or its own `ok`/`failed`).
"""
    write_section("reliability", body)
    print(body)


if __name__ == "__main__":
    main()
