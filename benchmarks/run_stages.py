"""Where `moodcast run`'s CPU goes, stage by stage, besides the Beam job.

    .venv/bin/python benchmarks/run_stages.py [--posts 1000000]

Runs `moodcast run` in this process on benchmarks/pipeline.py's clean sample corpus (generated
once into benchmarks/.data), in a fresh data directory with `[models]` empty, as that benchmark
does, with each stage of moodcast.run wrapped in CPU clocks of the process and of its waited-for
children (statsforecast's worker processes): the ingest job (and inside it the pipeline's
construction, the chunks' JSON parsing, validation, `prepare` with its language
identification, pseudonyms and lexicon scan, the model scores, the decisions, the keying for
the shuffles, the blocks, the 8-week authors and the landing files' writing; what is left of
the job is Beam's own work and the reading of lines), the DuckDB load, the forecast step (and
inside it the model fits, the series that go down the fallback chain and the alert methods),
the exports. `rest` is the process's CPU outside them: imports,
the CLI, markers, the lock (counted from the start of this process, whose own imports
`moodcast run` makes too). A generator stage (keying, repeated ids, blocks) is drained where it
is called, so that its CPU is its own. Prints a table; the numbers are quoted in
docs/throughput.md.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import forecasting.chosen as chosen  # noqa: E402
import forecasting.pipeline as pipeline  # noqa: E402
import ingest.blocks as blocks  # noqa: E402
import ingest.chunks as chunks  # noqa: E402
import ingest.files as files  # noqa: E402
import ingest.landing as landing  # noqa: E402
import ingest.pipeline as ingest_pipeline  # noqa: E402
import moodcast.cli as cli  # noqa: E402
import moodcast.run as run  # noqa: E402
import transforms.posts as posts  # noqa: E402
from benchmarks.pipeline import AS_OF, corpora  # noqa: E402


def clocks() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its waited-for children."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed(module, name: str, label: str, spent: dict[str, list[float]]) -> None:
    """Wrap `module.name` so that its CPU seconds add up under `label` in `spent`; a generator
    function is drained inside the wrapper."""
    inner = getattr(module, name)
    drained = inspect.isgeneratorfunction(inner)
    spent.setdefault(label, [0.0, 0.0])

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        before = clocks()
        try:
            return list(inner(*args, **kwargs)) if drained else inner(*args, **kwargs)
        finally:
            after = clocks()
            spent[label][0] += after[0] - before[0]
            spent[label][1] += after[1] - before[1]

    setattr(module, name, wrapper)


JOB = (
    "  pipeline construction",
    "  keying for the shuffles",
    "  repeated ids",
    "  blocks",
    "  8-week authors",
    "  landing files written",
)
"""The job's stages besides the chunks' (which are labelled `  chunks: …`)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    args = parser.parse_args()
    clean, _ = corpora(args.posts, dirty=False)
    spent: dict[str, list[float]] = {}
    for module, name, label in (
        (run, "_ingest", "ingest job"),
        (ingest_pipeline, "build", "  pipeline construction"),
        (files, "parse_json_lines", "  chunks: JSON parsing"),
        (chunks, "validate", "  chunks: validation"),
        (chunks, "prepare", "  chunks: prepare"),
        (posts, "_detect_where", "    language identification"),
        (posts, "pseudonyms", "    pseudonyms"),
        (posts, "tag", "    lexicon scan"),
        (chunks.PrepareChunkFn, "_score", "  chunks: model scores (n-gram head)"),
        (chunks, "decided_posts", "  chunks: decisions"),
        (blocks, "key_posts", "  keying for the shuffles"),
        (blocks, "repeated_lines", "  repeated ids"),
        (blocks.AggregateBlockFn, "process", "  blocks"),
        (blocks, "count_authors", "  8-week authors"),
        (landing, "write_landing", "  landing files written"),
        (run, "load_landing", "DuckDB load"),
        (run, "forecast_step", "forecast step"),
        (chosen, "_fit", "  model fits"),
        (chosen, "_fallback", "  fallback chain"),
        (pipeline, "method_alerts", "  alert methods"),
        (run, "publish_exports", "exports"),
    ):
        timed(module, name, label, spent)
    os.environ.setdefault("MOODCAST_SECRET", "benchmark-key-" + "0" * 32)
    with tempfile.TemporaryDirectory() as data_dir:
        (Path(data_dir) / "config.toml").write_text("[models]\n")
        try:
            cli.cli(["run", str(clean), "--data-dir", data_dir, "--as-of", AS_OF])
        except SystemExit as exc:
            if exc.code:
                raise
    total = clocks()
    top = ("ingest job", "DuckDB load", "forecast step", "exports")
    rest = total[0] - sum(spent[label][0] for label in top)
    print(f"`benchmarks/run_stages.py --posts {args.posts}`: CPU s of this process / its children")
    print("| stage | process | children |\n| --- | ---: | ---: |")
    parts = [spent[label][0] for label in spent if label.startswith("  chunks") or label in JOB]
    for label, (own, children) in spent.items():
        print(f"| {label} | {own:.2f} | {children:.2f} |")
        if label == JOB[-1]:
            print(
                f"|   the rest (Beam, reading lines) | {spent['ingest job'][0] - sum(parts):.2f} | |"
            )
    print(f"| rest (imports, CLI, markers, lock) | {rest:.2f} | |")
    outside = sum(sum(spent[label]) for label in top[1:]) + rest
    print(f"\nOutside the job: {outside:.2f} CPU s; the job: {sum(spent['ingest job']):.2f}.")


if __name__ == "__main__":
    main()
