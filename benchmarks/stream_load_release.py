"""What recording its release costs a stream load, before and after rule 0 of docs/privacy.md
(a day is published only once it has ended).

    moodcast sample --profile forum --authors-per-day 300 --days 365 -o CORPUS
    python -m benchmarks.stream_load_release --corpus CORPUS/posts.jsonl --data-dir DATA \\
        --last 2026-01-05

One `moodcast run --as-of LAST` (the corpus's last day; models = {}) builds a realistic
warehouse in `--data-dir`; then, on fresh copies of it, one stream load of that day (its cells
upserted again as an early pane, as moodcast.stream_landing.load_files does; the record up to
date, as after every earlier load) is timed in CPU seconds (process time, every thread), median
of `--repeats`: without recording its release, recording it as before the rule (`today` None:
every day ended, the day published and recorded), with the rule while the day is in progress
(`today` the day: it is left out) and at the first load after midnight (`today` the day after:
it is published and recorded).

Writes the `stream-load-release` section of benchmarks/RESULTS.md. Reads no text; counts only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.results import write_section
from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.run import daily_run
from transforms.privacy import DEFAULT_K
from warehouse import queries
from warehouse.panes import PaneMeta, upsert_panes
from warehouse.releases import record_release
from warehouse.store import open_published, writing

CASES = {
    "no record": None,
    "recorded, before the rule (every day ended)": "none",
    "recorded, rule: the day in progress (left out)": "day",
    "recorded, rule: the first load after midnight": "after",
}
"""Each timed load: whether it records its release, and the clock's day it passes."""


def load_cost(data_dir: Path, last: date, case: str | None) -> float:
    """CPU seconds of one stream load of `last` on a copy of `data_dir`: the day's cells upserted
    as an early pane, then, unless `case` is None, its release recorded with `today` None
    (`none`), `last` (`day`) or the day after (`after`)."""
    today = {None: None, "none": None, "day": last, "after": last + timedelta(days=1)}[case]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy, symlinks=True)
        with writing(copy) as con:
            cells = queries.current_daily(con).filter(day=last)
            started = datetime.now(UTC)
            pane = PaneMeta(last, "stream-bench", started, 0, "early", started)
            clock = time.process_time()
            upsert_panes(con, [(pane, cells)])
            if case is not None:
                record_release(
                    con,
                    k=DEFAULT_K,
                    week_grain="iso_week",
                    privacy="suppress",
                    as_of=today or last,
                    today=today,
                )
            return time.process_time() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--last", type=date.fromisoformat, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "config.toml").write_text(LEXICON_ONLY + "forecast_jobs = 1\n")
    settings = load_settings(args.data_dir)
    last = args.last
    daily_run([str(args.corpus)], settings=settings, as_of=last, beam_args=[])
    with open_published(args.data_dir) as con:
        daily = queries.current_daily(con)
        series = daily.select("marker", "region", "lang", "marker_version").n_unique()
    costs: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, case in CASES.items():
            costs[name].append(load_cost(args.data_dir, last, case))
            print(name, f"{costs[name][-1]:.2f}", flush=True)
    lines = ["| load | median CPU s | min–max CPU s |", "| --- | ---: | ---: |"]
    lines += [
        f"| {name} | {statistics.median(c):.2f} | {min(c):.2f}–{max(c):.2f} |"
        for name, c in costs.items()
    ]
    write_section(
        "stream-load-release",
        "\n".join(
            [
                "`python -m benchmarks.stream_load_release --corpus CORPUS/posts.jsonl "
                f"--data-dir DATA --last {last} --repeats {args.repeats}` on `moodcast sample "
                f"--profile forum --authors-per-day 300 --days 365` (k = {DEFAULT_K}, ISO weeks, "
                f"`models = {{}}`), {date.today()}: one `moodcast run --as-of {last}` "
                f"({daily.height:,} daily cells, {series} series), then one stream load of "
                f"{last} per row on a fresh copy (its cells upserted as an early pane; the "
                "record up to date), timed in process CPU seconds (every thread), median of "
                f"{args.repeats}.",
                "",
                *lines,
            ]
        ),
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
