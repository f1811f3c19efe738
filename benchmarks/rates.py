"""Regenerate the shipped marker rates, transforms/markers/rates.csv, from the permissively
licensed public sets in the shared datasets directory.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/rates.py [--datasets DIR] [--max-rows 2000]

Rerun it whenever a marker changes (its version changes, and rates measured on the old version
leave it `not validated`). Only sets whose licence allows shipping derived numbers are read
(SHIPPED_SETS, see the datasets' SOURCES.md); texts never leave them, only counts. For each
set, in order, a seeded sample of at most `--max-rows` rows is tagged with the shipped markers
under the default settings, exactly as `moodcast markers calibrate` does; a marker × language
already measured on an earlier set is not measured again, so each row of the table has one
source. Skips with a message when the datasets directory is absent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.marker_sets import DATASETS  # noqa: E402
from moodcast.calibration import measure_rates  # noqa: E402
from moodcast.config import load_settings  # noqa: E402
from moodcast.label_files import label_frame  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.rates import RATES_SCHEMA, SHIPPED_RATES  # noqa: E402

SHIPPED_SETS = (
    ("covidemo_en_dev.csv", "MIT"),
    ("rmhd27_reddit_en.csv", "CC BY 4.0"),
    ("sad_stress_en.csv", "MIT"),
    ("xed_en.csv", "CC BY 4.0"),
    ("xed_es.csv", "CC BY 4.0"),
)
"""Sets whose licence allows shipping derived numbers, social posts first."""
SEED = 0


def measure_set(
    path: Path, *, covered: set[tuple[str, str]], max_rows: int, settings
) -> pl.DataFrame:
    """Rates of the shipped markers labelled in `path`, for marker × language pairs not in
    `covered`, on a seeded sample of at most `max_rows` rows."""
    markers = load_markers()
    raw = pl.read_csv(path, infer_schema=False)
    langs = set(raw.get_column("lang").unique().to_list())
    wanted = [
        name
        for name in markers
        if name in raw.columns and any((name, lang) not in covered for lang in langs)
    ]
    if not wanted:
        return pl.DataFrame(schema=RATES_SCHEMA)
    sample = raw.sample(min(max_rows, raw.height), seed=SEED, shuffle=True)
    frame = label_frame(sample, text_col="text", label_cols=wanted)
    rates = measure_rates(frame, markers, config=settings.model_config, source=path)
    done = pl.DataFrame(
        sorted(covered), schema={"marker": pl.String, "lang": pl.String}, orient="row"
    )
    return rates.join(done, on=["marker", "lang"], how="anti")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--max-rows", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=SHIPPED_RATES)
    args = parser.parse_args()
    if not args.datasets.is_dir():
        print(f"skipped: no datasets directory at {args.datasets}", file=sys.stderr)
        return
    settings = load_settings(ROOT / "benchmarks" / ".data" / "rates-settings")
    parts, covered = [], set()
    for name, licence in SHIPPED_SETS:
        path = args.datasets / name
        if not path.is_file():
            print(f"skipped {name}: not in {args.datasets}", file=sys.stderr)
            continue
        rates = measure_set(path, covered=covered, max_rows=args.max_rows, settings=settings)
        covered |= set(zip(rates["marker"], rates["lang"], strict=True))
        parts.append(rates.with_columns(pl.lit(licence).alias("licence")))
        print(f"{name}: {rates.height} marker × language rates", file=sys.stderr)
    table = pl.concat(parts).sort("marker", "lang")
    table.write_csv(args.out)
    print(f"wrote {table.height} rows to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
