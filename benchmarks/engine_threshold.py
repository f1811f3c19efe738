"""Where `engine="auto"` should leave the reference paths: CPU seconds of a fresh `moodcast tag`
(the CLI a user runs, languages identified) of tiny, typical and long posts at several row
counts, with every stage forced onto the reference paths, forced onto the compiled ones, and as
`auto` chooses with this tree's transforms.engines thresholds, in the same run.

    .venv/bin/python benchmarks/engine_threshold.py [--repeats 3]

Each side is a fresh interpreter running this tree's CLI (`python -c`, the tree first on the
path, as benchmarks/startup.py runs it), timed by its CPU time (user + system, from
`resource.getrusage(RUSAGE_CHILDREN)`). The forced sides set transforms.engines.COMPILED_FROM
and COMPILED_FROM_BYTES before the CLI runs (0 for compiled, never reached for reference), so
every stage of the command takes that path; `auto` leaves them as they are. The numba kernel
cache (NUMBA_CACHE_DIR) and the user's cache (XDG_CACHE_HOME, py3langid's decompressed model)
are temporary folders filled by one untimed run of the smallest input's sides first, so the timed
runs load kernels and never compile them, as an installed moodcast does. The sides run interleaved,
`--repeats` times each. Each run also reports whether it loaded numba, which shows the path
`auto` took. Results go to benchmarks/RESULTS.md (`engine-threshold`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import table_head, table_row, write_section  # noqa: E402
from benchmarks.startup import COMMAND, SENTENCES, cpu_seconds, tag_input  # noqa: E402
from transforms.engines import COMPILED_FROM, COMPILED_FROM_BYTES  # noqa: E402

TINY = (
    "so tired",
    "cant sleep again",
    "love this",
    "feeling low today",
    "ugh mondays",
    "miss you",
    "so anxious rn",
    "good morning all",
)
SIZES = {
    "tiny": (lambda i: TINY[i % len(TINY)], (1_000, 5_000, 10_000, 15_000, 30_000)),
    "typical": (
        lambda i: f"{SENTENCES[i % len(SENTENCES)]} {SENTENCES[(i * 3 + 1) % len(SENTENCES)]}",
        (1_000, 2_000, 3_000, 5_000),
    ),
    "long": (
        lambda i: " ".join(
            SENTENCES[(i * 7 + j * (i % 10 + 1)) % len(SENTENCES)] for j in range(12)
        ),
        (250, 500, 750, 1_000),
    ),
}
"""Each size: the text of post i, and the row counts timed."""
SIDES = {
    "reference": (10**12, 10**15),
    "compiled": (0, 0),
    "auto": None,
}
"""Each side: the COMPILED_FROM and COMPILED_FROM_BYTES it sets, or None to leave them."""


def command(side: tuple[int, int] | None, posts: Path, folder: Path) -> list[str]:
    """The `python -c` command of `moodcast tag` of `posts` on one side (startup.py's, which
    ends by printing `numba` to stderr where it was loaded)."""
    overrides = (
        "import transforms.engines as engines\n"
        f"engines.COMPILED_FROM = {side[0]}\nengines.COMPILED_FROM_BYTES = {side[1]}\n"
        if side
        else "import transforms.engines\n"
    )
    args = ["tag", str(posts), "-o", str(folder / "tagged.parquet")]
    args += ["--data-dir", str(folder / "data")]
    return [sys.executable, "-c", overrides + COMMAND.format(args=args, heavy=("numba",))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()
    cells: list[tuple[str, int, float]] = []
    times: dict[tuple[int, str], list[float]] = {}
    paths: dict[tuple[int, str], str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NUMBA_CACHE_DIR"] = str(Path(tmp) / "numba")
        cache = Path(tmp) / "user-cache"
        runs = []
        for size, (text, counts) in SIZES.items():
            for rows in counts:
                folder = Path(tmp) / f"{size}-{rows}"
                folder.mkdir()
                texts = [text(i) for i in range(rows)]
                mean_bytes = sum(len(t.encode()) for t in texts) / rows
                cells.append((size, rows, mean_bytes))
                posts = tag_input(folder, texts)
                for name, side in SIDES.items():
                    runs.append(((len(cells) - 1, name), command(side, posts, folder)))
        for _, argv in runs[: len(SIDES)]:
            cpu_seconds(argv, tree=ROOT, cache=cache)
        for _ in range(args.repeats):
            for key, argv in runs:
                seconds, last = cpu_seconds(argv, tree=ROOT, cache=cache)
                times.setdefault(key, []).append(seconds)
                paths[key] = last
    after = os.getloadavg()
    median = {key: statistics.median(t) for key, t in times.items()}
    rows = []
    for index, (size, count, mean_bytes) in enumerate(cells):
        reference, compiled = median[index, "reference"], median[index, "compiled"]
        rows.append(
            table_row(
                [
                    size,
                    f"{count:,}",
                    f"{mean_bytes:.0f}",
                    f"{count * mean_bytes / 1000:,.0f}",
                    f"{reference:.2f}",
                    f"{compiled:.2f}",
                    f"{median[index, 'auto']:.2f}",
                    "compiled" if paths[index, "auto"] == "numba" else "reference",
                    f"{compiled / reference:.2f}",
                ]
            )
        )
    body = "\n".join(
        [
            f"`.venv/bin/python benchmarks/engine_threshold.py --repeats {args.repeats}` on "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average (1 min) "
            f"{load[0]:.1f} before, {after[0]:.1f} after. CPU s (user + system) of a fresh "
            "`moodcast tag` of the posts (languages identified), median of "
            f"{args.repeats} interleaved runs a side, kernels and py3langid's model cached "
            "(one untimed run of the first input's sides first). `reference` and `compiled` force every stage onto "
            "that path; `auto` is this tree's rule (COMPILED_FROM = "
            f"{COMPILED_FROM:,} rows, COMPILED_FROM_BYTES = {COMPILED_FROM_BYTES:,}), `auto "
            "takes` whether it loaded numba.",
            "",
            *table_head(
                ["posts"],
                [
                    "rows",
                    "bytes a post",
                    "text KB",
                    "reference CPU s",
                    "compiled CPU s",
                    "auto CPU s",
                    "auto takes",
                    "compiled / reference",
                ],
            ),
            *rows,
        ]
    )
    write_section("engine-threshold", body)
    print(body)


if __name__ == "__main__":
    main()
