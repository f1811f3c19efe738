"""Author pseudonyms per chunk: `transforms.privacy.pseudonyms` against `hmac.new` per id.

    .venv/bin/python benchmarks/pseudonyms.py [--posts 1000000] [--repeats 3]

Takes the author ids of benchmarks/pipeline.py's clean sample corpus in slices of the job's
chunk size (ingest.files.CHUNK_RECORDS) and gives each slice's distinct ids their
HMAC-SHA256 pseudonyms twice, in one process: as `prepare` did before (a dict of
`hmac.new(key, id, sha256).hexdigest()` per distinct id, mapped back with `replace_strict`) and
with `transforms.privacy.pseudonyms` (the HMAC's inner and outer states keyed once, copied per
id). Checks that both give the same pseudonyms and reports the CPU seconds (best of
`--repeats`) in benchmarks/RESULTS.md (the `pseudonyms` section).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import corpora  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from ingest.files import CHUNK_RECORDS  # noqa: E402
from transforms.privacy import pseudonyms  # noqa: E402

KEY = b"benchmark-key-" + b"0" * 32


def per_id(author_ids: pl.Series, *, key: bytes) -> pl.Series:
    """The peer: `hmac.new` per distinct id, as `transforms.posts.prepare` did before."""
    authors = author_ids.drop_nulls().unique().to_list()
    found = {a: hmac.new(key, a.encode("utf-8"), hashlib.sha256).hexdigest() for a in authors}
    return author_ids.replace_strict(found, default=None, return_dtype=pl.String)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    clean, _ = corpora(args.posts, dirty=False)
    ids = pl.scan_ndjson(clean).select(pl.col("author_id").cast(pl.String)).collect()
    chunks = [frame.to_series() for frame in ids.iter_slices(CHUNK_RECORDS)]
    sides = {"hmac.new per id (before)": per_id, "transforms.privacy.pseudonyms": pseudonyms}
    seconds: dict[str, float] = {}
    outputs: dict[str, list[pl.Series]] = {}
    for _ in range(args.repeats):
        for name, side in sides.items():
            start = time.process_time()
            outputs[name] = [side(chunk, key=KEY) for chunk in chunks]
            seconds[name] = min(seconds.get(name, float("inf")), time.process_time() - start)
    first, second = outputs.values()
    if not all(a.equals(b) for a, b in zip(first, second, strict=True)):
        raise SystemExit("the two sides give different pseudonyms")
    distinct = sum(chunk.drop_nulls().n_unique() for chunk in chunks)
    load = os.getloadavg()[0]
    lines = [
        f"`.venv/bin/python benchmarks/pseudonyms.py --posts {args.posts} --repeats "
        f"{args.repeats}`: the author ids of the clean sample corpus in {len(chunks)} slices of "
        f"{CHUNK_RECORDS:,} (the job's chunks), {distinct:,} distinct ids per slice summed "
        f"({ids.to_series().n_unique():,} in all); CPU s, best of {args.repeats}, one process, "
        f"load {load:.1f}. Identical pseudonyms.",
        "",
        "| side | CPU s | µs per distinct id of a slice |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {value:.2f} | {value / distinct * 1e6:.2f} |"
            for name, value in seconds.items()
        ),
    ]
    body = "\n".join(lines)
    write_section("pseudonyms", body)
    print(body)


if __name__ == "__main__":
    main()
