"""`moodcast tag` end to end against VADER: marginal posts per second on one core.

    taskset -c 0 .venv/bin/python benchmarks/tag.py [--small 50000] [--large 250000]
        [--peer-posts 20000] [--repeats 3] [--configs default,lexicon] [--against DIR]

`moodcast tag` runs as its own process (start-up, reading, validation, language completion,
tagging, Parquet out) on the first `--small` and the first `--large` posts of the clean 1M
sample corpus (benchmarks/pipeline.py generates it), twice per size: with the default config
(model-confirmed markers embed the texts their rule sends to the sentence model) and with
`[models]` empty (no sentence model: lexicons, and the shipped n-gram heads, which need none);
`--configs` picks them; `--against DIR` adds the last of them with an earlier commit's code,
so a change is measured against the code before it in the same run. The marginal
rate, (large − small) ÷ (CPU s at large − CPU s at small), leaves out what does not grow with
the posts (imports, lexicon compilation, model loading). VADER (`polarity_scores`, text by text) scores the
first `--peer-posts` texts of the same corpus in this process. CPU seconds are the measure
(user + system, `wait4` for the tag processes): run the script under `taskset -c 0` so every
side has the same one core. Medians of `--repeats`, interleaved. Then, for where the time
goes, `tag_file` runs in this process at both sizes (`[models]` empty, after a warm-up) with
the function of each of STAGES timed on the CPU clock: a stage's marginal CPU µs a post is
the difference of its time at the two sizes over the difference in posts (PARTS: parts of
those stages, timed the same way), and the Python function calls of one `tag_file` call at
each size (cProfile). Results go to benchmarks/RESULTS.md (the `tag` section).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import BIN, corpora, measured  # noqa: E402
from benchmarks.results import write_section  # noqa: E402

CONFIGS = {
    "default": ("default config", None),
    "lexicon": ("no sentence model ([models] empty: lexicons, n-gram heads)", "[models]\n"),
}


def head(source: Path, posts: int, out: Path) -> Path:
    """The first `posts` lines of `source`, written to `out`."""
    with source.open("rb") as lines, out.open("wb") as target:
        target.writelines(itertools.islice(lines, posts))
    return out


def tag_cpu(posts: Path, data_dir: Path, config: str | None, code: Path | None = None) -> float:
    """CPU seconds of one `moodcast tag` process on `posts` (with the code in `code`, a
    checkout of another commit, on PYTHONPATH instead of this one)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (data_dir / "config.toml").write_text(config)
    out = data_dir / "tagged.parquet"
    other = ["env", f"PYTHONPATH={code}"] if code else []
    sample, _ = measured(
        [
            *other,
            str(BIN / "moodcast"),
            "tag",
            str(posts),
            "-o",
            str(out),
            "--data-dir",
            str(data_dir),
        ]
    )
    return sample.cpu


STAGES = {
    "reading JSON Lines (ingest.files.read_file)": ("moodcast.tagging", "read_file"),
    "validation (transforms.records.validate)": ("moodcast.tagging", "validate"),
    "languages (with_languages)": ("moodcast.tagging", "with_languages"),
    "lexicon scan (transforms.markers.score)": ("transforms.model_markers", "score"),
    "n-gram heads (model_scores: distinct texts, hashing, weights)": (
        "transforms.model_markers",
        "model_scores",
    ),
    "model texts (model_texts)": ("transforms.model_markers", "model_texts"),
    "decide": ("transforms.model_markers", "decide"),
    "Parquet out (write_table)": ("pyarrow.parquet", "ParquetWriter.write_table"),
}
"""Stage → the function `tag_file` calls for it (module, attribute path), timed on the CPU
clock while it runs (a generator: while it makes each item)."""
PARTS = {
    "of reading: cutting blocks into lines (line_buffers)": ("ingest.lines", "FileLines.line_buffers"),
    "of reading: the plain_lines check": ("transforms.json_lines", "plain_lines"),
    "of reading: polars.read_ndjson": ("polars", "read_ndjson"),
    "of languages: identifying posts without `lang`": ("moodcast.tagging", "complete_languages"),
    "of the lexicon scan: the compiled scanner (scan_posts)": ("transforms.markers.scan", "scan_posts"),
    "of the n-gram heads: the compiled pass (_logits)": ("transforms.ngram_hashing", "_logits"),
}  # fmt: skip
"""Parts of STAGES timed the same way, inside them (so not in the sum)."""


