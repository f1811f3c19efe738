"""Marker error measured on labelled posts: the rates that `moodcast markers calibrate`
records in the data directory (transforms.rates) for the adjusted shares (transforms.quantify)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from moodcast.tagging import TaggingError
from transforms.markers import Marker
from transforms.model_markers import ModelConfig, classify
from transforms.quantify import VALIDATED, rates_status
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


def rate_lines(rates: pl.DataFrame) -> list[str]:
    """One readable line per marker × language of `rates`, with its validation status when it
    is not validated."""
    lines = []
    status = rates_status(rates)
    for row in rates.join(status, on=["marker", "lang"], how="left").iter_rows(named=True):
        flag = "" if row["validation"] == VALIDATED else f"  ({row['validation']})"
        lines.append(
            f"{row['marker']:<16} [{row['lang']}] tpr {_pct(row['tpr'])} of {row['tp'] + row['fn']} "
            f"positives, fpr {_pct(row['fpr'])} of {row['fp'] + row['tn']} negatives{flag}"
        )
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
