"""CPU time of `moodcast --help`, against bare Python and, optionally, an earlier commit.

    .venv/bin/python benchmarks/startup.py [--repeats 15] [--before REF]

Each side is a fresh interpreter process, timed by the CPU time (user + system) it used, read
from `resource.getrusage(RUSAGE_CHILDREN)`: wall-clock time on a shared machine says more about
the neighbours than about us. The sides run interleaved, `--repeats` times each, so they share
the machine's state. Sides:

- `python -c pass`: the peer, what any Python command costs;
- `moodcast --help` of this tree (the entry point `moodcast.cli:cli`);
- `moodcast --help` of `--before REF` (a commit of this repository, extracted with
  `git archive` into a temporary directory), when given;

and, for each tree, which of statsforecast, statsmodels, torch, numba, onnxruntime and
sentence_transformers `--help` left imported. Results go to benchmarks/RESULTS.md (`startup`).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402

HEAVY = ("statsforecast", "statsmodels", "torch", "numba", "onnxruntime", "sentence_transformers")
HELP = (
    "import sys\n"
    "from moodcast.cli import cli\n"
    "try:\n"
    "    cli(['--help'])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
)


def cpu_seconds(command: list[str], *, tree: Path | None) -> tuple[float, str]:
    """CPU seconds (user + system) of one run of `command` in `tree` (first on the path, as
    `python -c` puts the current directory first), and its last stderr line."""
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else dict(os.environ)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stderr.strip().splitlines()
    return used, lines[-1] if lines else ""


def extract(ref: str, into: Path) -> Path:
    """The files of commit `ref` of this repository, under `into`."""
    archive = into / "tree.tar"
    subprocess.run(["git", "archive", "-o", str(archive), ref], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--before", help="a commit to compare with, e.g. e1359d6")
    args = parser.parse_args()
    python = sys.executable
    help_code = HELP.format(heavy=HEAVY)
    with tempfile.TemporaryDirectory() as tmp:
        sides: dict[str, tuple[list[str], Path | None]] = {
            "python -c pass (peer)": ([python, "-c", "pass"], None),
            "moodcast --help (this tree)": ([python, "-c", help_code], ROOT),
        }
        if args.before:
            sides[f"moodcast --help (at {args.before})"] = (
                [python, "-c", help_code],
                extract(args.before, Path(tmp)),
            )
        times: dict[str, list[float]] = {name: [] for name in sides}
        loaded: dict[str, str] = {}
        for _ in range(args.repeats):
            for name, (command, tree) in sides.items():
                seconds, last = cpu_seconds(command, tree=tree)
                times[name].append(seconds)
                loaded[name] = last
    peer = statistics.median(times["python -c pass (peer)"])
    rows = [
        f"| {name} | {statistics.median(t):.3f} | {min(t):.3f} | {max(t):.3f} | "
        f"{statistics.median(t) - peer:.3f} | "
        f"{'—' if name.startswith('python') else (loaded[name].replace(',', ', ') or 'none')} |"
        for name, t in times.items()
    ]
    ours = statistics.median(times["moodcast --help (this tree)"])
    load = os.getloadavg()
    body = "\n".join(
        [
            f"`.venv/bin/python benchmarks/startup.py --repeats {args.repeats}"
            + (f" --before {args.before}`" if args.before else "`")
            + f" on {os.cpu_count()} cores, Python {platform.python_version()}. Load average "
            f"before the run: {load[0]:.1f} (1 min). CPU time (user + system) of a fresh process, "
            f"{args.repeats} interleaved runs per side.",
            "",
            "| side | median CPU s | min | max | above the peer (median) | heavy modules loaded |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *rows,
            "",
            f"**`moodcast --help`: {ours:.2f} s of CPU** (target < 0.5 s); "
            f"{ours / peer:.1f}× bare Python."
            + (
                f" Before: {statistics.median(times[f'moodcast --help (at {args.before})']):.2f} s."
                if args.before
                else ""
            ),
        ]
    )
    write_section("startup", body)
    print(body)


if __name__ == "__main__":
    main()