def _timed(function, totals: dict[str, float], stage: str):
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            result = function(*args, **kwargs)
        finally:
            totals[stage] += time.process_time() - start
        return _timed_items(result, totals, stage) if inspect.isgenerator(result) else result

    return timed


def _timed_items(items, totals: dict[str, float], stage: str):
    while True:
        start = time.process_time()
        try:
            item = next(items)
        except StopIteration:
            totals[stage] += time.process_time() - start
            return
        totals[stage] += time.process_time() - start
        yield item


def stage_cpu(posts: Path, out: Path) -> dict[str, float]:
    """CPU seconds of each of STAGES, and `total`, in one `tag_file` call on `posts`."""
    from moodcast.tagging import tag_file
    from transforms.markers import load_markers, supported_languages
    from transforms.model_markers import ModelConfig
    from transforms.text import LanguageRule

    markers = load_markers()
    rule = LanguageRule(languages=tuple(sorted(supported_languages(markers))), default=None)
    totals = dict.fromkeys([*STAGES, *PARTS], 0.0)
    originals = []
    for stage, (module, path) in {**STAGES, **PARTS}.items():
        *owners, name = path.split(".")
        owner = functools.reduce(getattr, owners, importlib.import_module(module))
        originals.append((owner, name, getattr(owner, name)))
        setattr(owner, name, _timed(getattr(owner, name), totals, stage))
    try:
        start = time.process_time()
        tag_file(posts, out, markers, config=ModelConfig(models={}), rule=rule)
        totals["total"] = time.process_time() - start
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    return totals


def stage_lines(files: dict[int, Path], repeats: int, work_dir: Path) -> list[str]:
    """The `tag_file` stage table (medians of `repeats` at each size in `files`)."""
    small, large = sorted(files)
    stage_cpu(files[small], work_dir / "warm-up.parquet")
    runs = {
        n: [stage_cpu(files[n], work_dir / f"{n}.parquet") for _ in range(repeats)] for n in files
    }
    cost = {}
    for stage in [*STAGES, *PARTS, "total"]:
        values = [statistics.median(run[stage] for run in runs[n]) for n in (small, large)]
        cost[stage] = (values[1] - values[0]) / (large - small) * 1e6
    rows = [f"| {stage} | {cost[stage]:.2f} |" for stage in STAGES]
    rows += [f"| ({stage}) | ({cost[stage]:.2f}) |" for stage in PARTS]
    other = cost["total"] - sum(cost[stage] for stage in STAGES)
    calls = {n: python_calls(files[n], work_dir / f"calls-{n}.parquet") for n in files}
    return [
        f"Where the marginal time goes: `tag_file` in this process, `[models]` empty, each"
        f" stage's function timed on the CPU clock, {small:,} and {large:,} posts, medians of"
        f" {repeats}:",
        "",
        "| stage | marginal CPU µs a post |",
        "| --- | ---: |",
        *rows,
        f"| everything else (batching, output columns, ...) | {other:.2f} |",
        f"| **total** | **{cost['total']:.2f}** |",
        "",
        f"Python function calls (cProfile) in one `tag_file` call: {calls[small]:,} at"
        f" {small:,} posts, {calls[large]:,} at {large:,}:"
        f" {(calls[large] - calls[small]) / (large - small):.2f} a post at the margin.",
    ]


