"""Posts per second of our lexicon tagger against VADER, Empath and NRCLex, on one core.

    POLARS_MAX_THREADS=1 .venv/bin/python benchmarks/lexicon.py [--posts 200000] [--peer-posts 20000]
        [--repeats 5] [--engine-before FILE] [--words-before FILE] [--code-before DIR]

All tools see the same posts: the texts of the sample corpus as generated (`moodcast sample`
defaults). Ours tags every shipped marker (18, English and Spanish) with the full matching
rules through `tag`, the call the Beam job makes, in batches of 20,000, with the markers
compiled once before timing (`compile_markers`, as a CLI call or a Beam worker does); `score`,
which also returns occurrence counts and intensities, is timed beside it. The peers score text
their own way (VADER: valence; Empath: its 194 categories, after lower-casing and stripping
punctuation as it needs; NRCLex: its affect frequencies from our tokens when its own tokeniser
cannot find its NLTK corpora offline). Peers are slow, so each is timed on the first
`--peer-posts` posts. Ours and VADER, the ratio's two sides, are each timed `--repeats` times,
interleaved, and their medians reported (one timing of ours lasts ~0.2 s, so a single run is at
the mercy of one hiccup); `score` `--repeats` times after them; Empath and NRCLex once. Times
are CPU seconds of the process (`time.process_time`, all its threads): on a shared machine
wall time measures the neighbours as much as the tagger. Throughput is posts per second and
nanoseconds per byte of UTF-8 text. Results go to benchmarks/RESULTS.md (`lexicon` section).

`--code-before DIR` does the same for a change around the scanner: DIR is another checkout
(`git archive REV | tar -x -C DIR`) whose transforms/markers/compiled.py and scan.py
functions are run in place of the current ones (same tags checked first).

`--engine-before FILE` compares a change of the scanner: FILE is another version of
transforms/markers/engine.py (`git show REV:transforms/markers/engine.py > FILE`) whose
`scan_posts` takes the same arguments (a version with `spaced` and `apart`; one that imports
the word splitter, transforms/markers/words.py, runs with this checkout's); `tag` is timed
with it and with the current one, alternating `--repeats` times in this process on the same
posts (same machine state), after checking that both give the same counts.

`--words-before FILE` does the same for a change of the word splitter: FILE is another version
of transforms/markers/words.py (`git show REV:transforms/markers/words.py > FILE`), run by a copy
of the current engine.py (its own numba cache: the current one holds the current splitter);
`score` (hits, counts and intensities) must give the same frame on every post first.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ["POLARS_MAX_THREADS"] = "1"

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402
from transforms.markers import CompiledMarkers, compile_markers, load_markers, score, tag  # noqa: E402
from transforms.markers import compiled as current_compiled  # noqa: E402
from transforms.markers import engine as current_engine  # noqa: E402
from transforms.markers import scan as scan_module  # noqa: E402


def corpus(posts: int) -> pl.DataFrame:
    out = ROOT / "benchmarks" / ".data" / f"lexicon-{posts}"
    if not (out / "posts.jsonl").exists():
        generate_sample(out, posts=posts, malformed_share=0.0)
    frame = pl.read_ndjson(out / "posts.jsonl", schema={"text": pl.String, "lang": pl.String})
    return frame.with_columns(pl.col("lang").str.slice(0, 2).fill_null("en"))


def ours(frame: pl.DataFrame, markers: CompiledMarkers) -> None:
    """`tag`, the Beam job's call: each marker's hit per post, in batches of 20,000."""
    for start in range(0, frame.height, 20_000):
        tag(frame.slice(start, 20_000), markers)


def ours_scored(frame: pl.DataFrame, markers: CompiledMarkers) -> None:
    """`score`: hits, occurrence counts and intensities per post, in batches of 20,000."""
    for start in range(0, frame.height, 20_000):
        score(frame.slice(start, 20_000), markers)


def vader(texts: list[str]) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for text in texts:
        analyzer.polarity_scores(text)


def empath(texts: list[str]) -> None:
    from empath import Empath

    lexicon = Empath()
    for text in texts:
        lexicon.analyze(re.sub(r"[^\w\s]", " ", text.lower()))


def nrclex(texts: list[str]) -> str:
    """NRCLex's affect frequencies per post; returns how it was fed. Its own tokeniser
    (`load_raw_text`) needs NLTK corpora; offline it falls back to our whitespace tokens."""
    from nrclex import NRCLex
    from textblob.exceptions import MissingCorpusError

    lexicon = NRCLex()
    try:
        lexicon.load_raw_text(texts[0])
        for text in texts:
            lexicon.load_raw_text(text)
        return "own tokeniser (`load_raw_text`)"
    except (LookupError, MissingCorpusError):
        for text in texts:
            lexicon.load_token_list(re.sub(r"[^\w\s]", " ", text.lower()).split())
        return (
            "`load_raw_text` cannot run offline (its NLTK corpora cannot be downloaded); "
            "timed with `load_token_list` on lower-cased whitespace tokens"
        )


def timed(fn, *args) -> tuple[float, object]:
    """CPU seconds of this process (all its threads) spent in `fn(*args)`, and its result: on
    a shared machine, wall time measures the neighbours as much as the tagger."""
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def median_seconds(runs: list[tuple[float, object]]) -> float:
    return statistics.median(seconds for seconds, _ in runs)


def _module(name: str, path: Path):
    """The Python file at `path`, imported as module `name` (in sys.modules: numba finds the
    module of a cached kernel there)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def scanners_compared(
    label: str, before_scan, frame: pl.DataFrame, markers: CompiledMarkers, repeats: int,
    *, every_post: bool = False,
) -> str:  # fmt: skip
    """`tag` with the scanner `before_scan` (a `scan_posts`) and with the current one,
    alternating `repeats` times, after checking that both tag the first 20,000 posts alike
    (with `every_post`: that `score` gives the same frame on all of them): a line for
    RESULTS.md with both medians and their ratio."""
    versions = {"before": before_scan, "now": current_engine.scan_posts}
    checked = frame if every_post else frame.head(20_000)
    check = score if every_post else tag
    results = {}
    for name, scan_posts in versions.items():
        scan_module.scan_posts = scan_posts
        results[name] = check(checked, markers)
    if not results["before"].equals(results["now"]):
        raise SystemExit(f"{label}: the posts are tagged differently before and now")
    runs: dict[str, list[tuple[float, object]]] = {name: [] for name in versions}
    for _ in range(repeats):
        for name, scan_posts in versions.items():
            scan_module.scan_posts = scan_posts
            runs[name].append(timed(ours, frame, markers))
    scan_module.scan_posts = current_engine.scan_posts
    before_s, now_s = median_seconds(runs["before"]), median_seconds(runs["now"])
    same = "same `score` on every post" if every_post else "same tags"
    return (
        f"{label}, `tag` alternating {repeats} times on the same {frame.height:,} posts "
        f"({same}): {before_s:.3f} and {now_s:.3f} CPU s, now ÷ before {now_s / before_s:.3f}."
    )


