"""The protocol that benchmarks/prevalence.py, prevalence_heads.py and prevalence_error.py
share: which labelled sets are used and how each splits into a calibration part and a held-out
part, the seeded samples taken of them, the true prevalences drawn, the command line, and each
post reduced to numbers (the rule's decision, its scores, the rates `moodcast markers
calibrate` measures on the calibration sample). Texts are read here and never leave the
process; only numbers are cached.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from benchmarks import marker_sets as ms
from moodcast.calibration import (
    lexicon_scores,
    lexicon_sources,
    measure_rates,
    score_probabilities,
    score_sources,
)
from moodcast.label_files import label_frame
from transforms.markers import score
from transforms.model_markers import classify
from transforms.quantify import rates_status
from transforms.rates import confusion_rates

ROOT = Path(__file__).resolve().parents[1]
PREVALENCES = (0.05, 0.10, 0.20, 0.40)
HELD_OUT_ROWS = 5000
MIN_HELD_OUT = 20
SEED = 0

SETS = {
    "covidemo_en": (("covidemo_en_dev.csv",), ("covidemo_en_test.csv",)),
    "semeval2018_ec_es": (
        ("semeval2018_ec_es_train.csv", "semeval2018_ec_es_dev.csv"),
        ("semeval2018_ec_es_test.csv",),
    ),
    "xed_en": (("xed_en.csv",), None),
    "xed_es": (("xed_es.csv",), None),
    "isear_en": (("isear_en.csv",), None),
    "rmhd27_reddit_en": (("rmhd27_reddit_en.csv",), None),
    "sad_stress_en": (("sad_stress_en.csv",), None),
    "valeriano_suicide_es": (("valeriano_suicide_es.csv",), None),
    "mentai_instagram_es": (("mentai_instagram_es.csv",), None),
    "irf_reddit_en": (
        ("irf_reddit_en_train.csv", "irf_reddit_en_val.csv"),
        ("irf_reddit_en_test.csv",),
    ),
}
"""Set → (calibration files, held-out files); None: a seeded half of the calibration file."""


def parts(datasets: Path, name: str):
    """(calibration part, held-out part, path of the first calibration file) of set `name` as raw
    frames, a proxy label column renamed after the marker it stands for."""
    calib, held = SETS[name]
    proxies = next((s.proxies for s in ms.SETS if s.name == name), {})
    renames = {column: marker for marker, column in proxies.items()}
    calib_frame, held_frame, source = _parts(datasets, calib, held)
    return calib_frame.rename(renames), held_frame.rename(renames), source


def _parts(datasets: Path, calib: tuple[str, ...], held: tuple[str, ...] | None):
    read = [pl.read_csv(datasets / name, infer_schema=False) for name in calib]
    frame = pl.concat(read, how="diagonal")
    if held is not None:
        other = pl.concat(
            [pl.read_csv(datasets / name, infer_schema=False) for name in held], how="diagonal"
        )
        return frame, other, datasets / calib[0]
    shuffled = frame.sample(fraction=1.0, seed=SEED, shuffle=True)
    half = shuffled.height // 2
    return shuffled.head(half), shuffled.slice(half), datasets / calib[0]


def scored_posts(name: str, args, settings, markers) -> tuple[pl.DataFrame, dict]:
    """The posts of set `name` that the protocol uses, reduced to numbers: one row per post
    and labelled marker of the calibration sample (`part` "calibration") and of the held-out
    part (`part` "held-out", at most HELD_OUT_ROWS), with `marker`, `lang`, `gold`, `hit`
    (the rule's decision; null where the marker has no source in the language), `prob` (the
    model probability, NaN where it has none) and `lexicon` (the lexicon's graded score,
    moodcast.calibration.lexicon_scores; null where the marker has no terms in the language);
    `count` (the lexicon's term count, for `cap_choice`); and the rates measured on the calibration sample as `moodcast markers calibrate` measures
    them (moodcast.calibration.measure_rates, with the score statistics), with `validation`
    and `variants`: the same rates holding the statistics of the model probability alone
    (`model`, what calibrate recorded before the lexicon score) and of the lexicon score alone
    (`lexicon`); keyed by (marker, lang). The model probabilities are cached in
    benchmarks/.data by set, sizes and marker versions (no text is kept)."""
    calib, held, source = parts(args.datasets, name)
    labelled = [m for m in markers if m in calib.columns and m in held.columns]
    if not labelled:
        return pl.DataFrame(), {}
    chosen = {m: markers[m] for m in labelled}
    sample = calib.sample(min(args.calibration_rows, calib.height), seed=SEED, shuffle=True)
    held = held.sample(min(HELD_OUT_ROWS, held.height), seed=SEED, shuffle=True)
    frames = {
        part: label_frame(frame, text_col="text", label_cols=labelled)
        for part, frame in (("calibration", sample), ("held-out", held))
    }
    key = "-".join([name, str(args.calibration_rows), *(markers[m].version[:8] for m in labelled)])
    cache = ROOT / "benchmarks" / ".data" / "prevalence-posts" / f"{key}.parquet"
    if cache.is_file():
        posts = pl.read_parquet(cache)
    else:
        posts = pl.concat(
            _long(part, frame, labelled, markers, settings.model_config)
            for part, frame in frames.items()
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        posts.write_parquet(cache)
    lexicon = {part: lexicon_scores(frame, chosen) for part, frame in frames.items()}
    counts = {part: score(frame.select("text", "lang"), chosen) for part, frame in frames.items()}
    posts = posts.with_columns(
        pl.col("prob").fill_nan(None),
        pl.concat([lexicon[part].get_column(m) for part in frames for m in labelled]).alias(
            "lexicon"
        ),
        pl.concat([counts[part].get_column(f"{m}__count") for part in frames for m in labelled])
        .cast(pl.Float64)
        .alias("count"),
    )
    calibration = posts.filter(pl.col("part") == "calibration")
    columns = {
        column: pl.DataFrame(
            {m: calibration.filter(pl.col("marker") == m).get_column(column) for m in labelled}
        )
        for column in ("hit", "prob", "lexicon")
    }
    frame = frames["calibration"]
    rates = measure_rates(
        frame, markers, config=settings.model_config, source=source, probabilities=columns["prob"]
    )
    rates = rates.join(rates_status(rates), on=["marker", "lang"])
    versions = {m: markers[m].version for m in labelled}
    variants = {
        variant: {
            (r["marker"], r["lang"]): r
            for r in confusion_rates(
                frame, columns["hit"], versions=versions, source=source,
                scores=columns[column], score_sources=sources,
            ).iter_rows(named=True)
        }
        for variant, column, sources in (
            ("model", "prob", score_sources(chosen, settings.model_config)),
            ("lexicon", "lexicon", lexicon_sources(chosen)),
        )
    }  # fmt: skip
    found = {}
    for r in rates.iter_rows(named=True):
        key = (r["marker"], r["lang"])
        found[key] = r | {"variants": {v: rows[key] for v, rows in variants.items()}}
    return posts, found


def _long(part: str, frame: pl.DataFrame, labelled: list[str], markers, config) -> pl.DataFrame:
    """`part, marker, lang, gold, hit, prob` of every post of `frame` and labelled marker."""
    chosen = {m: markers[m] for m in labelled}
    hits = classify(frame, chosen, config=config)
    probs = score_probabilities(frame, chosen, config=config)
    return pl.concat(
        pl.DataFrame(
            {
                "part": part,
                "marker": marker,
                "lang": frame.get_column("lang"),
                "gold": frame.get_column(marker) == 1,
                "hit": hits.get_column(marker),
                "prob": probs.get_column(marker).cast(pl.Float64),
            }
        )
        for marker in labelled
    )


def arguments(doc: str) -> argparse.Namespace:
    """The command line of this protocol (datasets, draws, subset size, calibration rows), with
    `doc`'s first paragraph as its description."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=ms.DATASETS)
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--calibration-rows", type=int, default=1000)
    return parser.parse_args()
