"""CPU cost of the test suite's shared run (`published_run` in tests/conftest.py): one
`moodcast run` of the small sample corpus with lexicon markers only (`models = {}`, what the
fixture uses) against the same run with the default settings (its peer: the shipped n-gram
head decides suicide_risk; no default marker needs the sentence model).

    .venv/bin/python benchmarks/fixture_cost.py [--posts 12000]

Each side runs in a fresh process, timed by its CPU time (user + system, with its forecasting
workers) from `resource.getrusage(RUSAGE_CHILDREN)`: wall-clock time on a shared machine says
more about the neighbours than about us. Results go to benchmarks/RESULTS.md (`fixture_cost`).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from benchmarks.small_run import LEXICON_ONLY, SMALL  # noqa: E402

RUN = (
    "import sys\n"
    "from pathlib import Path\n"
    "from moodcast.config import load_settings\n"
    "from moodcast.run import daily_run\n"
    "from benchmarks.small_run import AS_OF\n"
    "daily_run([sys.argv[1]], settings=load_settings(Path(sys.argv[2])), as_of=AS_OF,"
    " beam_args=[])\n"
)


def cpu_of(command: list[str]) -> float:
    """CPU seconds (user + system) that `command` and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    env.setdefault("MOODCAST_SECRET", "fixture-cost-benchmark-secret-0123456789")
    subprocess.run(command, check=True, env=env, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=12_000)
    args = parser.parse_args()
    from moodcast.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate_sample(work / "corpus", **{**SMALL, "posts": args.posts})
        rows = []
        for side, config in (
            ("lexicon only (the fixture)", LEXICON_ONLY),
            ("default settings (peer)", ""),
        ):
            data = work / side.split()[0]
            data.mkdir()
            (data / "config.toml").write_text(config)
            posts = str(work / "corpus" / "posts.jsonl")
            rows.append((side, cpu_of([sys.executable, "-c", RUN, posts, str(data)])))
    load = os.getloadavg()[0]
    lexicon, model = rows[0][1], rows[1][1]
    body = (
        f"`.venv/bin/python benchmarks/fixture_cost.py --posts {args.posts}` on {os.cpu_count()} "
        f"cores; load average before the run: {load:.1f}. CPU time (user + system, with "
        "forecasting workers) of one `moodcast run` of the small sample corpus, in a fresh "
        "process.\n\n| side | CPU s |\n| --- | ---: |\n"
        + "".join(f"| {side} | {cpu:.1f} |\n" for side, cpu in rows)
        + f"\n**The shared test run costs {lexicon:.1f} s of CPU with lexicon markers only, "
        f"{model:.1f} s with the default settings** ({model / lexicon:.2f}×)."
    )
    write_section("fixture_cost", body)
    print(body)


if __name__ == "__main__":
    main()