def engine_before(path: Path, frame: pl.DataFrame, markers: CompiledMarkers, repeats: int) -> str:
    """scanners_compared with the scanner of the engine.py at `path`."""
    before = _module("engine_before", path)
    label = f"Scanner before ({path.name}) and now"
    return scanners_compared(label, before.scan_posts, frame, markers, repeats)


def words_before(path: Path, frame: pl.DataFrame, markers: CompiledMarkers, repeats: int) -> str:
    """scanners_compared with the current engine over the word splitter of the words.py at
    `path`: a copy of engine.py imported while transforms.markers.words is that file."""
    words = _module("words_before", path)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "engine_words_before.py"
        copy.write_text(Path(current_engine.__file__).read_text(encoding="utf-8"), encoding="utf-8")
        current_words = sys.modules["transforms.markers.words"]
        sys.modules["transforms.markers.words"] = words
        try:
            engine = _module("engine_words_before", copy)
        finally:
            sys.modules["transforms.markers.words"] = current_words
        label = f"Word splitter before ({path.name}) and now"
        return scanners_compared(label, engine.scan_posts, frame, markers, repeats, every_post=True)


def code_before(tree: Path, frame: pl.DataFrame, markers: CompiledMarkers, repeats: int) -> str:
    """`tag` with the functions of `tree`'s transforms/markers/compiled.py and scan.py (another
    checkout) and with the current ones, alternating `repeats` times: a line for RESULTS.md
    with both medians and their ratio. The old functions see the current classes (a
    CompiledMarkers stays one), so only code that keeps those classes can be compared."""
    versions: dict[str, list[tuple[dict, dict]]] = {"before": [], "now": []}
    for module in (current_compiled, scan_module):
        path = tree / "transforms" / "markers" / f"{module.__name__.rsplit('.', 1)[1]}.py"
        namespace = dict(vars(module))
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        namespace.update((n, v) for n, v in vars(module).items() if inspect.isclass(v))
        names = [n for n, v in vars(module).items() if inspect.isfunction(v) and n in namespace]
        versions["before"].append((vars(module), {n: namespace[n] for n in names}))
        versions["now"].append((vars(module), {n: vars(module)[n] for n in names}))

    def use(version: str) -> None:
        for module_vars, functions in versions[version]:
            module_vars.update(functions)

    tagged = {}
    for version in versions:
        use(version)
        tagged[version] = tag(frame.head(20_000), markers)
    if not tagged["before"].equals(tagged["now"]):
        raise SystemExit(f"{tree} tags the posts differently from the current code")
    runs: dict[str, list[tuple[float, object]]] = {version: [] for version in versions}
    for _ in range(repeats):
        for version in versions:
            use(version)
            runs[version].append(timed(ours, frame, markers))
    use("now")
    before_s, now_s = median_seconds(runs["before"]), median_seconds(runs["now"])
    return (
        f"`tag` with the compiled.py and scan.py of {tree} (before) and now, alternating "
        f"{repeats} times on the same {frame.height:,} posts (same tags): {before_s:.3f} and "
        f"{now_s:.3f} CPU s, now ÷ before {now_s / before_s:.3f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--peer-posts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine-before", type=Path, default=None)
    parser.add_argument("--words-before", type=Path, default=None)
    parser.add_argument("--code-before", type=Path, default=None)
    args = parser.parse_args()
    load_1min, load_5min, _ = os.getloadavg()
    frame = corpus(args.posts)
    texts = frame.get_column("text").to_list()
    peers = texts[: args.peer_posts]
    markers = compile_markers(load_markers())
    ours(frame.head(2_000), markers)
    pairs = [(timed(ours, frame, markers), timed(vader, peers)) for _ in range(args.repeats)]
    scored = [timed(ours_scored, frame, markers) for _ in range(args.repeats)]
    rows = [
        ("moodcast lexicon tagger (18 markers, all rules; `tag`)", len(texts), texts,
         median_seconds([p[0] for p in pairs]), ""),
        ("VADER (vaderSentiment)", len(peers), peers, median_seconds([p[1] for p in pairs]), ""),
        ("moodcast `score` (hits, counts and intensities)", len(texts), texts,
         median_seconds(scored), ""),
    ]  # fmt: skip
    seconds, _ = timed(empath, peers)
    rows.append(("Empath", len(peers), peers, seconds, ""))
    seconds, how = timed(nrclex, peers)
    rows.append(("NRCLex", len(peers), peers, seconds, ""))
    lines = [
        f"`POLARS_MAX_THREADS=1 .venv/bin/python benchmarks/lexicon.py --posts {args.posts} "
        f"--peer-posts {args.peer_posts}` on one core of {os.cpu_count()}, Python "
        f"{platform.python_version()}, {date.today().isoformat()}. Load average before the run: "
        f"{load_1min:.1f} (1 min), {load_5min:.1f} (5 min). Ours and VADER: medians of "
        f"{args.repeats} interleaved timings in one run, so both share the machine's state.",
        "",
        "| tagger | posts | CPU s | posts/s | ns/byte |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    rates = {}
    for name, n, sample, secs, _ in rows:
        n_bytes = sum(len(t.encode("utf-8")) for t in sample)
        rates[name] = n / secs
        lines.append(
            f"| {name} | {n:,} | {secs:.2f} | {n / secs:,.0f} | {secs * 1e9 / n_bytes:.1f} |"
        )
    ratio = rates[rows[0][0]] / rates["VADER (vaderSentiment)"]
    lines += ["", f"**Ours ÷ VADER, posts per second: {ratio:.1f}×** (target ≥ 30×)."]
    lines.append(f"NRCLex: {how}.")
    if args.engine_before is not None:
        lines += ["", engine_before(args.engine_before, frame, markers, args.repeats)]
    if args.words_before is not None:
        lines += ["", words_before(args.words_before, frame, markers, args.repeats)]
    if args.code_before is not None:
        lines += ["", code_before(args.code_before, frame, markers, args.repeats)]
    write_section("lexicon", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
