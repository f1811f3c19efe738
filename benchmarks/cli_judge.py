"""Issue 11's prevalence bar measured the way an outside evaluator measures it: the `moodcast`
command alone, run as a subprocess on CSV files.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/cli_judge.py [--datasets DIR]
        [--sets semeval2018_ec_es,valeriano_suicide_es,covidemo_en] [--draws 5] [--size 1000]
        [--calibration-rows 1000] [--reformat --section cli-judge-reformatted]

For each set, the calibration sample and held-out part of benchmarks/prevalence.py (same
files, seeds and sizes, benchmarks/prevalence_protocol.py) are written as CSV files into a
temporary directory (never into the project): `moodcast markers calibrate --labels CALIB.csv
--json` records the rates in a fresh data directory, then for each true prevalence (5, 10, 20,
40%) and draw, one file of `--size` posts per marker that calibrate validated, drawn with
replacement from the held-out positives and negatives (a seeded numpy generator of its own, so
not the draws of benchmarks/prevalence.py), is evaluated by `moodcast markers evaluate --labels
SUBSET.csv --json`. The markers' subsets of one draw share a file, each row labelled for its
own marker only (the other label columns blank: a blank label is no label, and each marker is
scored on the rows labelled for it). Raw MAE: `flagged_share` against the drawn share; adjusted
MAE: `adjusted_prevalence` against it; `prevalence` (the file's true share as evaluate reports
it) must equal the drawn share. Bar: adjusted MAE <= 0.03 and <= half the raw MAE. Beside each
row, the published MAE of the same set x marker in the `prevalence` section of RESULTS.md (50
draws there). CPU s: user + system of the moodcast subprocesses.

`--reformat` writes every file as a spreadsheet user might (no `lang` column, labels yes/no,
a byte-order mark, CRLF line ends): the posts' languages are then identified as `moodcast run`
identifies them, among the markers' languages (docs/languages.md), and rows whose language
cannot be told are left out of evaluate's scores (its true share then moves off the drawn
share); a few rows identified as a language without validated rates leave the file's adjusted
share validated in part (counted beside the adjusted MAE; stdout lists each row's statuses).

Writes the `cli-judge` section (or `--section`) of benchmarks/RESULTS.md. Skips with a message
when the datasets directory is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks import prevalence_protocol as pv  # noqa: E402
from benchmarks.results import RESULTS, write_section  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.validation import BOUNDED  # noqa: E402

DEFAULT_SETS = "semeval2018_ec_es,valeriano_suicide_es,covidemo_en"
BAR = 0.03


def moodcast(*args: str) -> str:
    """stdout of `moodcast ARGS` run from this checkout (HF_HUB_OFFLINE=1); raises on failure
    with its stderr."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).with_name("moodcast")), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"moodcast {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def write(frame: pl.DataFrame, path: Path, *, reformat: bool) -> None:
    """`frame` (id, text, lang, 0/1 label columns) as CSV at `path`; with `reformat`, as a
    spreadsheet user might have written it: no `lang` column, labels yes/no (a blank stays
    blank), a byte-order mark and CRLF line ends."""
    if not reformat:
        frame.write_csv(path)
        return
    labels = [c for c in frame.columns if c not in ("id", "text", "lang")]
    words = frame.drop("lang").with_columns(
        pl.col(labels).replace_strict({"1": "yes", "0": "no"}, default=None)
    )
    path.write_bytes(("\ufeff" + words.write_csv(line_terminator="\r\n")).encode())


def calibrate(
    calib: pl.DataFrame, labelled: list[str], folder: Path, *, reformat: bool
) -> dict[str, dict]:
    """`markers calibrate --json` on `calib` (id, text, lang and the `labelled` columns,
    `write`n) into a fresh data directory under `folder`: marker → its JSON row
    (single-language sets)."""
    path = folder / "calibration.csv"
    write(calib.select("id", "text", "lang", *labelled), path, reformat=reformat)
    out = moodcast(
        "markers", "calibrate", "--labels", str(path), "--json", "--data-dir", str(folder / "data")
    )
    rows = sorted(
        (r for r in map(json.loads, out.splitlines()) if "tpr" in r), key=lambda r: r["n"]
    )
    return {row["marker"]: row for row in rows}


def subset_file(
    held: pl.DataFrame, chosen: list[str], share: float, size: int, rng
) -> pl.DataFrame:
    """One draw at true `share` for every marker of `chosen`: `size` rows of `held` per marker,
    with replacement, labelled for that marker alone (the other label columns null)."""
    n_pos = round(share * size)
    parts = []
    for marker in chosen:
        gold = held.get_column(marker).cast(pl.Int8).to_numpy() == 1
        rows = np.concatenate(
            [
                rng.choice(np.flatnonzero(gold), n_pos),
                rng.choice(np.flatnonzero(~gold), size - n_pos),
            ]
        )
        parts.append(
            held.select("id", "text", "lang", marker)[rows]
            .with_columns(pl.lit(None, pl.String).alias(m) for m in chosen if m != marker)
            .select("id", "text", "lang", *chosen)
        )
    return pl.concat(parts)


def judge_set(name: str, args, markers) -> list[dict]:
    """One row per validated marker of set `name`: its rates and the CLI's errors."""
    calib, held, _ = pv.parts(args.datasets, name)
    labelled = [m for m in markers if m in calib.columns and m in held.columns]
    sample = calib.sample(min(args.calibration_rows, calib.height), seed=pv.SEED, shuffle=True)
    held = held.sample(min(pv.HELD_OUT_ROWS, held.height), seed=pv.SEED, shuffle=True)
    rng = np.random.default_rng(pv.SEED)
    with tempfile.TemporaryDirectory(prefix="cli-judge-") as tmp:
        folder = Path(tmp)
        rates = calibrate(sample, labelled, folder, reformat=args.reformat)
        chosen = [m for m in labelled if rates.get(m, {}).get("validation") == "validated"]
        errors = {m: [] for m in chosen}
        for share in pv.PREVALENCES:
            for draw in range(args.draws):
                path = folder / f"subset-{share}-{draw}.csv"
                subset = subset_file(held, chosen, share, args.size, rng)
                write(subset, path, reformat=args.reformat)
                out = moodcast(
                    "markers",
                    "evaluate",
                    "--labels",
                    str(path),
                    "--json",
                    "--data-dir",
                    str(folder / "data"),
                )
                found = json.loads(out)["markers"]
                for m in chosen:
                    errors[m].append((share, found[m]))
    rows = []
    for m in chosen:
        truth = np.array([s for s, _ in errors[m]])
        reported = np.array([f["prevalence"] for _, f in errors[m]])
        raw = np.array([f["flagged_share"] for _, f in errors[m]])
        adjusted = np.array(
            [
                np.nan if f["adjusted_prevalence"] is None else f["adjusted_prevalence"]
                for _, f in errors[m]
            ]
        )
        rows.append(
            {
                "set": name,
                "marker": m,
                "lang": rates[m]["lang"],
                "tpr": rates[m]["tpr"],
                "fpr": rates[m]["fpr"],
                "truth_matches": bool(np.allclose(reported, truth)),
                "raw_mae": float(np.mean(np.abs(raw - truth))),
                "adjusted_mae": float(np.nanmean(np.abs(adjusted - truth))),
                "missing": int(np.isnan(adjusted).sum()),
                "bounded": sum((f["validation"] or "").startswith(BOUNDED) for _, f in errors[m]),
                "validations": sorted({f["validation"] or "—" for _, f in errors[m]}),
                "estimator": sorted({f["estimator"] or "—" for _, f in errors[m]}),
            }
        )
    return rows


def published_mae() -> dict[tuple[str, str], str]:
    """(set, marker) → the published MAE of the `prevalence` section of RESULTS.md, its
    validated rows, read by the names of its table's header."""
    text = RESULTS.read_text(encoding="utf-8")
    section = re.search(r"<!-- prevalence:start -->(.*?)<!-- prevalence:end -->", text, re.S)
    found, header = {}, None
    for line in (section.group(1) if section else "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "published MAE" in cells and "status" in cells:
            header = {name: i for i, name in enumerate(cells)}
        elif header and len(cells) == len(header) and cells[header["status"]] == "validated":
            found[(cells[header["set"]], cells[header["marker"]])] = cells[header["published MAE"]]
    return found


def report(rows: list[dict], args, cpu: float) -> str:
    """The RESULTS section: command, protocol, one line per row and the means."""
    published = published_mae()
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/cli_judge.py "
        f"--sets {args.sets} --draws {args.draws} --size {args.size} "
        f"--calibration-rows {args.calibration_rows}"
        + (f" --reformat --section {args.section}`" if args.reformat else "`"),
        "",
        "Calibration sample and held-out part of `prevalence` (same seeds), written as CSV "
        "files; `moodcast markers calibrate --labels CALIB.csv --json` into a fresh data "
        "directory, then `moodcast markers evaluate --labels SUBSET.csv --json` on "
        f"{args.draws} draws per true prevalence (5/10/20/40%) of {args.size} held-out posts "
        "per validated marker (draws of this script's own generator). "
        "True share right: whether evaluate's `prevalence` equals the drawn share in every "
        "subset; missing: subsets without an adjusted share; validated in part: subsets whose "
        "adjusted share bounds the part of languages without validated rates "
        "(docs/prevalence.md, Roll-ups). Bar: adjusted MAE <= 0.03 and <= half the raw MAE.",
        "",
        "| set | marker | lang | tpr | fpr | true share right | raw MAE | adjusted MAE (CLI) "
        "| published MAE (`prevalence`, 50 draws) | estimator | bar |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        met = r["adjusted_mae"] <= BAR and r["adjusted_mae"] <= r["raw_mae"] / 2
        missing = f" ({r['missing']} missing)" if r["missing"] else ""
        missing += f" ({r['bounded']} validated in part)" if r["bounded"] else ""
        lines.append(
            f"| {r['set']} | {r['marker']} | {r['lang']} | {r['tpr']:.3f} | {r['fpr']:.3f} | "
            f"{'yes' if r['truth_matches'] else 'NO'} | {r['raw_mae']:.3f} | "
            f"{'—' if np.isnan(r['adjusted_mae']) else format(r['adjusted_mae'], '.3f')}"
            f"{missing} | "
            f"{published.get((r['set'], r['marker']), '—')} | {', '.join(r['estimator'])} | "
            f"{'met' if met else 'missed'} |"
        )
    adjusted_rows = [r for r in rows if not np.isnan(r["adjusted_mae"])]
    if adjusted_rows:
        raw = np.mean([r["raw_mae"] for r in adjusted_rows])
        adjusted = np.mean([r["adjusted_mae"] for r in adjusted_rows])
        unadjusted = [f"{r['set']} {r['marker']}" for r in rows if np.isnan(r["adjusted_mae"])]
        lines += [
            "",
            f"Over the {len(adjusted_rows)} rows with an adjusted share"
            + (f" (not {', '.join(unadjusted)}: none in any subset)" if unadjusted else "")
            + f": adjusted MAE {adjusted:.4f} against raw {raw:.4f} ({adjusted / raw:.2f} of raw); "
            f"{sum(r['adjusted_mae'] <= BAR and r['adjusted_mae'] <= r['raw_mae'] / 2 for r in rows)} "
            f"rows meet the bar. CPU s of the moodcast subprocesses: {cpu:.0f}.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=ms.DATASETS)
    parser.add_argument("--sets", default=DEFAULT_SETS)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--calibration-rows", type=int, default=1000)
    parser.add_argument(
        "--reformat",
        action="store_true",
        help="write the files as a spreadsheet user might: no `lang` column, labels yes/no, "
        "a byte-order mark, CRLF line ends",
    )
    parser.add_argument("--section", default="cli-judge")
    args = parser.parse_args()
    if not args.datasets.is_dir():
        print(f"skipped: no datasets directory {args.datasets}")
        return
    markers = load_markers()
    rows = []
    for name in args.sets.split(","):
        judged = judge_set(name, args, markers)
        print(json.dumps(judged), flush=True)
        rows += judged
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    body = report(rows, args, usage.ru_utime + usage.ru_stime)
    print(body)
    write_section(args.section, body)


if __name__ == "__main__":
    main()
