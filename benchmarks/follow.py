"""Follow mode under the issue's bar: a file dropped into the spool every few seconds for two
minutes, the process killed twice with SIGKILL (once idle or mid-cycle, as it falls) and
restarted; the published warehouse must then equal one batch run over all the files.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/follow.py [--minutes 2] [--every-s 4]

Writes its section of benchmarks/RESULTS.md: files, cycles, kills, seconds from the last drop to
its publication, the batch run's seconds (the peer), and whether the daily aggregates, forecasts
and alerts are identical.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.published import published_tables  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from moodcast.follow import ledgered_contents, spool_files  # noqa: E402
from moodcast.run import daily_run  # noqa: E402

AS_OF = date(2026, 3, 20)
WORDS = ["so sad and lonely", "happy and calm", "worried and cannot sleep", "angry", "hopeful"]


def _file(rng: random.Random, n: int, tag: int) -> bytes:
    lines = []
    for i in range(n):
        day = AS_OF - timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 5]))
        post = {
            "id": f"{tag}-{i}",
            "created_at": f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
            "text": rng.choice(WORDS) + " today",
            "author_id": f"a{rng.randrange(400)}",
            "lang": rng.choice(["en", "en", "es"]),
            "region": rng.choice(["north", "south", "east"]),
        }
        lines.append(orjson.dumps(post))
    return b"\n".join(lines) + b"\n"


def _start(spool: Path, data_dir: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "run", "--follow"]
        + [str(spool), "--every", "2s", "--as-of", AS_OF.isoformat(), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--every-s", type=float, default=4.0)
    parser.add_argument("--posts-per-file", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("MOODCAST_SECRET", "follow-benchmark-secret-0123456789abcdef")
    rng = random.Random(14)
    root = Path(tempfile.mkdtemp(prefix="moodcast-follow-"))
    spool, data_dir, log = root / "spool", root / "data", root / "follow.log"
    for path in (spool, data_dir):
        path.mkdir()
    (data_dir / "config.toml").write_text("forecast_jobs = 1\n")
    span = args.minutes * 60
    kills_at = [span * 0.35, span * 0.7]
    process = _start(spool, data_dir, log)
    started, files, kills = time.monotonic(), 0, 0
    try:
        while (elapsed := time.monotonic() - started) < span:
            if kills < len(kills_at) and elapsed >= kills_at[kills]:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                process = _start(spool, data_dir, log)
            files += 1
            tmp = spool / f"{files:04d}.jsonl.tmp"
            tmp.write_bytes(_file(rng, args.posts_per_file, files))
            tmp.rename(spool / f"{files:04d}.jsonl")
            time.sleep(args.every_s)
        last_drop = time.monotonic()
        while len(ledgered_contents(data_dir)) < files:
            time.sleep(0.5)
        catch_up = time.monotonic() - last_drop
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    cycles = log.read_bytes().count(b"new file(s)")
    batch_dir = root / "batch"
    batch_dir.mkdir()
    (batch_dir / "config.toml").write_text("forecast_jobs = 1\n")
    clock = time.monotonic()
    daily_run(
        [str(p) for p in spool_files(spool)],
        settings=load_settings(batch_dir),
        as_of=AS_OF,
        beam_args=[],
        allowed_lateness=timedelta(days=2),
    )
    batch_s = time.monotonic() - clock
    a, b = published_tables(data_dir), published_tables(batch_dir)
    same = all(a[name].equals(b[name]) for name in a)
    row = (
        f"| {files} files × {args.posts_per_file} posts, every {args.every_s:g} s for "
        f"{args.minutes:g} min | {cycles} cycles started | {kills} SIGKILLs, SIGTERM exit {code} "
        f"| {catch_up:.1f} s | {batch_s:.1f} s | {'identical' if same else 'DIFFERENT'} "
        f"({a['daily'].height} daily rows) |"
    )
    print(row)
    write_section(
        "Follow mode: killed twice while files arrive",
        f"`.venv/bin/python benchmarks/follow.py --minutes {args.minutes:g} --every-s "
        f"{args.every_s:g}` on 2 shared cores, {date.today()}.\n\n"
        "| spool | cycles | interruptions | last file published after | one batch run "
        "(peer) | final warehouse vs the batch run |\n| --- | --- | --- | --- | --- | --- |\n"
        + row,
    )
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
