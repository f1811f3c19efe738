"""The dashboard in a real browser: time to first render and time per interaction.

    .venv/bin/python benchmarks/dashboard.py [--days 1095] [--markers 30] [--regions 25]
        [--repeats 1] [--no-write]

Builds (once, cached in benchmarks/.data/) a warehouse of synthetic Daily aggregates —
`--days` × `--markers` × `--regions` (+ the `all` roll-up) × languages en, es and `all` —
through the warehouse's own load functions, with 14-day forecasts of three models, alerts,
backtests and model choices, and a run in the ledger. It serves the dashboard, opens it in
headless Chromium (Debian's, through Playwright) and times:

- first render: from navigation start until the Overview's tables are drawn and Streamlit's
  running indicator is gone, in a fresh browser context each time;
- 20 scripted interactions (page switches, selectors, radios, multiselects): from the input
  event until the rerun has finished and the running indicator is gone.

The same interaction timer runs against a bare Streamlit page with no data
(benchmarks/dashboard_peer.py), the floor of any Streamlit rerun. Results go to
benchmarks/RESULTS.md (the `dashboard` section) unless `--no-write`. `--repeats N` runs the
20 interactions N times in one session (back on the Overview, untimed, between passes) and
pools them, to see through noise on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import warehouse  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.served import (  # noqa: E402
    launch,
    new_page,
    served,
    timed_rerun,
    wait_idle,
)
from benchmarks.servers import STREAMLIT_READY, serving  # noqa: E402
from transforms.contracts import ALERT_SCHEMA, BACKTEST_SCHEMA, FORECAST_SCHEMA  # noqa: E402

LAST_DAY = date(2026, 10, 31)
MODELS = ("AutoETS", "AutoTheta", "SeasonalNaive")
LANGS = ("all", "en", "es")


def synthetic_daily(days: int, markers: int, regions: int, seed: int = 7) -> pl.DataFrame:
    """Daily aggregates with weekly seasonality, slow waves and small regions (some cells
    suppressed), `all` roll-ups included."""
    rng = np.random.default_rng(seed)
    day = pl.date_range(LAST_DAY - timedelta(days=days - 1), LAST_DAY, eager=True)
    names = [f"marker_{i:02d}" for i in range(markers)]
    places = ["all", *(f"region_{i:02d}" for i in range(regions))]
    grid = (
        pl.DataFrame({"day": day})
        .join(pl.DataFrame({"marker": names}), how="cross")
        .join(pl.DataFrame({"region": places}), how="cross")
        .join(pl.DataFrame({"lang": list(LANGS)}), how="cross")
    )
    n = grid.height
    t = np.arange(n) // (markers * len(places) * len(LANGS))
    size = np.where(grid["region"].to_numpy() == "all", 4000, rng.integers(5, 400, n))
    size = np.where(grid["lang"].to_numpy() == "all", size, size // 2 + 1)
    share = 0.12 + 0.04 * np.sin(2 * np.pi * t / 7) + 0.05 * np.sin(2 * np.pi * t / 180)
    authors = rng.poisson(size).astype(np.int64) + 1
    marked = np.minimum(rng.binomial(authors, np.clip(share, 0.01, 0.9)), authors)
    posts = authors + rng.poisson(authors * 0.3)
    return grid.with_columns(
        marker_version=pl.lit("v1"),
        n_posts=pl.Series(posts),
        n_scored=pl.Series(posts),
        n_marked=pl.Series(marked + rng.poisson(marked * 0.2)),
        n_authors=pl.Series(authors),
        n_marked_authors=pl.Series(marked),
        sample_rate=pl.lit(1.0),
        run_id=pl.lit("bench"),
    ).with_columns(n_marked=pl.min_horizontal("n_marked", "n_scored"))


def synthetic_outputs(daily: pl.DataFrame, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Forecasts, alerts, backtests and model choices for every series of `daily`."""
    rng = np.random.default_rng(seed)
    ids = (
        daily.select(pl.concat_str("marker", "region", "lang", separator="|").alias("unique_id"))
        .unique()
        .sort("unique_id")
        .get_column("unique_id")
    )
    ahead = pl.date_range(LAST_DAY + timedelta(days=1), LAST_DAY + timedelta(days=14), eager=True)
    forecasts = (
        pl.DataFrame({"unique_id": ids})
        .join(pl.DataFrame({"ds": ahead}), how="cross")
        .join(pl.DataFrame({"model": list(MODELS)}), how="cross")
    )
    mean = 0.12 + rng.normal(0, 0.01, forecasts.height)
    step = (forecasts["ds"] - LAST_DAY).dt.total_days().to_numpy()
    spread = 0.01 + 0.002 * step
    forecasts = forecasts.with_columns(
        mean=pl.Series(mean),
        lo_80=pl.Series(mean - spread),
        hi_80=pl.Series(mean + spread),
        lo_95=pl.Series(mean - 1.6 * spread),
        hi_95=pl.Series(mean + 1.6 * spread),
        run_id=pl.lit("bench"),
    ).select(list(FORECAST_SCHEMA))
    picked = ids.sample(fraction=0.1, seed=seed).sort()
    parts = picked.str.split("|")
    start = [LAST_DAY - timedelta(days=int(d)) for d in rng.integers(0, 300, picked.len())]
    alerts = pl.DataFrame(
        {
            "unique_id": picked,
            "marker": parts.list.get(0),
            "region": parts.list.get(1),
            "lang": parts.list.get(2),
            "start": start,
            "end": [s + timedelta(days=6) for s in start],
            "peak": [s + timedelta(days=3) for s in start],
            "peak_value": rng.uniform(0.15, 0.3, picked.len()),
            "threshold": np.full(picked.len(), 0.15),
            "method": "trailing_p90",
            "severity": rng.choice(["low", "medium", "high"], picked.len()),
            "reason": "The 7-day average share of authors rose above its usual level.",
            "issued_on": [s + timedelta(days=2) for s in start],
            "run_id": "bench",
        },
        schema=ALERT_SCHEMA,
    )
    backtests = (
        pl.DataFrame({"unique_id": ids})
        .join(pl.DataFrame({"model": list(MODELS)}), how="cross")
        .join(pl.DataFrame({"window": ["7", "14", "21", "all"]}), how="cross")
    )
    scores = {
        c: pl.Series(rng.uniform(0, 1, backtests.height)) for c in list(BACKTEST_SCHEMA)[3:-1]
    }
    backtests = backtests.with_columns(**scores, run_id=pl.lit("bench"))
    choice = pl.DataFrame(
        {
            "unique_id": ids,
            "model": "AutoETS",
            "status": "selected",
            "reason": "AutoETS had the lowest backtest error on this series.",
            "mase": rng.uniform(0.5, 1.2, ids.len()),
            "run_id": "bench",
        }
    )
    return {"forecasts": forecasts, "alerts": alerts, "backtests": backtests, "choice": choice}


