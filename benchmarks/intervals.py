"""How often a week's and an 8-week period's 95% interval covers the true share, with author-days
(or posts) taken as independent trials (before) and with authors as clusters (transforms.
prevalence.effective_trials and effective_posts, what a run publishes now), and two small-sample
corrections tried on the author-day share (not adopted: see docs/prevalence.md).

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
over the effective trials raised to at least `n_authors` (the lower clip the design left open);
beside them, over the effective trials, Wilson with a t quantile on `n_authors - 1` degrees of
freedom, and Korn and Graubard's (1998) Clopper-Pearson interval on the effective trials scaled
by `(z / t)²`. Posts: on each of their days an author writes `1 + Poisson(r)` posts, `r =
min(10, 0.5 Pareto(1.5))` drawn per author (heavy-tailed: most write one a day, a few dozens),
each flagged with the author's propensity (drawn from a second generator, so the author-day
draws are those of earlier runs): the post share's Wilson interval over `n_scored` (before) and
over the effective posts of POST_CLUSTER_SUMS (now), and Korn-Graubard's on those. The true share is the population's expected
share, `share` (days, posts and propensity independent). Widths are means over the replicates.
Writes the `intervals` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl
from scipy import stats

from benchmarks.results import write_section
from transforms.contracts import POST_CLUSTER_SUMS, POST_CLUSTERS
from transforms.prevalence import Z_95, effective_posts, effective_trials, wilson

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


def simulate(
    days: int, authors: int, share: float, clustered: bool, replicates: int, rng, post_rng
):
    """One row per replicate: the cell's counts, CLUSTER_SUMS (`d2`, `f2`, `fd`),
    POST_CLUSTER_SUMS and POST_CLUSTERS (its authors: every post has one)."""
    per_week = np.minimum(7.0, 0.3 * (1 + rng.pareto(1.2, (replicates, authors))))
    d = rng.binomial(days, per_week / 7)
    if clustered:
        a = share * CONCENTRATION
        propensity = rng.beta(a, CONCENTRATION - a, (replicates, authors))
    else:
        propensity = np.full((replicates, authors), share)
    f = rng.binomial(d, propensity)
    extra = np.minimum(10.0, 0.5 * post_rng.pareto(1.5, (replicates, authors)))
    s = d + post_rng.poisson(d * extra)
    m = post_rng.binomial(s, propensity)
    return pl.DataFrame(
        {
            "n_authors": (d > 0).sum(axis=1),
            POST_CLUSTERS: (d > 0).sum(axis=1),
            "n_author_days": d.sum(axis=1),
            "n_marked_author_days": f.sum(axis=1),
            "d2": (d * d).sum(axis=1),
            "f2": (f * f).sum(axis=1),
            "fd": (f * d).sum(axis=1),
            "n_scored": s.sum(axis=1),
            "n_marked": m.sum(axis=1),
            **{
                c: v.sum(axis=1)
                for c, v in zip(POST_CLUSTER_SUMS, (s * s, m * m, m * s), strict=True)
            },
        }
    )


def coverage(cells: pl.DataFrame, share: float) -> dict[str, float]:
    """Coverage of `share` and mean width of each interval over the replicates `cells`."""
    marked, days, n = (pl.col(c) for c in ("n_marked_author_days", "n_author_days", "n_authors"))
    sums = (pl.col("d2"), pl.col("f2"), pl.col("fd"))
    now = effective_trials(marked, days, n, sums)
    trials = {"before": days.cast(pl.Float64), "now": now, "clipped": pl.max_horizontal(now, n)}
    intervals = {name: wilson(marked / days * t, t)[1:] for name, t in trials.items()}
    posts = effective_posts()
    intervals["posts_before"] = wilson(pl.col("n_marked"), pl.col("n_scored"))[1:]
    intervals["posts_now"] = wilson(pl.col("n_marked") / pl.col("n_scored") * posts, posts)[1:]
    out = cells.select(
        (marked / days).alias("p"),
        now.alias("trials"),
        (pl.col("n_marked") / pl.col("n_scored")).alias("post_p"),
        posts.alias("post_trials"),
        n,
        *(lo.alias(f"{k}_lo") for k, (lo, _) in intervals.items()),
        *(hi.alias(f"{k}_hi") for k, (_, hi) in intervals.items()),
        (days / n).alias("days_per_author"),
        (pl.col("n_scored") / n).alias("posts_per_author"),
    )
    bounds = {k: (out[f"{k}_lo"].to_numpy(), out[f"{k}_hi"].to_numpy()) for k in intervals}
    p, t, clusters = (out[c].to_numpy() for c in ("p", "trials", "n_authors"))
    quantile = stats.t.ppf(0.975, clusters - 1)
    bounds["t"] = _wilson(p, t, quantile)
    bounds["korn_graubard"] = _clopper_pearson(p, t * (Z_95 / quantile) ** 2)
    post_p, post_t = (out[c].to_numpy() for c in ("post_p", "post_trials"))
    bounds["posts_korn_graubard"] = _clopper_pearson(post_p, post_t * (Z_95 / quantile) ** 2)
    result = {
        "authors": float(np.median(clusters)),
        "days_per_author": out["days_per_author"].mean(),
        "posts_per_author": out["posts_per_author"].mean(),
    }
    for name, (lo, hi) in bounds.items():
        result[f"{name}_cover"] = float(((lo <= share) & (share <= hi)).mean())
        result[f"{name}_width"] = float((hi - lo).mean())
    return result


def _wilson(p: np.ndarray, n: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's interval of `p` over `n` trials with quantile `z` (arrays)."""
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _clopper_pearson(p: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson's 95% interval of `p` over `n` (non-integer) trials."""
    x = p * n
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(0.025, x, n - x + 1), 0.0)
        hi = np.where(x < n, stats.beta.ppf(0.975, x + 1, n - x), 1.0)
    return np.nan_to_num(lo), np.nan_to_num(hi, nan=1.0)


