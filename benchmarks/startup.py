"""CPU time of `moodcast --help`, `moodcast tag --help` and `moodcast tag` of a few posts and of
many long ones, against bare Python and, optionally, an earlier commit.

    .venv/bin/python benchmarks/startup.py [--repeats 15] [--before REF]

Each side is a fresh interpreter process, timed by the CPU time (user + system) it used, read
from `resource.getrusage(RUSAGE_CHILDREN)`: wall-clock time on a shared machine says more about
the neighbours than about us. Every side runs once untimed first (a tree's first `tag` compiles
its marker kernels into its own cache), then the sides run interleaved, `--repeats` times each,
so they share the machine's state. Sides:

- `python -c pass`: the peer, what any Python command costs;
- for this tree (the entry point `moodcast.cli:cli`) and for `--before REF` (a commit of this
  repository, extracted with `git archive` into a temporary directory), when given:
  `moodcast --help`, `moodcast tag --help`, `moodcast tag` of TAG_POSTS synthetic English
  posts (a command that loads settings and markers and forecasts nothing; with `--lang en`,
  then without, so that it loads py3langid's model and identifies their languages), of
  LONG_POSTS long ones (whose languages it identifies), and the refusals of a first run's wrong
  input: a path that names no file, a file of no usable post;

and, for each, which of HEAVY it left imported. Results go to benchmarks/RESULTS.md (`startup`).
"""

from __future__ import annotations

import argparse
import json
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

HEAVY = (
    "statsforecast",
    "statsmodels",
    "scipy.sparse",
    "scipy.stats",
    "torch",
    "numba",
    "onnxruntime",
    "sentence_transformers",
    "apache_beam",
)
COMMAND = (
    "import sys\n"
    "from moodcast.cli import cli\n"
    "try:\n"
    "    cli({args!r})\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
)
TAG_POSTS = 20
"""Posts in the input of the timed `moodcast tag`."""
LONG_POSTS = 999
"""Posts in the input of the timed `moodcast tag` of long posts: fewer than
transforms.engines.COMPILED_FROM, each of LONG_SENTENCES sentences (~780 bytes, a Reddit
post's length), without `--lang`, so language identification runs too."""
LONG_SENTENCES = 12
SENTENCES = (
    "I feel so sad and lonely today, nothing helps",
    "A lovely sunny morning in the park",
    "Work has been piling up for weeks and I can't sleep properly any more.",
    "My sister says I should talk to someone, but I don't know where to start.",
    "We finally fixed the kitchen sink after three attempts and a lot of swearing.",
    "Does anyone have tips for staying focused while studying for exams?",
    "The new job pays better, yet every Sunday evening I dread Monday.",
    "I have been running every morning and it honestly helps my mood.",
    "Rent went up again and I am worried about making it to the end of the month.",
    "Thanks to everyone who replied last time, your kindness meant a lot.",
    "Some days I just want to stay in bed and not answer any messages.",
)


def tag_input(folder: Path, texts: list[str]) -> Path:
    """A JSONL file of posts of `texts` under `folder`."""
    path = folder / f"posts-{len(texts)}.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": "2025-03-01T12:00:00Z", "text": text}) + "\n"
            for i, text in enumerate(texts)
        )
    )
    return path


def unusable(folder: Path) -> Path:
    """A JSON Lines file under `folder` whose records name no Post field (a first run's wrong
    file: refused with advice read from its first record)."""
    path = folder / "unusable.jsonl"
    path.write_text(
        "".join(json.dumps({"uuid": str(i), "body": "so sad"}) + "\n" for i in range(5))
    )
    return path


def long_texts() -> list[str]:
    """LONG_POSTS texts of LONG_SENTENCES of SENTENCES each, in varied orders."""
    n = len(SENTENCES)
    return [
        " ".join(SENTENCES[(i * 7 + j * (i % 10 + 1)) % n] for j in range(LONG_SENTENCES))
        for i in range(LONG_POSTS)
    ]


