"""Is the default alert method robust on real-looking weekly data the project does not have?

Each variant of benchmarks/epidemics.py (`VARIANTS`: noisier curves, missing weeks, trends,
a short history, counts with zeros, an index) is replayed as `moodcast alerts replay` would
(one cut-off a week, one-week reporting delay) with the default `early` and, as peers in the
same run, MEM and the CDC baseline; scored against CDC's onset rule with CDC's non-influenza
weeks (`lab` truth), from the 4th season. Failure modes looked for: a crash, a series the
method never judged (no bar: silent), an alert storm (the most false periods on one series,
per year). Seeds 21, 22 were never used for tuning; nothing here reads real data.

    .venv/bin/python benchmarks/alerts_robust.py [--seeds 21,22] [--regions 10] [--write]
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.epidemics import VARIANTS, surveillance_variant  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from forecasting.frequency import WEEK  # noqa: E402
from forecasting.replay import Truth, replay, score  # noqa: E402

METHODS = ("early", "mem", "cdc_baseline")


def score_variant(kind: str, seeds: list[int], regions: int) -> list[dict]:
    """Per method, the scores of `kind` pooled over `seeds`, with the failure-mode counts."""
    parts = []
    for seed in seeds:
        series, truth, first = surveillance_variant(seed, kind, regions=regions)
        tag = pl.col("unique_id") + f"-{seed}"
        parts.append((series.with_columns(tag), truth.with_columns(tag), first))
    rows = []
    for method in METHODS:
        alerts, truths, spans, unjudged = [], [], {}, []
        try:
            for series, truth, first in parts:
                alerts.append(
                    replay(
                        series,
                        freq=WEEK,
                        methods=[method],
                        first_run=first,
                        reporting_delay=1,
                        on_unjudged=lambda m, u, seen=unjudged: seen.append(u),
                    )
                )
                truths.append(truth)
                spans |= {u: (series["ds"].max() - first).days + 7 for u in series["unique_id"]}
        except Exception as exc:  # a crash is a finding here, not the end of the run
            rows.append(
                {"variant": kind, "method": method, "error": f"{type(exc).__name__}: {exc}"}
            )
            continue
        alerts_frame, truth_frame = pl.concat(alerts), pl.concat(truths)
        row = score(alerts_frame, Truth(truth_frame, spans), freq=WEEK).to_dicts()[0]
        storm = max(
            score(
                alerts_frame.filter(pl.col("unique_id") == uid),
                Truth(truth_frame.filter(pl.col("unique_id") == uid), {uid: days}),
                freq=WEEK,
            )["false_per_series_year"].max()
            or 0.0
            for uid, days in spans.items()
        )
        rows.append({**row, "variant": kind, "storm": storm, "unjudged": len(set(unjudged))})
    return rows


def _f(value, spec=".2f") -> str:
    return "—" if value is None else format(value, spec)


def report(rows: list[dict], seeds: list[int], regions: int, cpu: float) -> str:
    lines = [
        f"Command: `.venv/bin/python benchmarks/alerts_robust.py --seeds "
        f"{','.join(map(str, seeds))} --regions {regions} --write` ({cpu:.0f} CPU s). "
        f"Synthetic weekly surveillance (benchmarks/epidemics.py, {regions} regions × 12 seasons "
        "per seed, 9 scored; short: 5 seasons, 2 scored), untuned seeds, one-week reporting "
        "delay, CDC onsets with CDC's non-influenza weeks (`lab`). Lead in weeks of `issued_on` "
        "against the onset; storm: the most false periods on one series, per year; unjudged: "
        "series the method never had a bar on.",
        "",
        "| variant | method | onsets | flagged | median lead | lead ≤ 0 | false per series-year "
        "| precision | storm | unjudged |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['variant']} | `{r['method']}` | crashed: {r['error']} |")
            continue
        lines.append(
            f"| {r['variant']} | `{r['method']}` | {r['truth_periods']} | "
            f"{_f(r['onsets_flagged'])} | {_f(r['median_lead'], '+.0f')} | {_f(r['by_onset'])} | "
            f"{_f(r['false_per_series_year'])} | {_f(r['precision'])} | {_f(r['storm'], '.1f')} | "
            f"{r['unjudged']} |"
        )
    lines += ["", "Variants: " + "; ".join(f"`{k}`: {v}" for k, v in VARIANTS.items()) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="21,22")
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--write", action="store_true", help="write the alerts-robust section")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = [
        row for kind in args.variants.split(",") for row in score_variant(kind, seeds, args.regions)
    ]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    body = report(rows, seeds, args.regions, usage.ru_utime + usage.ru_stime)
    print(body)
    if args.write:
        write_section("alerts-robust", body)


if __name__ == "__main__":
    main()
