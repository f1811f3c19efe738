"""`created_at` forms: what the parse stage reads and what it costs, against an earlier commit.

    .venv/bin/python benchmarks/timestamps.py [--posts 200000] [--repeats 5] [--against DIR]
        [--corpus POSTS.jsonl]

Values: the `created_at` column of the first `--posts` lines of the default 1M sample corpus
(benchmarks/pipeline.py generates it: ISO-8601 with `Z`, with milliseconds, with an offset,
naive, epoch seconds and milliseconds, and 0.2% malformed records; or of `--corpus`, a sample
made by `moodcast sample` where benchmarks/.data cannot be written), and the same instants
written in each form of FORMS. Each code (this checkout, and with `--against DIR` the tree of
an earlier commit, `git archive REV | tar -x -C DIR`) runs in its own process, interleaved,
`--repeats` times, on one core: `transforms.timestamp_parsing.parse_timestamps` on each form's
values (`source_tz` UTC; CPU µs a value, `time.process_time`, median) and the corpus's reading and
validation (`ingest.files.read_file` then `validate`, as `moodcast tag` calls them, in one
chunk, after a warm-up on 2,000 lines; CPU s, median). Outputs are compared value for value: every value the earlier code read must read
the same, but those of REREAD (and every post and dead letter of the corpus be the same, reason
included), else the script fails. Results go to benchmarks/RESULTS.md (the `timestamps` section).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORMS = {
    "ISO-8601 with Z": "%Y-%m-%dT%H:%M:%SZ",
    "ISO-8601 with milliseconds and Z": "%Y-%m-%dT%H:%M:%S%.3fZ",
    "ISO-8601 with an offset (pandas)": "%Y-%m-%d %H:%M:%S+00:00",
    "ISO-8601 naive": "%Y-%m-%dT%H:%M:%S",
    "epoch seconds": "epoch_s",
    "epoch milliseconds": "epoch_ms",
    "ISO-8601 with an offset without colon": "%Y-%m-%dT%H:%M:%S+0000",
    "minutes alone (spreadsheets)": "%Y-%m-%d %H:%M",
    "minutes alone and Z": "%Y-%m-%dT%H:%MZ",
    "date with slashes": "%Y/%m/%d %H:%M:%S",
    "Twitter API v1.1": "%a %b %d %H:%M:%S +0000 %Y",
    "RFC 2822": "%a, %d %b %Y %H:%M:%S +0000",
    "UTC after the time (BigQuery)": "%Y-%m-%d %H:%M:%S UTC",
    "ISO-8601 basic": "%Y%m%dT%H%M%SZ",
    "offset of hours (PostgreSQL)": "%Y-%m-%d %H:%M:%S+00",
    "day/month order (not read)": "%m/%d/%Y %H:%M",
    "ISO-8601 basic date alone": "%Y%m%d",
    "ISO-8601 basic without T (MySQL compact)": "%Y%m%d%H%M%S",
    "Go's time.Time String": "%Y-%m-%d %H:%M:%S%.f +0000 UTC",
    "zone name (not read)": "%Y-%m-%d %H:%M:%S EST",
    "12 digits (YYYYMMDDhhmm)": "%Y%m%d%H%M",
    "a date as a spreadsheet's number": "%Y%m%d.0",
    "Java's Date.toString in UTC": "%a %b %d %H:%M:%S UTC %Y",
    "Go's time.Time String with its clock reading": "%Y-%m-%d %H:%M:%S%.f +0000 UTC m=+0.000123001",
    "RFC 2822 with a zone comment": "%a, %d %b %Y %H:%M:%S +0000 (UTC)",
    "minutes and a spaced Z": "%Y-%m-%d %H:%M Z",
}
"""Form → its `strftime` format (polars, English names), or an epoch unit."""
REREAD = (
    "ISO-8601 basic date alone",
    "ISO-8601 basic without T (MySQL compact)",
    "12 digits (YYYYMMDDhhmm)",
    "a date as a spreadsheet's number",
)
"""Forms that earlier code read otherwise on purpose, as epochs in 1970-1998 or after 2286
(transforms.timestamp_forms.OTHER_FORMS): 8 and 14 digits before timestamps3, 12 digits and
digits then `.0` before timestamps4; left out of the value-for-value check."""


def _import_from(code: Path) -> None:
    """Put `code` first on the import path (a worker's own tree, not this checkout's)."""
    sys.path.insert(0, str(code))


def build_values(corpus: Path, posts: int, out: Path) -> None:
    """Write the corpus's `created_at` values and each form of the same instants to `out`."""
    _import_from(ROOT)
    import polars as pl

    from transforms.records import parse_json_lines
    from transforms.timestamp_parsing import parse_timestamps

    with corpus.open("rb") as lines:
        head = list(itertools.islice(lines, posts))
    records, _ = parse_json_lines(head, source="corpus", first_line=1)
    values = records.get_column("created_at")
    instants = parse_timestamps(values, source_tz="UTC").drop_nulls()
    columns = {"sample corpus (today's mix)": values.to_list()}
    for form, pattern in FORMS.items():
        if pattern.startswith("epoch"):
            unit = "s" if pattern == "epoch_s" else "ms"
            written = instants.dt.epoch(unit).cast(pl.String)
        else:
            written = instants.dt.strftime(pattern)
        columns[form] = written.to_list()
    frames = [pl.DataFrame({"form": form, "value": v}) for form, v in columns.items()]
    pl.concat(frames).write_parquet(out)


