"""Ingest + load of N sample posts through the Beam job, against a plain polars script.

    .venv/bin/python benchmarks/pipeline.py [--posts 1000000] [--repeats 3]

Both sides read the same JSON Lines file, tag it with the same lexicons (the shipped marker
files, every marker decided by its lexicon alone: the model confirmation of `both` markers is
measured in benchmarks/embedding.py), and count daily prevalence per day × region × language with the `all` roll-ups and
exact distinct authors. The Beam side is the real job (FnApiRunner, dead letters, dedupe,
pseudonymisation) followed by the DuckDB load; the peer is what an analyst would write in polars
for a clean file. The peer cannot survive a malformed line (polars' NDJSON reader fails the
whole file), so the comparison runs on a corpus generated without malformed records; the job's
time on the default corpus (0.2% malformed) is reported beside it. Results are written to
benchmarks/RESULTS.md (the section between the `pipeline` markers).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from ingest.pipeline import IngestJob, run_ingest  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402
from transforms.markers import load_markers, tag  # noqa: E402
from transforms.posts import PostOptions  # noqa: E402

AS_OF = date(2026, 1, 31)
KEY = b"benchmark-key"


def lexicon_markers() -> dict:
    """The shipped markers, each decided by its lexicon alone."""
    return {name: replace(m, rule="lexicon") for name, m in load_markers().items()}


def ours(path: Path, work: Path) -> pl.DataFrame:
    """The Beam job and the warehouse load, as `moodcast run` does them."""
    import warehouse
    from warehouse.load import load_daily

    markers = lexicon_markers()
    landing = work / "landing"
    job = IngestJob(
        inputs=[str(path)], landing_dir=str(landing), markers=markers, key=KEY, run_id="bench",
        options=PostOptions(tz="UTC", as_of=AS_OF),
    )  # fmt: skip
    run_ingest(job)
    daily = pl.read_parquet(landing / "daily.parquet")
    with warehouse.writing(work / "data") as con:
        load_daily(con, daily, days=set(daily.get_column("day").to_list()))
    return daily


def peer(path: Path) -> pl.DataFrame:
    """A plain polars script: read → validate → tag → group by with roll-ups. It shares only the
    lexicon matching (`transforms.markers.tag`) and counts raw author ids (a plain script has no
    pseudonymisation step, which only makes the peer faster)."""
    import py3langid

    markers = lexicon_markers()
    schema = {
        name: pl.String for name in ("id", "created_at", "text", "author_id", "lang", "region")
    }
    posts = pl.read_ndjson(path, schema={**schema, "is_repost": pl.Boolean})
    text = pl.col("created_at").str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    numeric = text.str.contains(r"^\d+$")
    seconds = pl.when(numeric).then(text).cast(pl.Int64, strict=False)
    created = pl.coalesce(
        pl.when(seconds > 100_000_000_000)
        .then(pl.from_epoch(seconds, time_unit="ms"))
        .otherwise(pl.from_epoch(seconds, time_unit="s"))
        .dt.replace_time_zone("UTC"),
        text.str.replace(r"Z$", "+00:00").str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC"
        ),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC"),
    )
    posts = (
        posts.filter(
            pl.col("id").is_not_null()
            & pl.col("text").is_not_null()
            & (pl.col("text").str.len_chars() <= 10_000)
        )
        .with_columns(created.dt.date().alias("day"))
        .filter(
            pl.col("day").is_not_null()
            & (pl.col("day") <= AS_OF)
            & ~pl.col("is_repost").fill_null(False)
        )
        .unique("id", keep="first", maintain_order=True)
        .with_columns(
            pl.coalesce(pl.col("region"), pl.lit("unknown")).alias("region"),
            pl.col("lang").str.to_lowercase().str.split("-").list.first().alias("lang"),
            pl.col("author_id").alias("author"),
        )
    )
    missing = posts.get_column("lang").is_null().arg_true()
    detected = [
        py3langid.classify(t)[0] for t in posts.get_column("text").gather(missing).to_list()
    ]
    posts = posts.with_columns(
        posts.get_column("lang").scatter(missing, pl.Series(detected, dtype=pl.String))
    )
    posts = posts.filter(pl.col("lang").is_in(["en", "es"]))
    long = tag(posts, markers).unpivot(
        on=list(markers),
        index=["day", "region", "lang", "author"],
        variable_name="marker",
        value_name="hit",
    )
    grains = pl.concat(
        [
            long,
            long.with_columns(region=pl.lit("all")),
            long.with_columns(lang=pl.lit("all")),
            long.with_columns(region=pl.lit("all"), lang=pl.lit("all")),
        ]
    )
    return grains.group_by("day", "region", "lang", "marker").agg(
        pl.len().alias("n_posts"),
        pl.col("hit").sum().alias("n_marked"),
        pl.col("author").drop_nulls().n_unique().alias("n_authors"),
        pl.col("author").filter(pl.col("hit")).drop_nulls().n_unique().alias("n_marked_authors"),
    )


def timed(fn, *args) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cache = ROOT / "benchmarks" / ".data"
    clean, dirty = cache / f"clean-{args.posts}", cache / f"default-{args.posts}"
    for out, share in ((clean, 0.0), (dirty, 0.002)):
        if not (out / "posts.jsonl").exists():
            print(f"generating {args.posts:,} posts into {out} …", file=sys.stderr)
            generate_sample(out, posts=args.posts, malformed_share=share)

    rows = {
        "beam job + DuckDB load (clean corpus)": [],
        "plain polars script (clean corpus)": [],
        "beam job + DuckDB load (default corpus, 0.2% malformed)": [],
    }
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as work:
            seconds, ours_daily = timed(ours, clean / "posts.jsonl", Path(work))
            rows["beam job + DuckDB load (clean corpus)"].append(seconds)
        seconds, peer_daily = timed(peer, clean / "posts.jsonl")
        rows["plain polars script (clean corpus)"].append(seconds)
        with tempfile.TemporaryDirectory() as work:
            rows["beam job + DuckDB load (default corpus, 0.2% malformed)"].append(
                timed(ours, dirty / "posts.jsonl", Path(work))[0]
            )

    keys = ["day", "marker", "n_posts", "n_marked", "n_authors", "n_marked_authors"]
    ours_all, peer_all = (
        frame.filter((pl.col("region") == "all") & (pl.col("lang") == "all"))
        .select(keys)
        .sort("day", "marker")
        for frame in (ours_daily, peer_daily)
    )
    if not ours_all.equals(peer_all.cast(ours_all.schema)):
        raise SystemExit(
            "the Beam job and the polars script disagree: fix the peer before timing it"
        )
    ratio = statistics.median(rows["beam job + DuckDB load (clean corpus)"]) / statistics.median(
        rows["plain polars script (clean corpus)"]
    )
    lines = [
        f"`{' '.join(['.venv/bin/python', 'benchmarks/pipeline.py', f'--posts {args.posts}', f'--repeats {args.repeats}'])}`"
        f" on {os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}.",
        "",
        "| what | median s | min s | max s | posts/s (median) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, values in rows.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median:.2f} | {min(values):.2f} | {max(values):.2f} | {args.posts / median:,.0f} |"
        )
    lines += [
        "",
        f"**Ratio (Beam job + load ÷ polars script, clean corpus): {ratio:.2f}×** (target ≤ 2×).",
        f"Both sides produced identical `region = all, lang = all` counts ({ours_all['n_posts'].sum():,} post-marker rows over {ours_all.height:,} day × marker cells; checked on every run).",
    ]
    write_section("pipeline", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
