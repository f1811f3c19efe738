"""benchmarks.release_fuzz's attacker against daily releases across a week in progress.

    python -m benchmarks.release_fuzz_days [--seeds 30] [--regions 4] [--weeks 52]
        [--releases 9] [--write]

release_fuzz's releases each end on a Sunday, so none holds a week in progress. Here, per
seed, `--regions` regions × languages en and es (sizes and shares drawn as release_fuzz
draws them) with `--weeks` weeks of history are released once a day, `--releases` times,
from the Monday after them on (the first release holds that Monday only, its week in
progress); before each release after the first, 2 small cells (0 < flagged < k) of the day
before gain 1–3 late flagged authors. `product`: a real warehouse file per seed
(release_fuzz.product_releases); `naive`: each release on its own. The attacker
(release_fuzz.attack) reports each true small cell value and each small change it recovers
exactly; utility: withheld rows over the releases and those of `all`/`all`.

Writes the `release-fuzz-days` section of benchmarks/RESULTS.md. Reads no text; counts only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks import release_fuzz as rf
from benchmarks.results import write_section
from transforms.privacy import DEFAULT_K

LATE = 2
"""Small cells of the day before each later release that gain 1–3 late flagged authors."""


def scenario(seed: int, *, regions: int, weeks: int, releases: int) -> list[rf.Cut]:
    """The daily releases of seed `seed` (the module's docstring)."""
    rng = np.random.default_rng(seed)
    leaves = [(f"r{i}", lang) for i in range(regions) for lang in rf.LANGS]
    size = np.exp(rng.uniform(np.log(3), np.log(400), len(leaves)))
    share = np.exp(rng.uniform(np.log(0.01), np.log(0.15), len(leaves)))
    authors = rng.poisson(size[:, None], (len(leaves), weeks * 7 + releases))
    marked = rng.binomial(authors, share[:, None])
    cuts = []
    for i in range(releases):
        days = weeks * 7 + 1 + i
        if i:
            day = days - 2
            small = np.flatnonzero((marked[:, day] > 0) & (marked[:, day] < DEFAULT_K))
            for leaf in rng.choice(small, min(LATE, len(small)), replace=False):
                extra = rng.integers(1, 4)
                authors[leaf, day] += extra
                marked[leaf, day] += extra
        cuts.append(rf.cut_of(leaves, authors[:, :days].copy(), marked[:, :days].copy()))
    return cuts


def fuzz(seed: int, *, regions: int, weeks: int, releases: int) -> dict[str, dict]:
    """One seed: per variant (`product`, `naive`), what the attacker recovers and the
    withheld rows."""
    cuts = scenario(seed, regions=regions, weeks=weeks, releases=releases)
    with tempfile.TemporaryDirectory(prefix="moodcast-fuzz-days-") as tmp:
        product = rf.product_releases(cuts, Path(tmp))
    out = {}
    for name, shown in (("product", product), ("naive", rf.naive_releases(cuts))):
        found, changes = rf.attack(cuts, shown)
        out[name] = {"values": found.height, "changes": changes.height, **rf.utility(cuts, shown)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--releases", type=int, default=9)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    clock = time.process_time()
    got: dict[str, list[dict]] = {"product": [], "naive": []}
    for seed in range(args.seeds):
        result = fuzz(seed, regions=args.regions, weeks=args.weeks, releases=args.releases)
        for name, row in result.items():
            got[name].append(row)
        print(seed, result, flush=True)
    seconds = time.process_time() - clock
    lines = [
        "| publishing | small cells recovered | small changes recovered | seeds with a recovery "
        "| withheld rows | of `all`/`all` |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {sum(r['values'] for r in rows):,} | {sum(r['changes'] for r in rows):,} "
            f"| {sum(bool(r['values'] or r['changes']) for r in rows)} of {args.seeds} "
            f"| {sum(r['withheld'] for r in rows):,} | {sum(r['all_withheld'] for r in rows):,} |"
            for name, rows in got.items()
        ),
    ]
    command = (
        f"python -m benchmarks.release_fuzz_days --seeds {args.seeds} --regions {args.regions} "
        f"--weeks {args.weeks} --releases {args.releases} --write"
    )
    body = "\n".join(
        [
            f"`{command}`, {date.today()}, k = {DEFAULT_K}, ISO weeks, {seconds:.0f} CPU s in "
            f"all: {args.releases} daily releases from the Monday after {args.weeks} weeks of "
            f"history, {args.regions} regions × {len(rf.LANGS)} languages and their roll-ups, "
            f"{LATE} small cells of the day before each later release given 1–3 late flagged "
            "authors; release_fuzz's attacker and utility (its module docstring).",
            "",
            *lines,
        ]
    )
    print(body)
    if args.write:
        write_section("release-fuzz-days", body)


if __name__ == "__main__":
    main()