def commands(python: str, folder: Path) -> dict[str, list[str]]:
    """The timed commands of one tree, by label; `folder` holds its tag inputs and outputs."""
    out = ["-o", str(folder / "tagged.parquet"), "--data-dir", str(folder / "data")]
    short = tag_input(folder, [SENTENCES[i % 2] for i in range(TAG_POSTS)])
    long = tag_input(folder, long_texts())
    return {
        label: [python, "-c", COMMAND.format(args=args, heavy=HEAVY)]
        for label, args in (
            ("moodcast --help", ["--help"]),
            ("moodcast tag --help", ["tag", "--help"]),
            (f"moodcast tag ({TAG_POSTS} posts)", ["tag", str(short), "--lang", "en", *out]),
            (f"moodcast tag ({TAG_POSTS} posts, languages identified)", ["tag", str(short), *out]),
            (f"moodcast tag ({LONG_POSTS} long posts)", ["tag", str(long), *out]),
            ("moodcast tag (a path that names no file)", ["tag", str(folder / "none.jsonl"), *out]),
            ("moodcast tag (a file of no usable post)", ["tag", str(unusable(folder)), *out]),
        )
    }


def cpu_seconds(command: list[str], *, tree: Path | None, cache: Path) -> tuple[float, str]:
    """CPU seconds (user + system) of one run of `command` in `tree` (first on the path, as
    `python -c` puts the current directory first) with `cache` as the user's cache directory
    (XDG_CACHE_HOME: the first run fills it, as a user's first command does), and its last
    stderr line (empty where it is)."""
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else dict(os.environ)
    env["XDG_CACHE_HOME"] = str(cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, done.stderr.removesuffix("\n").rpartition("\n")[2]


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
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "user-cache"
        trees = {"this tree": ROOT}
        if args.before:
            trees[f"at {args.before}"] = extract(args.before, Path(tmp))
        sides: dict[str, tuple[list[str], Path | None]] = {
            "python -c pass (peer)": ([python, "-c", "pass"], None)
        }
        for name, tree in trees.items():
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            timed = commands(python, folder)
            for label, command in timed.items():
                sides[f"{label} ({name})"] = (command, tree)
        for command, tree in sides.values():
            cpu_seconds(command, tree=tree, cache=cache)
        times: dict[str, list[float]] = {name: [] for name in sides}
        loaded: dict[str, str] = {}
        for _ in range(args.repeats):
            for name, (command, tree) in sides.items():
                seconds, last = cpu_seconds(command, tree=tree, cache=cache)
                times[name].append(seconds)
                loaded[name] = last
    peer = statistics.median(times["python -c pass (peer)"])
    median = {name: statistics.median(t) for name, t in times.items()}
    rows = [
        f"| {name} | {median[name]:.3f} | {min(t):.3f} | {max(t):.3f} | "
        f"{median[name] - peer:.3f} | "
        f"{'—' if name.startswith('python') else (loaded[name].replace(',', ', ') or 'none')} |"
        for name, t in times.items()
    ]
    ours = median["moodcast --help (this tree)"]
    summary = [
        f"**`moodcast --help`: {ours:.2f} s of CPU** (target < 0.5 s); "
        f"{ours / peer:.1f}× bare Python."
    ]
    if args.before:
        summary += [
            f"`{label}`: {median[f'{label} (this tree)']:.2f} s, "
            f"at {args.before} {median[f'{label} (at {args.before})']:.2f} s."
            for label in timed
            if label != "moodcast --help"
        ]
    body = "\n".join(
        [
            f"`.venv/bin/python benchmarks/startup.py --repeats {args.repeats}"
            + (f" --before {args.before}`" if args.before else "`")
            + f" on {os.cpu_count()} cores, Python {platform.python_version()}. Load average "
            f"before the run: {load[0]:.1f} (1 min). CPU time (user + system) of a fresh process, "
            f"{args.repeats} interleaved runs per side after one untimed run each.",
            "",
            "| side | median CPU s | min | max | above the peer (median) | heavy modules loaded |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *rows,
            "",
            " ".join(summary),
        ]
    )
    write_section("startup", body)
    print(body)


if __name__ == "__main__":
    main()