def build(data_dir: Path, days: int, markers: int, regions: int) -> int:
    """Publish the synthetic warehouse in `data_dir` through warehouse's load functions."""
    daily = synthetic_daily(days, markers, regions)
    outputs = synthetic_outputs(daily)
    now = datetime.now(UTC)
    with warehouse.writing(data_dir) as con:
        warehouse.load_daily(con, daily, days=daily.get_column("day").unique().to_list())
        warehouse.replace_forecasts(con, outputs["forecasts"])
        warehouse.replace_alerts(con, outputs["alerts"])
        if hasattr(warehouse, "replace_backtests"):
            warehouse.replace_backtests(con, outputs["backtests"])
            warehouse.replace_model_choice(con, outputs["choice"])
        warehouse.record_run(
            con,
            warehouse.RunRecord(
                run_id="bench", started_at=now, finished_at=now, as_of=LAST_DAY, tz="UTC",
                package_version="bench", status="ok", series=outputs["choice"].height,
                days=days, alerts=outputs["alerts"].height,
            ),
        )  # fmt: skip
    return daily.height


def _select(page, label: str, option: str) -> float:
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.press_sequentially(option)
    return timed_rerun(page, page.get_by_role("option", name=option, exact=True).click)


def _nav(page, name: str, heading: str) -> float:
    ms = timed_rerun(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click)
    page.get_by_role("heading", name=heading).wait_for()
    return ms