def _own_code(code: Path) -> None:
    """Fail where a module of ours loaded from outside the tree `code`: a name an earlier
    tree lacks is found in the installed checkout (an editable install finds any module of its
    packages), and the earlier side would measure this code."""
    ours = ("transforms", "ingest")
    outside = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in ours
        and getattr(module, "__file__", None)
        and not Path(module.__file__).resolve().is_relative_to(code.resolve())
    )
    if outside:
        raise SystemExit(f"{code} does not hold {', '.join(outside)}: loaded from elsewhere")


def worker(code: Path, values: Path, corpus: Path, posts: int, out: Path) -> None:
    """One side's CPU and outputs (see the module doc), written to `out` (a directory).
    `parse_timestamps` is transforms.timestamp_parsing's, or transforms.records' in a tree
    from before it moved there."""
    _import_from(code)
    import polars as pl

    from ingest.files import read_file
    from transforms.records import LOCATED_SCHEMA, validate

    moved = (code / "transforms" / "timestamp_parsing.py").is_file()
    holder = importlib.import_module(
        "transforms.timestamp_parsing" if moved else "transforms.records"
    )
    parse_timestamps = holder.parse_timestamps

    frame = pl.read_parquet(values)
    cpu, parsed = {}, {}
    parse_timestamps(frame["value"].head(1000), source_tz="UTC")
    for form, part in frame.group_by("form", maintain_order=True):
        series = part.get_column("value")
        start = time.process_time()
        result = parse_timestamps(series, source_tz="UTC")
        cpu[form[0]] = (time.process_time() - start) / series.len() * 1e6
        parsed[form[0]] = result.dt.epoch("us")
    pl.DataFrame({"form": frame["form"], "micros": pl.concat(list(parsed.values()))}).write_parquet(
        out / "parsed.parquet"
    )
    warm = out / "warm.jsonl"
    with corpus.open("rb") as lines:
        warm.write_bytes(b"".join(itertools.islice(lines, 2000)))
    for records, _ in read_file(str(warm)):
        validate(records.cast(LOCATED_SCHEMA), source_tz="UTC")
    start = time.process_time()
    valid, dead = [], []
    for records, chunk_dead in read_file(str(corpus), chunk_records=posts):
        kept, refused = validate(records.cast(LOCATED_SCHEMA), source_tz="UTC")
        valid.append(kept.select("source", "line", "created_utc"))
        dead += [chunk_dead, refused]
    cpu["read_file + validate (s)"] = time.process_time() - start
    pl.concat(valid).write_parquet(out / "valid.parquet")
    pl.concat(dead).write_parquet(out / "dead.parquet")
    (out / "cpu.json").write_text(json.dumps(cpu))
    _own_code(code)


