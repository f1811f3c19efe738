"""True- and false-positive rates of each marker × language, measured on labelled posts.

Two tables of the same columns (RATES_SCHEMA): the shipped one (`SHIPPED_RATES`, measured on
permissively licensed public sets by `benchmarks/rates.py`) and the user's own
(`<data dir>/marker_rates.json`, written by `moodcast markers calibrate --labels`). The user's
row of a marker × language replaces the shipped one (`merged_rates`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl

from transforms.errors import MarkerError

SHIPPED_RATES = Path(__file__).parent / "markers" / "rates.csv"
USER_RATES_NAME = "marker_rates.json"

RATES_SCHEMA = {
    "marker": pl.String,
    "lang": pl.String,
    "marker_version": pl.String,
    "tp": pl.Int64,
    "fn": pl.Int64,
    "fp": pl.Int64,
    "tn": pl.Int64,
    "tpr": pl.Float64,
    "fpr": pl.Float64,
    "n": pl.Int64,
    "measured_on": pl.String,
    "source": pl.String,
    "source_sha256": pl.String,
    "score_source": pl.String,
    "score_pos_mean": pl.Float64,
    "score_pos_var": pl.Float64,
    "score_neg_mean": pl.Float64,
    "score_neg_var": pl.Float64,
}
"""One row per marker × language: the marker version the rates were measured on, the
confusion counts (`tp`, `fn` among labelled positives; `fp`, `tn` among labelled negatives),
`tpr = tp / (tp + fn)`, `fpr = fp / (fp + tn)`, `n` labelled posts, the ISO day they were
measured on, and the labelled file (`source`, name only) with its SHA-256. Where a per-post
score was measured (SCORE_COLUMNS, else null): the source it came from (`score_source`: a model
source, see moodcast.calibration.score_sources, or transforms.quantify.LEXICON_SOURCE) and the
score's mean and variance over the labelled positives and over the negatives, for
probabilistic adjustment (transforms.quantify.with_adjusted_prevalence)."""

SCORE_COLUMNS = ("score_pos_mean", "score_pos_var", "score_neg_mean", "score_neg_var")
"""The score statistics of RATES_SCHEMA: null in rates measured without a score (and in files
written before they existed)."""


class RatesError(MarkerError):
    """A rates file cannot be read; the message says which and why."""


def confusion_rates(
    gold: pl.DataFrame,
    hits: pl.DataFrame,
    *,
    versions: dict[str, str],
    source: Path,
    scores: pl.DataFrame | None = None,
    score_sources: dict[tuple[str, str], str] | None = None,
) -> pl.DataFrame:
    """Rates (RATES_SCHEMA) per marker × language from labelled posts.

    `gold` has `lang` and a 0/1 column per marker; `hits` the markers' decisions in the same
    row order (null where the marker has no source in that row's language: left out).
    `versions` maps each marker to its version; `source` is the labelled file (hashed).
    `scores` (same row order, optional) has a score in 0-1 per marker (a model probability or
    the lexicon's score), null where there is none; a marker × language gets SCORE_COLUMNS
    (population variances) only where every one of its labelled posts has a score, and
    `score_source` from
    `score_sources[(marker, lang)]`.
    """
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    parts = []
    for name in versions:
        probability = (
            scores.get_column(name).cast(pl.Float64)
            if scores is not None and name in scores.columns
            else pl.Series([None] * gold.height, dtype=pl.Float64)
        )
        pair = pl.DataFrame(
            {
                "lang": gold.get_column("lang"),
                "gold": gold.get_column(name).cast(pl.Int8) == 1,
                "hit": hits.get_column(name),
                "prob": probability,
            }
        ).drop_nulls(["lang", "gold", "hit"])
        parts.append(
            pair.group_by("lang")
            .agg(
                (pl.col("gold") & pl.col("hit")).sum().alias("tp"),
                (pl.col("gold") & ~pl.col("hit")).sum().alias("fn"),
                (~pl.col("gold") & pl.col("hit")).sum().alias("fp"),
                (~pl.col("gold") & ~pl.col("hit")).sum().alias("tn"),
                *_score_statistics(),
            )
            .with_columns(
                pl.lit(name).alias("marker"),
                pl.lit(versions[name]).alias("marker_version"),
                pl.when(pl.col("score_pos_mean").is_not_null())
                .then(
                    pl.col("lang").replace_strict(
                        {
                            lang: found
                            for (n, lang), found in (score_sources or {}).items()
                            if n == name
                        },
                        default=None,
                        return_dtype=pl.String,
                    )
                )
                .alias("score_source"),
            )
        )
    counts = pl.concat(parts) if parts else pl.DataFrame(schema=RATES_SCHEMA)
    return conform_rates(
        counts.with_columns(
            pl.lit(date.today().isoformat()).alias("measured_on"),
            pl.lit(source.name).alias("source"),
            pl.lit(digest).alias("source_sha256"),
        )
    )


def _score_statistics() -> list[pl.Expr]:
    """SCORE_COLUMNS of one group of `gold`, `prob`: null unless every post has a `prob`."""
    complete = pl.col("prob").null_count() == 0
    found = []
    for prefix, rows in (("score_pos", pl.col("gold")), ("score_neg", ~pl.col("gold"))):
        prob = pl.col("prob").filter(rows)
        found += [
            pl.when(complete).then(prob.mean()).alias(f"{prefix}_mean"),
            pl.when(complete).then(prob.var(ddof=0)).alias(f"{prefix}_var"),
        ]
    return found


def conform_rates(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with exactly RATES_SCHEMA's columns, `tpr`, `fpr` and `n` derived from the
    counts (a rate is null when its class has no labels), sorted by marker and language.
    Raises RatesError for a missing column."""
    missing = sorted(
        {"marker", "lang", "marker_version", "tp", "fn", "fp", "tn"} - set(frame.columns)
    )
    if missing:
        raise RatesError(f"rates lack column(s) {', '.join(missing)}")
    counts = [pl.col(c).cast(pl.Int64) for c in ("tp", "fn", "fp", "tn")]
    frame = frame.with_columns(*counts)
    n_pos, n_neg = pl.col("tp") + pl.col("fn"), pl.col("fp") + pl.col("tn")
    derived = (
        pl.when(n_pos > 0).then(pl.col("tp") / n_pos).alias("tpr"),
        pl.when(n_neg > 0).then(pl.col("fp") / n_neg).alias("fpr"),
        pl.sum_horizontal("tp", "fn", "fp", "tn").alias("n"),
    )
    frame = frame.with_columns(*derived)
    return frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
        for c, t in RATES_SCHEMA.items()
    ).sort("marker", "lang")


def read_shipped_rates(path: Path = SHIPPED_RATES) -> pl.DataFrame:
    """The shipped rates table (RATES_SCHEMA); empty when the package has none."""
    if not path.is_file():
        return pl.DataFrame(schema=RATES_SCHEMA)
    return conform_rates(pl.read_csv(path, infer_schema=False))


def read_user_rates(data_dir: Path) -> pl.DataFrame:
    """The user's rates in `data_dir` (RATES_SCHEMA); empty when there are none.
    Raises RatesError for a file that is not a rates file."""
    path = Path(data_dir) / USER_RATES_NAME
    if not path.is_file():
        return pl.DataFrame(schema=RATES_SCHEMA)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["rates"]
        if not rows:
            return pl.DataFrame(schema=RATES_SCHEMA)
        return conform_rates(pl.DataFrame(rows, schema_overrides=RATES_SCHEMA, strict=False))
    except (ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
        raise RatesError(
            f"{path} is not a rates file ({exc}); rerun `moodcast markers calibrate --labels` "
            "or remove it"
        ) from exc


def write_user_rates(data_dir: Path, measured: pl.DataFrame) -> Path:
    """Merge `measured` (RATES_SCHEMA) into the user's rates file in `data_dir`, replacing
    rows of the same marker × language, and return its path. Written with `json`."""
    path = Path(data_dir) / USER_RATES_NAME
    merged = _merge(read_user_rates(data_dir), conform_rates(measured))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"rates": merged.to_dicts()}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def merged_rates(data_dir: Path | None) -> pl.DataFrame:
    """The rates in force: the shipped table with the user's rows (if `data_dir` has any)
    in place of the shipped rows of the same marker × language."""
    shipped = read_shipped_rates()
    return shipped if data_dir is None else _merge(shipped, read_user_rates(data_dir))


def _merge(base: pl.DataFrame, newer: pl.DataFrame) -> pl.DataFrame:
    kept = base.join(newer.select("marker", "lang"), on=["marker", "lang"], how="anti")
    return pl.concat([kept, newer]).sort("marker", "lang")
