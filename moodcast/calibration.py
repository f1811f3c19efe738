"""Marker error measured on labelled posts: the rates that `moodcast markers calibrate`
records in the data directory (transforms.rates) for the adjusted shares (transforms.quantify)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from moodcast.tagging import TaggingError
from transforms.markers import Marker
from transforms.model_markers import ModelConfig, classify
from transforms.quantify import MARGIN_SHARES, VALIDATED, margins, rates_status
from transforms.rates import confusion_rates


def labelled_markers(labels: pl.DataFrame, markers: Mapping[str, Marker]) -> dict[str, Marker]:
    """The markers with a label column of their name in `labels`; TaggingError when none."""
    labelled = {name: marker for name, marker in markers.items() if name in labels.columns}
    if not labelled:
        raise TaggingError(
            f"no label column is named after a marker; known markers: {', '.join(markers)}"
        )
    return labelled


def measure_rates(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: Path,
) -> pl.DataFrame:
    """True- and false-positive rates (transforms.rates.RATES_SCHEMA) of every marker with a
    label column in `labels` (`text`, `lang` and 0/1 columns: training.label_frame's output),
    per language, deciding each post as a run does (the marker's rule under `config`).
    `source` is the labelled file, recorded by name and SHA-256."""
    chosen = labelled_markers(labels, markers)
    hits = classify(labels, chosen, config=config)
    versions = {name: marker.version for name, marker in chosen.items()}
    return confusion_rates(labels, hits, versions=versions, source=source)


def with_margins(rates: pl.DataFrame) -> pl.DataFrame:
    """`rates` (transforms.rates) with their `validation` (transforms.quantify.rates_status) and
    the `rates_margin_<percent>` columns of transforms.quantify.margins: the ± that these rates
    alone put on an adjusted share of each MARGIN_SHARES true value (null where not validated).
    More labelled positives narrow it at high shares, more negatives at low ones."""
    n_pos, n_neg = pl.col("tp") + pl.col("fn"), pl.col("fp") + pl.col("tn")
    return (
        rates.join(rates_status(rates), on=["marker", "lang"], how="left")
        .with_columns(n_pos.alias("n_pos"), n_neg.alias("n_neg"))
        .with_columns(margins(pl.col("validation")))
        .drop("n_pos", "n_neg")
    )


def rate_lines(rates: pl.DataFrame) -> list[str]:
    """One readable line per marker × language of `rates`: its rates, and the margin they
    leave on adjusted shares (`with_margins`) or its validation status when not validated."""
    lines = []
    for row in with_margins(rates).iter_rows(named=True):
        if row["validation"] == VALIDATED:
            margins = ", ".join(
                f"±{row[f'rates_margin_{round(s * 100)}']:.3f} at {s:.0%}" for s in MARGIN_SHARES
            )
            flag = f"  (adjusted shares {margins} from these rates alone)"
        else:
            flag = f"  ({row['validation']})"
        lines.append(
            f"{row['marker']:<16} [{row['lang']}] tpr {_pct(row['tpr'])} of {row['tp'] + row['fn']} "
            f"positives, fpr {_pct(row['fpr'])} of {row['fp'] + row['tn']} negatives{flag}"
        )
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
