"""`moodcast run` of this tree against other trees (earlier commits) on the demo's corpus.

    git archive COMMIT | tar -x -C /tmp/before      # an export of each earlier commit
    PYTHONPATH=$PWD .venv/bin/python benchmarks/versus.py LABEL=/tmp/before ... \
        [--posts 200000] [--repeats 5] [--section NAME]

Generates the demo's sample corpus (`moodcast sample --posts N`: English and Spanish, its
planted malformed, duplicate and oversized records; kept in benchmarks/.data/versus-N), then
runs the whole daily run (`moodcast run --as-of 2026-01-05`, the demo's date, no sentence model)
of each tree as its own process (`python -c 'from moodcast.cli import cli; cli()'` with that
tree on PYTHONPATH, the shared environment) into a fresh data directory: once per tree to
compile its kernels (not measured: each version of `transforms` compiles into its own folder,
transforms.kernel_cache), then `--repeats` rounds, the trees alternated within each round so
that the machine's load falls on all of them alike. Reports per tree the median and range of
CPU seconds (user + system: on a shared machine, wall time measures the neighbours too), wall
seconds and peak RSS (`wait4`, the process's own; Beam's FnApiRunner runs in it), and the
ratios to the first tree named. The trees must publish the same `region = all, lang = all`
daily counts (checked on the last round). Writes the `NAME` section of benchmarks/RESULTS.md
(`versus` by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import Sample, measured, published_counts  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402

AS_OF = "2026-01-05"
CLI = "from moodcast.cli import cli; cli()"


def corpus(posts: int) -> Path:
    """The demo's sample corpus of `posts` posts, generated into benchmarks/.data once."""
    out = ROOT / "benchmarks" / ".data" / f"versus-{posts}"
    if not (out / "posts.jsonl").exists():
        print(f"generating {posts:,} posts into {out} …", file=sys.stderr)
        generate_sample(out, posts=posts)
    return out / "posts.jsonl"


def run_tree(tree: Path, posts: Path, data_dir: Path) -> Sample:
    """`moodcast run` of the code in `tree` into a fresh `data_dir` (no sentence model)."""
    data_dir.mkdir(parents=True)
    (data_dir / "config.toml").write_text("[models]\n")
    command = [sys.executable, "-c", CLI, "run", str(posts), "--data-dir", str(data_dir),
               "--as-of", AS_OF]  # fmt: skip
    try:
        sample, _ = measured(command, tree=tree)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{tree}: moodcast run failed:\n{exc.stderr}") from exc
    return sample


def _range(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def report(trees: dict[str, Path], posts: int, repeats: int) -> str:
    source = corpus(posts)
    samples: dict[str, list[Sample]] = {label: [] for label in trees}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for label, tree in trees.items():
            run_tree(tree, source, work / f"warm-{label}")
        for r in range(repeats):
            for label, tree in trees.items():
                samples[label].append(run_tree(tree, source, work / f"{r}-{label}"))
                print(label, samples[label][-1], file=sys.stderr)
        counts = {label: published_counts(work / f"{repeats - 1}-{label}") for label in trees}
    first = next(iter(trees))
    for label, got in counts.items():
        if not got.equals(counts[first]):
            raise SystemExit(f"{label} and {first} publish different daily counts")
    cpu = {label: statistics.median(s.cpu for s in values) for label, values in samples.items()}
    rss = {label: statistics.median(s.rss for s in values) for label, values in samples.items()}
    load = os.getloadavg()
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/versus.py "
        + " ".join(f"{label}=TREE" for label in trees)
        + f" --posts {posts} --repeats {repeats}`, each TREE an export (`git archive`) of the "
        f"commit its label names (`this`: the tree the script runs from); {os.cpu_count()} cores, {date.today().isoformat()}, load average "
        f"at the end {load[0]:.1f} (1 min), {load[1]:.1f} (5 min). The demo's corpus "
        f"(`moodcast sample --posts {posts}`), `moodcast run --as-of {AS_OF}` with no sentence "
        "model, each tree's kernels compiled by a first run not counted, then the trees "
        f"alternated in {repeats} rounds. Every tree published the same `region = all, "
        "lang = all` daily counts.",
        "",
        "| tree | median CPU s | min–max CPU s | ÷ first | median wall s | min–max wall s "
        "| median peak RSS MiB | min–max | ÷ first |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, values in samples.items():
        walls = [s.wall for s in values]
        lines.append(
            f"| {label} | {cpu[label]:.2f} | {_range([s.cpu for s in values])} "
            f"| {cpu[label] / cpu[first]:.3f} | {statistics.median(walls):.2f} | {_range(walls)} "
            f"| {rss[label]:,.0f} | {_range([s.rss for s in values], 0)} "
            f"| {rss[label] / rss[first]:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "trees", nargs="+", metavar="LABEL=PATH", help="a tree to run; PATH '.' is this one"
    )
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--section", default="versus")
    args = parser.parse_args()
    trees = {}
    for item in args.trees:
        label, _, path = item.partition("=")
        trees[label] = ROOT if path in ("", ".") else Path(path).resolve()
    body = report(trees, args.posts, args.repeats)
    print(body)
    write_section(args.section, body)


if __name__ == "__main__":
    main()
