"""Where the Beam job's memory goes: peak RSS per stage and the shuffle bytes the runner holds.

    .venv/bin/python benchmarks/memory_stages.py [--posts 1000000] [--against DIR]

Runs the job alone (benchmarks/pipeline.py's `job_only`: `[models]` empty) on the clean sample
corpus of that size in its own process, with FnApiRunner in-process: a thread samples the
process's RSS every 0.2 s and files each sample under the fused stage running then, and each
GroupByKey's grouped output (the bytes the runner hands the stage that reads it, held until
then) is measured as it is handed over. `--against DIR` runs another checkout of the code
(e.g. `git worktree add DIR <commit>`, or `git archive <commit> | tar -x -C DIR`) the same way
in the same session, reports both, and compares their landing files as sets of rows. Results go
to benchmarks/RESULTS.md (the `memory-stages-<posts>` section).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANDING = ("daily", "periods", "dp_daily", "dead_letters", "counts", "coverage", "files")


def _label(stage: str) -> str:
    """A fused stage's name → its transforms' top-level labels in order, a sink's with the step
    of Beam's write (DoOnce, WriteBundles, PreFinalize, FinalizeWrite)."""
    labels = []
    for name in re.findall(r"AppliedPTransform_(.*?)_\d+\)", stage):
        parts = name.split("-")
        step = parts.index("WriteImpl") + 1 if "WriteImpl" in parts[:-1] else 0
        labels.append(f"{parts[0]}/{parts[step]}" if step else parts[0])
    return "+".join(dict.fromkeys(labels)) or stage[:40]


def probe(posts: str, landing: str) -> None:
    """Run the job with the samplers; print one JSON object: per stage, in the order stages ran,
    its label, the peak RSS in MiB sampled while it ran (0: no sample fell in it) and the grouped
    shuffle bytes handed to it."""
    from apache_beam.runners.portability.fn_api_runner import execution, fn_runner

    from benchmarks.pipeline import job_only

    page = os.sysconf("SC_PAGE_SIZE")
    stages: dict[str, dict] = {}
    current = ["start"]
    run_bundle = fn_runner.FnApiRunner._execute_bundle
    partition = execution.GroupingBuffer.partition

    def execute_bundle(self, context, manager, bundle_input):
        current[0] = manager.stage.name
        stages.setdefault(current[0], {"label": _label(current[0]), "rss": 0, "shuffled": 0})
        return run_bundle(self, context, manager, bundle_input)

    def grouped(self, n):
        first = self._grouped_output is None
        out = partition(self, n)
        if first:
            stage = stages[current[0]]
            stage["shuffled"] += sum(len(b) for part in out for b in part)
        return out

    def sample(done: threading.Event) -> None:
        while not done.wait(0.2):
            with open("/proc/self/statm") as statm:
                rss = int(statm.read().split()[1]) * page // 2**20
            stage = stages.setdefault(current[0], {"label": current[0], "rss": 0, "shuffled": 0})
            stage["rss"] = max(stage["rss"], rss)

    fn_runner.FnApiRunner._execute_bundle = execute_bundle
    execution.GroupingBuffer.partition = grouped
    done = threading.Event()
    sampler = threading.Thread(target=sample, args=(done,), daemon=True)
    sampler.start()
    job_only(Path(posts), Path(landing))
    done.set()
    sampler.join()
    print(json.dumps(stages))


def _measured(code: Path, posts: Path, landing: Path) -> tuple[dict, float, int]:
    """Run `probe` on `code` in a process of its own: its stages, CPU seconds, peak RSS MiB."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, __file__, "--probe", str(posts), str(landing), str(code)]
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{code}: the job failed")
        out.seek(0)
        stages = json.loads(out.read().decode().strip().splitlines()[-1])
    return stages, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def _same_landing(a: Path, b: Path) -> bool:
    import polars as pl

    return all(
        pl.read_parquet(a / f"{name}.parquet")
        .sort(pl.all())
        .equals(pl.read_parquet(b / f"{name}.parquet").sort(pl.all()))
        for name in LANDING
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--against", type=Path, help="another checkout of the code, run as well")
    parser.add_argument("--probe", nargs=3, metavar=("POSTS", "LANDING", "CODE"))
    args = parser.parse_args()
    if args.probe:
        sys.path.insert(0, args.probe[2])
        probe(*args.probe[:2])
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.pipeline import corpora
    from benchmarks.results import write_section

    (posts, _) = corpora(args.posts, dirty=False)
    codes = {"this code": ROOT, **({f"{args.against}": args.against} if args.against else {})}
    lines = [
        f"`.venv/bin/python benchmarks/memory_stages.py --posts {args.posts}"
        f"{f' --against {args.against}' if args.against else ''}`, {time.strftime('%Y-%m-%d')}:"
        f" the job alone on {args.posts:,} clean sample posts, FnApiRunner in-process.",
        "",
    ]
    with tempfile.TemporaryDirectory() as work:
        landings = {}
        for name, code in codes.items():
            landings[name] = Path(work) / f"landing-{len(landings)}"
            stages, cpu, peak = _measured(code, posts, landings[name])
            table = [
                f"{name}: {cpu:.1f} CPU s, peak RSS {peak:,} MiB",
                "",
                "| stage | peak RSS MiB | shuffle bytes handed to it, MB |",
                "| --- | ---: | ---: |",
                *(
                    f"| {row['label']} | {row['rss']:,} | {row['shuffled'] / 1e6:.2f} |"
                    for row in stages.values()
                    if row["rss"] or row["shuffled"]
                ),
                "",
            ]
            lines += table
            print("\n".join(table), file=sys.stderr, flush=True)
        if args.against:
            same = _same_landing(*landings.values())
            lines.append(f"Landing files identical as sets of rows: {'yes' if same else 'NO'}.")
    load = os.getloadavg()
    lines.append(f"Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min).")
    write_section(f"memory-stages-{args.posts}", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
