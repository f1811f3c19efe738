"""The sets and views that trained-head benchmarks learn from and judge on
(benchmarks/head_recipes.py, finetune_recipes.py, static_model.py): each labelled set as it is,
the issue's 0.70 tweet bar (`NAME:bar`, four labels) and its Reddit-stress bar (`NAME:stress`,
one label), the rows of each split, and heads trained and judged on them as `moodcast markers
train` trains them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from benchmarks import marker_sets as ms
from benchmarks.markers import CONFIG, prf
from moodcast.finetune import FinetuneSettings
from moodcast.training import train_heads
from transforms.markers import load_markers
from transforms.model_markers import threshold
from transforms.model_scoring import model_text, score_texts

BAR_LABELS = {
    "covidemo_en": ("anger", "joy", "sadness", "anticipation"),
    "semeval2018_ec_es": ("anger", "joy", "sadness", "hope"),
}
"""The four labels of the issue's 0.70 tweet bar (anger, joy, optimism, sadness) per set:
CovidEmo has no optimism label (`anticipation` is the nearest), SemEval-2018 E-c Spanish
`hope`."""
STRESS_VIEWS = ("sad_stress_en", "rmhd27_reddit_en")
"""Sets judged again as the issue's Reddit-stress bar (one label, `stress`), see stress_view."""


class View(NamedTuple):
    """One set as a head benchmark judges it: `key` (NAME, NAME:bar or NAME:stress), the set
    (a bar view keeps only its BAR_LABELS), the title of its table row, and whether each split
    is its stress_view."""

    key: str
    labelled: ms.LabelledSet
    title: str
    stress: bool


def views() -> list[View]:
    """Every set, then the bar view of each set of BAR_LABELS, then the stress view of each of
    STRESS_VIEWS."""
    found = [View(s.name, s, s.name, False) for s in ms.SETS]
    found += [
        View(f"{s.name}:bar", replace(s, labels=BAR_LABELS[s.name]),
             f"{s.name}, bar labels ({', '.join(BAR_LABELS[s.name])})", False)
        for s in ms.SETS
        if s.name in BAR_LABELS
    ]  # fmt: skip
    found += [
        View(f"{s.name}:stress", s, f"{s.name}, stress (balanced)" if s.name == "sad_stress_en"
             else f"{s.name}, stress (anxiety+depression vs control)", True)
        for s in ms.SETS
        if s.name in STRESS_VIEWS
    ]  # fmt: skip
    return found


def view_of(key: str) -> View:
    """The view named `key` (NAME, NAME:bar or NAME:stress)."""
    return next(view for view in views() if view.key == key)


def stress_view(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A balanced stress task from one split: sad_stress_en's negatives and as many of its
    positives (seeded), or rmhd27's r/anxiety and r/depression posts (`stress`) against its
    controls (marker_sets.stress_rows)."""
    if name == ms.STRESS_PROXY:
        return ms.stress_rows(frame)
    gold = frame.get_column("stress").to_numpy()
    negatives = np.flatnonzero(~gold)
    chosen = np.random.default_rng(0).choice(np.flatnonzero(gold), len(negatives), replace=False)
    return frame[np.sort(np.concatenate([negatives, chosen]))]


def splits(
    labelled: ms.LabelledSet, train_cap: int, cap: int, view: bool = False
) -> dict[str, pl.DataFrame]:
    """The rows a head learns from and the dev and test rows it is judged on (with `view`,
    each split's stress_view; the caps apply before it). CovidEmo has no train split: its dev
    split is cut by a hash of `id` into 80% to learn from and 20% to judge on."""
    if labelled.name == "covidemo_en":
        full = ms.load_split(labelled, "dev")
        inner = ms.split_of("covidemo-inner", full.get_column("id"))
        train, dev = full.filter(inner != "test"), full.filter(inner == "test")
    else:
        train = ms.load_split(labelled, "train", cap=train_cap)
        dev = ms.load_split(labelled, "dev", cap=cap)
    parts = {"train": train, "dev": dev, "test": ms.load_split(labelled, "test", cap=cap)}
    if view:
        return {split: stress_view(labelled.name, frame) for split, frame in parts.items()}
    return parts


def trained(
    labelled: ms.LabelledSet, train: pl.DataFrame, family: str, recipe: str, encoder, out: Path,
    settings: FinetuneSettings | None = None, c_grid: tuple[float, ...] | None = None,
):  # fmt: skip
    """Markers with heads of (`family`, `recipe`) trained on `train` at the C of `c_grid` each
    cross-validates best at (None: the family's DEFAULT_C), one per label, written into `out`
    (a finetune head's model stays there)."""
    names = [n for n in labelled.labels if train.get_column(n).sum() >= 2]
    labels = train.select("text", "lang", *[pl.col(n).cast(pl.Int8) for n in names])
    train_heads(labels, markers=load_markers(), config=CONFIG, out_dir=out, origin=labelled.name,
                family=family, recipe=recipe, encoder=encoder, settings=settings,
                c_grid=c_grid)  # fmt: skip
    return load_markers(out, names=names)


def label_f1(labelled: ms.LabelledSet, frame: pl.DataFrame, markers, encoder) -> dict:
    """Each head's F1 on `frame` (judged rows only, as benchmarks/markers.py), by marker."""
    texts = frame.select(model_text(pl.col("text"))).to_series().to_list()
    lang = labelled.lang
    scores = score_texts(texts, lang=lang, markers=markers, encoder=encoder)
    f1s = {}
    for name, marker in markers.items():
        keep = ms.judged(labelled, frame, name).to_numpy()
        gold = frame.get_column(name).to_numpy()[keep]
        f1s[name] = prf(gold, scores[name][keep] >= threshold(marker, lang))[2]
    return f1s