def _radio(page, label: str) -> float:
    return timed_rerun(page, page.get_by_text(label, exact=True).click)


def _multiselect(page, label: str, option: str) -> float:
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.press_sequentially(option)
    ms = timed_rerun(page, page.get_by_role("option", name=option, exact=True).click)
    page.keyboard.press("Escape")
    return ms


def interactions(page) -> list[tuple[str, float]]:
    """The 20 scripted interactions, each timed; starts on the Overview."""
    steps = [
        ("open Timelines", lambda: _nav(page, "Timelines", "Prevalence timelines")),
        ("marker", lambda: _select(page, "Marker", "marker_07")),
        ("region", lambda: _select(page, "Region", "region_03")),
        ("language", lambda: _select(page, "Language", "es")),
        ("hide daily share", lambda: timed_rerun(page, page.get_by_role("button", name="Daily share").click)),
        ("compare regions", lambda: _radio(page, "other regions")),
        ("add a region", lambda: _multiselect(page, "Regions", "region_11")),
        ("compare nothing", lambda: _radio(page, "nothing")),
        ("marker again", lambda: _select(page, "Marker", "marker_21")),
        ("open Forecasts", lambda: _nav(page, "Forecasts", "Forecasts")),
        ("other model", lambda: _radio(page, "AutoTheta")),
        ("region on Forecasts", lambda: _select(page, "Region", "region_17")),
        ("open Alerts", lambda: _nav(page, "Alerts", "Alerts")),
        ("filter severity", lambda: _multiselect(page, "Severity", "high")),
        ("open Exports", lambda: _nav(page, "Exports", "Exports")),
        ("export forecasts", lambda: _radio(page, "forecasts")),
        ("export alerts", lambda: _radio(page, "alerts")),
        ("open Data health", lambda: _nav(page, "Data health", "Data health")),
        ("open Overview", lambda: _nav(page, "Overview", "Overview")),
        ("back to Timelines", lambda: _nav(page, "Timelines", "Prevalence timelines")),
    ]  # fmt: skip
    return [(name, step()) for name, step in steps]


def first_render(browser, url: str) -> float:
    page = new_page(browser, width=1280, height=900)
    start = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name="Rising fastest").wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for()
    wait_idle(page)
    ms = (time.perf_counter() - start) * 1000
    page.context.close()
    return ms


def peer_interactions(browser, repeats: int) -> list[float]:
    def command(port: int) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "benchmarks" / "dashboard_peer.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ]  # fmt: skip

    log_dir = Path(tempfile.gettempdir()) / "moodcast-streamlit"
    with serving(command, ready=STREAMLIT_READY, log_dir=log_dir) as server:
        page = new_page(browser, width=1280, height=900)
        page.goto(f"http://127.0.0.1:{server.port}")
        page.get_by_role("heading", name="Peer").wait_for()
        wait_idle(page)
        times = []
        for i in range(repeats):
            times.append(_select(page, "Marker", f"marker_{(i + 1) % 30:02d}"))
        page.context.close()
        return times


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _pooled(steps: list[tuple[str, float]], name: str) -> str:
    """One interaction's time, or with repeats its median and the times of every pass."""
    times = [ms for step, ms in steps if step == name]
    if len(times) == 1:
        return f"{times[0]:.0f}"
    return f"{statistics.median(times):.0f} ({', '.join(f'{ms:.0f}' for ms in times)})"


