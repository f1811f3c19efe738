"""What recording its release costs a stream load, before and after rule 0 of docs/privacy.md
(a day is published only once it has ended).

    moodcast sample --profile forum --authors-per-day 300 --days 365 -o CORPUS
    python -m benchmarks.stream_load_release --corpus CORPUS/posts.jsonl --data-dir DATA \\
        --last 2026-01-05

One `moodcast run --as-of LAST` (the corpus's last day; models = {}) builds a realistic
warehouse in `--data-dir`; then, on fresh copies of it, a stream job's loads of the day after
(its cells: LAST's, one day later) are made as moodcast.stream_landing.load_files makes them
(each its newest pane upserted, then its release recorded with `as_of` and `today` its clock's
day): a load during the day (an early pane; not timed), then the load timed in CPU seconds
(process time, every thread), median of `--repeats`: without recording its release; recording
it as before the rule (`today` None: every day ended, the early pane's counts published and
recorded, the record up to date after the earlier load); with the rule while the day is in
progress (another early pane, `today` the day: left out, as by the earlier load); and at the
first load after midnight (the on-time pane, which fires as the day ends, `today` the day
after: the day published and recorded for the first time). Each row says whether the day is
published after its load.

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

import polars as pl

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
"""Each timed load: whether it records its release, and the clock it passes."""


def load_cost(data_dir: Path, last: date, case: str | None) -> tuple[float, bool]:
    """CPU seconds of one stream load of the day after `last` on a copy of `data_dir`, and
    whether that day is published after it. Before it (not timed), a load during the day: the
    day's cells (`last`'s, one day later) upserted as an early pane and the release recorded
    with `today` None (`case` `none`) or the day. Then the timed load: the cells upserted again,
    as an early pane or (`after`) the on-time pane, then, unless `case` is None, the release
    recorded with `today` None (`none`), the day (`day`) or the day after (`after`)."""
    day = last + timedelta(days=1)
    earlier = None if case == "none" else day
    today = {None: None, "none": None, "day": day, "after": day + timedelta(days=1)}[case]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy, symlinks=True)
        with writing(copy) as con:
            cells = queries.current_daily(con).filter(day=last).with_columns(day=pl.lit(day))
            _load(con, cells, 0, "early", today=earlier)
        with writing(copy) as con:
            clock = time.process_time()
            timing = "on_time" if case == "after" else "early"
            _load(con, cells, 1, timing, today=today, record=case is not None)
            seconds = time.process_time() - clock
        with open_published(copy) as con:
            published = queries.published(con).filter(period_start=day, grain="day")
            shown = published.filter(status="published").height > 0
    return seconds, shown


def _load(
    con, cells: pl.DataFrame, index: int, timing: str, *, today: date | None, record: bool = True
) -> None:
    """One stream load of `cells` (one day's): its pane `index` upserted, then, with `record`,
    its release recorded on the clock's day `today` (None: every day ended; `as_of` the day)."""
    day = cells["day"][0]
    fired = datetime.now(UTC)
    upsert_panes(con, [(PaneMeta(day, "stream-bench", fired, index, timing, fired), cells)])
    if record:
        record_release(
            con,
            k=DEFAULT_K,
            week_grain="iso_week",
            privacy="suppress",
            as_of=today or day,
            today=today,
        )


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
    shown: dict[str, bool] = {}
    for _ in range(args.repeats):
        for name, case in CASES.items():
            seconds, shown[name] = load_cost(args.data_dir, last, case)
            costs[name].append(seconds)
            print(name, f"{seconds:.2f}", shown[name], flush=True)
    lines = [
        "| load | day published after it | median CPU s | min–max CPU s |",
        "| --- | --- | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {'yes' if shown[name] else 'no'} | {statistics.median(c):.2f} "
        f"| {min(c):.2f}–{max(c):.2f} |"
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
                f"({daily.height:,} daily cells, {series} series), then, per row on a fresh "
                f"copy, a stream load of {last + timedelta(days=1)} ({last}'s cells a day later) "
                "during that day (an early pane, not timed) and the load timed (an early pane, "
                "or the on-time pane at the first load after midnight; each recording its "
                "release on its clock's day, as moodcast.stream_landing.load_files does), in "
                f"process CPU seconds (every thread), median of {args.repeats}.",
                "",
                *lines,
            ]
        ),
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