def report(replicates: int, seed: int) -> str:
    rng, post_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    lines = [
        f"Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/intervals.py --replicates "
        f"{replicates} --seed {seed}`",
        "",
        "Simulated forum-like cells (heavy-tailed days a week and posts a day per author; flags "
        f"clustered by author: Beta propensities of concentration {CONCENTRATION:g}, or "
        f"independent: one propensity for all), {replicates:,} replicates each. Coverage of the "
        "true share by 95% intervals and their mean widths. Author-day share: Wilson over the "
        "author-days (before), over the effective trials of authors as clusters (now, what a "
        "run publishes), over those raised to at least `n_authors`, and two small-sample "
        "corrections on the effective trials (Wilson with a t quantile on `n_authors - 1` "
        "degrees of freedom; Korn-Graubard). Post share: Wilson over `n_scored` (before) and "
        "over the effective posts of authors as clusters (now), and Korn-Graubard on those.",
        "",
        "| period | flags | authors in cell (median) | author-days per author | true share "
        "| coverage before | now | now, at least n_authors | t | Korn-Graubard "
        "| width before | now | t | Korn-Graubard |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    posts = [
        "",
        "Post share, same cells:",
        "",
        "| period | flags | authors in cell (median) | posts per author | true share "
        "| coverage before | now | Korn-Graubard | width before | now | Korn-Graubard |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for period, days in PERIODS.items():
        for authors, share, clustered in SCENARIOS:
            cells = simulate(days, authors, share, clustered, replicates, rng, post_rng)
            r = coverage(cells, share)
            head = (
                f"| {period} | {'clustered' if clustered else 'independent'} | {r['authors']:,.0f} "
            )
            lines.append(
                f"{head}| {r['days_per_author']:.2f} | {share:.0%} "
                f"| {r['before_cover']:.3f} | {r['now_cover']:.3f} | {r['clipped_cover']:.3f} "
                f"| {r['t_cover']:.3f} | {r['korn_graubard_cover']:.3f} "
                f"| {r['before_width']:.4f} | {r['now_width']:.4f} | {r['t_width']:.4f} "
                f"| {r['korn_graubard_width']:.4f} |"
            )
            posts.append(
                f"{head}| {r['posts_per_author']:.1f} | {share:.0%} "
                f"| {r['posts_before_cover']:.3f} | {r['posts_now_cover']:.3f} "
                f"| {r['posts_korn_graubard_cover']:.3f} "
                f"| {r['posts_before_width']:.4f} | {r['posts_now_width']:.4f} "
                f"| {r['posts_korn_graubard_width']:.4f} |"
            )
    return "\n".join(lines + posts)


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