def ready_warehouse(data_dir: Path, days: int, markers: int, regions: int) -> int:
    """The daily rows of the published warehouse in `data_dir`, built first (`build`) when there
    is none and brought up to date when its layout is older."""
    try:
        warehouse.open_published(data_dir).close()
    except warehouse.SchemaMismatch:
        print(f"upgrading the warehouse in {data_dir} …", file=sys.stderr)
        with warehouse.writing(data_dir):
            pass  # `writing` brings an older layout up to date, as `moodcast run` would
    except warehouse.NoWarehouse:
        pass
    if not warehouse.published_path(data_dir).exists():
        print(f"building the warehouse in {data_dir} …", file=sys.stderr)
        started = time.perf_counter()
        rows = build(data_dir, days, markers, regions)
        print(f"{rows:,} daily rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with warehouse.open_published(data_dir) as con:
        return con.execute("SELECT count(*) FROM daily_aggregates").fetchall()[0][0]


def timed_session(data_dir: Path, *, renders: int, repeats: int):
    """The dashboard of `data_dir` served and driven in Chromium: `renders` first renders (ms),
    `repeats` passes of the interactions (name, ms), and as many interactions with a bare
    Streamlit page (the peer, ms)."""
    from playwright.sync_api import sync_playwright

    with served(data_dir) as url, sync_playwright() as playwright:
        browser = launch(playwright)
        first = [first_render(browser, url) for _ in range(renders)]
        page = new_page(browser, width=1280, height=900)
        page.goto(url)
        page.get_by_role("heading", name="Overview").wait_for()
        wait_idle(page)
        steps = interactions(page)
        for _ in range(repeats - 1):
            _select(page, "Language", "all")  # untimed: the next pass changes it to `es` again
            _nav(page, "Overview", "Overview")
            steps += interactions(page)
        peer = peer_interactions(browser, len(steps))
        browser.close()
    return first, steps, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--markers", type=int, default=30)
    parser.add_argument("--regions", type=int, default=25)
    parser.add_argument("--renders", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="passes of the 20 interactions")
    parser.add_argument(
        "--no-write", action="store_true", help="print the results; leave RESULTS.md as it is"
    )
    args = parser.parse_args()
    os.environ.setdefault("MOODCAST_SECRET", "benchmark")
    data_dir = (
        ROOT / "benchmarks" / ".data" / f"dashboard-{args.days}-{args.markers}-{args.regions}"
    )
    rows = ready_warehouse(data_dir, args.days, args.markers, args.regions)
    load = os.getloadavg()
    renders, steps, peer = timed_session(data_dir, renders=args.renders, repeats=args.repeats)

    ours = [ms for _, ms in steps]
    lines = [
        f"`.venv/bin/python benchmarks/dashboard.py --days {args.days} --markers {args.markers} "
        f"--regions {args.regions}"
        + (f" --repeats {args.repeats}" if args.repeats > 1 else "")
        + f"` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, headless Debian Chromium, {date.today().isoformat()}. "
        f"Warehouse: {rows:,} daily rows ({args.days} days × {args.markers} markers × "
        f"{args.regions + 1} regions incl. `all` × {len(LANGS)} languages incl. `all`), "
        "with forecasts, alerts, backtests and model choices. Load average before the run: "
        f"{load[0]:.1f} (1 min), {load[1]:.1f} (5 min).",
        "",
        "| what | n | median ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| first render (cold, then warm server caches) | {len(renders)} | "
        f"{statistics.median(renders):.0f} | {p95(renders):.0f} | {max(renders):.0f} |",
        f"| dashboard interaction, input → running indicator gone | {len(ours)} | "
        f"{statistics.median(ours):.0f} | {p95(ours):.0f} | {max(ours):.0f} |",
        f"| bare Streamlit page (peer), same timer | {len(peer)} | "
        f"{statistics.median(peer):.0f} | {p95(peer):.0f} | {max(peer):.0f} |",
        "",
        f"**Interaction p95: {p95(ours):.0f} ms** (target < 300 ms); "
        f"{p95(ours) / p95(peer):.2f}× the bare page's p95. First renders: "
        + ", ".join(f"{ms:.0f}" for ms in renders)
        + " ms.",
        "",
        "| interaction | ms |",
        "| --- | ---: |",
        *(f"| {name} | {_pooled(steps, name)} |" for name, _ in steps[:20]),
    ]
    if not args.no_write:
        write_section("dashboard", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