def python_calls(posts: Path, out: Path) -> int:
    """How many Python function calls one `tag_file` call on `posts` makes (cProfile)."""
    import cProfile
    import pstats

    from moodcast.tagging import tag_file
    from transforms.markers import compile_markers, load_markers, supported_languages
    from transforms.model_markers import ModelConfig
    from transforms.text import LanguageRule

    markers = compile_markers(load_markers())
    rule = LanguageRule(languages=tuple(sorted(supported_languages(markers))), default=None)
    profile = cProfile.Profile()
    profile.runcall(tag_file, posts, out, markers, config=ModelConfig(models={}), rule=rule)
    return pstats.Stats(profile).total_calls


def vader_rate(texts: list[str]) -> float:
    """VADER's posts per CPU second over `texts`."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    start = time.process_time()
    for text in texts:
        analyzer.polarity_scores(text)
    return len(texts) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=250_000)
    parser.add_argument("--peer-posts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default="default,lexicon")
    parser.add_argument(
        "--against", type=Path, metavar="DIR",
        help="also time `moodcast tag` (the configs' last) with the code of DIR, a checkout of "
        "an earlier commit (e.g. `git archive REV | tar -x -C DIR`), interleaved",
    )  # fmt: skip
    args = parser.parse_args()
    configs = [CONFIGS[name] for name in args.configs.split(",")]
    if args.against:
        configs.append((f"{CONFIGS[args.configs.split(',')[-1]][0]}, code of {args.against.name}",
                        configs[-1][1], args.against))  # fmt: skip
    import orjson

    clean, _ = corpora(1_000_000, dirty=False)
    with clean.open("rb") as lines:
        texts = [orjson.loads(line)["text"] for line in itertools.islice(lines, args.peer_posts)]
    cpu: dict[tuple[str, int], list[float]] = {}
    vader: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        files = {n: head(clean, n, work / f"posts-{n}.jsonl") for n in (args.small, args.large)}
        for repeat in range(args.repeats):
            for (index, (name, config, *code)), n in itertools.product(enumerate(configs), files):
                data_dir = work / f"data-{repeat}-{n}-{index}"
                cpu.setdefault((name, n), []).append(tag_cpu(files[n], data_dir, config, *code))
            vader.append(vader_rate(texts))
        stages = stage_lines(files, args.repeats, work)
    peer = statistics.median(vader)
    load = os.getloadavg()
    lines = [
        f"`taskset -c 0 .venv/bin/python benchmarks/tag.py --small {args.small} --large"
        f" {args.large} --peer-posts {args.peer_posts} --repeats {args.repeats} --configs"
        f" {args.configs}{f' --against {args.against}' if args.against else ''}` on one core,"
        f" Python {platform.python_version()}, {date.today().isoformat()}. Load average at the"
        f" end: {load[0]:.1f} (1 min): the machine was shared, so CPU seconds, medians of"
        f" {args.repeats}.",
        "",
        f"| what | CPU s at {args.small:,} | CPU s at {args.large:,} | marginal posts/s (CPU)"
        " | ÷ VADER |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, *_ in configs:
        small = statistics.median(cpu[(name, args.small)])
        large = statistics.median(cpu[(name, args.large)])
        rate = (args.large - args.small) / (large - small)
        lines.append(
            f"| `moodcast tag`, {name} | {small:.2f} | {large:.2f} | {rate:,.0f} |"
            f" {rate / peer:.1f}× |"
        )
    lines.append(
        f"| VADER `polarity_scores` ({args.peer_posts:,} texts) | | | {peer:,.0f} | 1.0× |"
    )
    if args.against:
        lines += [
            "",
            f"`code of {args.against.name}`: the same command with the tree of commit"
            f" {args.against.name} on PYTHONPATH (`git archive {args.against.name} | tar -x -C"
            " DIR`), interleaved with this code's runs.",
        ]
    lines += ["", "Target (issue 15): `moodcast tag` marginal ≥ 30× VADER on one core.", ""]
    lines += stages
    write_section("tag", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