def run_side(code: Path, values: Path, corpus: Path, posts: int, out: Path) -> dict:
    """One worker process on core 0 with the tree `code`: its CPU figures (outputs in `out`)."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--worker", str(code), str(values), str(corpus),
               str(posts), str(out)]  # fmt: skip
    subprocess.run(["taskset", "-c", "0", *command], check=True)
    return json.loads((out / "cpu.json").read_text())


def compare(before: Path, now: Path) -> list[str]:
    """What differs between the earlier code's outputs and this code's (empty: nothing)."""
    import polars as pl

    problems = []
    old = pl.read_parquet(before / "parsed.parquet")
    new = pl.read_parquet(now / "parsed.parquet")
    changed = old.with_columns(new=new["micros"]).filter(
        pl.col("micros").is_not_null()
        & (pl.col("micros") != pl.col("new")).fill_null(True)
        & pl.col("form").is_in(REREAD).not_()
    )
    if changed.height:
        problems.append(f"{changed.height} values read before read otherwise now")
    for name in ("valid", "dead"):
        if not pl.read_parquet(before / f"{name}.parquet").equals(
            pl.read_parquet(now / f"{name}.parquet")
        ):
            problems.append(f"the corpus's {name} rows differ")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", type=Path, metavar="DIR")
    parser.add_argument("--corpus", type=Path, metavar="POSTS.jsonl")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        code, values, corpus, posts, out = args.worker
        worker(Path(code), Path(values), Path(corpus), int(posts), Path(out))
        return
    _import_from(ROOT)
    import polars as pl

    from benchmarks.pipeline import corpora
    from benchmarks.results import write_section

    default = args.corpus or corpora(1_000_000)[1]
    sides = {"now": ROOT} | ({args.against.name: args.against} if args.against else {})
    cpu: dict[str, list[dict]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        corpus = work / "posts.jsonl"
        with default.open("rb") as lines, corpus.open("wb") as target:
            target.writelines(itertools.islice(lines, args.posts))
        values = work / "values.parquet"
        build_values(corpus, args.posts, values)
        for repeat, (name, code) in itertools.product(range(args.repeats), sides.items()):
            cpu[name].append(run_side(code, values, corpus, args.posts, work / f"{name}-{repeat}"))
        problems = compare(work / f"{args.against.name}-0", work / "now-0") if args.against else []
        parsed = pl.read_parquet(work / "now-0" / "parsed.parquet")
        read = dict(parsed.group_by("form").agg(pl.col("micros").is_not_null().mean()).iter_rows())
        before = (
            pl.read_parquet(work / f"{args.against.name}-0" / "parsed.parquet")
            if args.against
            else None
        )
        read_before = (
            dict(before.group_by("form").agg(pl.col("micros").is_not_null().mean()).iter_rows())
            if before is not None
            else {}
        )
    if problems:
        raise SystemExit("outputs differ: " + "; ".join(problems))
    load = os.getloadavg()
    names = list(sides)
    lines = [
        f"`taskset -c 0 .venv/bin/python benchmarks/timestamps.py --posts {args.posts} --repeats"
        f" {args.repeats}{f' --against {args.against}' if args.against else ''}"
        f"{f' --corpus {args.corpus}' if args.corpus else ''}` on one core,"
        f" Python {platform.python_version()}, {date.today().isoformat()}, load average at the"
        f" end {load[0]:.1f} (1 min): CPU, medians of {args.repeats}, the sides interleaved."
        + (
            f" `{names[1]}`: the tree of that commit on the import path. Every value it read"
            f" reads the same now but those of {', '.join(REREAD)} (read on purpose as"
            " dates, not epochs), and the corpus's posts and dead letters are identical."
            if args.against
            else ""
        ),
        "",
        "| form | read now | "
        + " | ".join(f"CPU µs a value, {n}" for n in names)
        + (f" | read by {names[1]} |" if args.against else " |"),
        "| --- | ---: | "
        + " | ".join("---:" for _ in names)
        + (" | ---: |" if args.against else " |"),
    ]
    for form in cpu["now"][0]:
        cells = [statistics.median(run[form] for run in cpu[n]) for n in names]
        shares = (
            f"{read[form]:.1%}" if form in read else "",
            *(f"{c:.3f}" for c in cells),
            *([f"{read_before[form]:.1%}" if form in read_before else ""] if args.against else []),
        )
        lines.append(f"| {form} | " + " | ".join(shares) + " |")
    write_section("timestamps", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
