"""How often a week's and an 8-week period's 95% interval covers the true share, with author-days
taken as independent trials (before) and with authors as clusters (transforms.prevalence.
effective_trials, what a run publishes now).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/intervals.py [--replicates 2000] [--seed 7]

Simulates forum-like populations: each author posts on a day with a probability drawn from a
heavy-tailed distribution (days a week `min(7, 0.3 (1 + Pareto(1.2)))`: median about half a day
a week, a few every day), and is flagged on a day they post with their own propensity, drawn
from a Beta distribution of mean `share` and concentration 2 (clustered: flags come back with
the author), or equal for all (independent: the control). Per replicate, a fresh population of
`authors`; an author's days `d ~ Binomial(period days, q)`, flagged days
`f ~ Binomial(d, propensity)`, over the authors who posted (`d >= 1`): the cell's
`n_author_days`, `n_marked_author_days`, `n_authors` and CLUSTER_SUMS, and the Wilson interval
of the author-day share over the author-days (before), over the effective trials (now), and
over the effective trials raised to at least `n_authors` (the lower clip the design left open).
The true share is the population's expected share on an average day, `share` (days and
propensity independent). Writes the `intervals` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl

from benchmarks.results import write_section
from transforms.prevalence import effective_trials, wilson

PERIODS = {"week": 7, "8-week period": 56}
SCENARIOS = [
    (authors, share, clustered)
    for clustered in (True, False)
    for authors in (300, 3000)
    for share in (0.05, 0.2)
]
"""(authors in the population, true share, whether flags cluster by author)."""
CONCENTRATION = 2.0
"""The Beta concentration (a + b) of the authors' propensities where flags cluster."""


def simulate(days: int, authors: int, share: float, clustered: bool, replicates: int, rng):
    """One row per replicate: the cell's counts and CLUSTER_SUMS."""
    per_week = np.minimum(7.0, 0.3 * (1 + rng.pareto(1.2, (replicates, authors))))
    d = rng.binomial(days, per_week / 7)
    if clustered:
        a = share * CONCENTRATION
        propensity = rng.beta(a, CONCENTRATION - a, (replicates, authors))
    else:
        propensity = np.full((replicates, authors), share)
    f = rng.binomial(d, propensity)
    return pl.DataFrame(
        {
            "n_authors": (d > 0).sum(axis=1),
            "n_author_days": d.sum(axis=1),
            "n_marked_author_days": f.sum(axis=1),
            "d2": (d * d).sum(axis=1),
            "f2": (f * f).sum(axis=1),
            "fd": (f * d).sum(axis=1),
        }
    )


def coverage(cells: pl.DataFrame, share: float) -> dict[str, float]:
    """Coverage of `share` and median width of each interval over the replicates `cells`."""
    marked, days, n = (pl.col(c) for c in ("n_marked_author_days", "n_author_days", "n_authors"))
    sums = (pl.col("d2"), pl.col("f2"), pl.col("fd"))
    now = effective_trials(marked, days, n, sums)
    trials = {"before": days.cast(pl.Float64), "now": now, "clipped": pl.max_horizontal(now, n)}
    exprs = []
    for name, t in trials.items():
        _, lo, hi = wilson(marked / days * t, t)
        exprs += [
            ((lo <= share) & (share <= hi)).mean().alias(f"{name}_cover"),
            (hi - lo).median().alias(f"{name}_width"),
        ]
    exprs += [(days / n).mean().alias("days_per_author"), n.median().alias("authors")]
    return cells.select(exprs).row(0, named=True)


def report(replicates: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    lines = [
        f"Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/intervals.py --replicates "
        f"{replicates} --seed {seed}`",
        "",
        "Simulated forum-like cells (heavy-tailed days a week per author; flags clustered by "
        f"author: Beta propensities of concentration {CONCENTRATION:g}, or independent: one "
        f"propensity for all), {replicates:,} replicates each. Coverage of the true share by the "
        "95% Wilson interval of the author-day share over the author-days (before), over the "
        "effective trials of authors as clusters (now, what a run publishes), and over those "
        "raised to at least `n_authors`; median interval widths.",
        "",
        "| period | flags | authors in cell (median) | author-days per author | true share "
        "| coverage before | now | now, at least n_authors | width before | now |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for period, days in PERIODS.items():
        for authors, share, clustered in SCENARIOS:
            cells = simulate(days, authors, share, clustered, replicates, rng)
            r = coverage(cells, share)
            lines.append(
                f"| {period} | {'clustered' if clustered else 'independent'} "
                f"| {r['authors']:,.0f} | {r['days_per_author']:.2f} | {share:.0%} "
                f"| {r['before_cover']:.3f} | {r['now_cover']:.3f} | {r['clipped_cover']:.3f} "
                f"| {r['before_width']:.4f} | {r['now_width']:.4f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    body = report(args.replicates, args.seed)
    print(body)
    write_section("intervals", body)


if __name__ == "__main__":
    main()
