"""The shared labelled sets of benchmarks/markers.py: where each lives, which of its label
columns are our markers, and its deterministic train/dev/test splits.

Sets with an official split keep it. The others are split by a keyed hash of `id`: 60% train,
20% dev, 20% test (`split_of`). A split above `cap` rows keeps the `cap` rows of lowest hash, so
reruns see the same rows. Texts are read here and never leave the process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

DATASETS = Path(os.environ.get("MOODCAST_DATASETS", "/work/shared/datasets"))
SPLITS = ("train", "dev", "test")
SHIPPABLE = frozenset({"covidemo_en", "xed_en", "xed_es", "sad_stress_en", "rmhd27_reddit_en"})
"""Sets whose licence (CC BY 4.0 or MIT) lets us ship what is derived from them."""


@dataclass(frozen=True)
class LabelledSet:
    """One labelled set: `files` maps a split to its CSV (one file for all splits when the split
    is hashed); `labels` are the set's columns that are our markers; `control` names a column of
    negative rows: each marker is then judged on its own positives against those controls only
    (community labels, not per-post ones). `proxies` maps a label to the file's column it is
    read from where the set labels a related construct rather than the marker itself (the
    tables name it). `related` maps a column that is no marker's label to markers whose flag
    rates on its positives and negatives are reported beside it, never as a label."""

    name: str
    lang: str
    labels: tuple[str, ...]
    files: dict[str, str]
    kind: str
    control: str | None = None
    proxies: dict[str, str] = field(default_factory=dict)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def column(self, label: str) -> str:
        """The file's column that `label` is read from."""
        return self.proxies.get(label, label)

    @property
    def hashed(self) -> bool:
        return len(set(self.files.values())) == 1


EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
RISK = ("depression", "anxiety", "suicide_risk", "loneliness", "substance_use")


def _one(file: str) -> dict[str, str]:
    return dict.fromkeys(SPLITS, file)


SETS = (
    LabelledSet(
        "covidemo_en",
        "en",
        EMOTIONS,
        {
            "train": "covidemo_en_dev.csv",
            "dev": "covidemo_en_dev.csv",
            "test": "covidemo_en_test.csv",
        },
        "English emotion tweets",
    ),
    LabelledSet("xed_en", "en", EMOTIONS, _one("xed_en.csv"), "English subtitles"),
    LabelledSet("isear_en", "en", EMOTIONS[:5], _one("isear_en.csv"), "English self-reports"),
    LabelledSet("sad_stress_en", "en", ("stress",), _one("sad_stress_en.csv"), "stress"),
    LabelledSet(
        "rmhd27_reddit_en",
        "en",
        RISK,
        _one("rmhd27_reddit_en.csv"),
        "Reddit, subreddit vs control",
        control="control",
    ),
    LabelledSet(
        "irf_reddit_en",
        "en",
        ("loneliness",),
        {
            "train": "irf_reddit_en_train.csv",
            "dev": "irf_reddit_en_val.csv",
            "test": "irf_reddit_en_test.csv",
        },
        "Reddit, thwarted belongingness as a loneliness proxy",
        proxies={"loneliness": "thwarted_belongingness"},
        related={"perceived_burdensomeness": ("suicide_risk", "hopelessness")},
    ),
    LabelledSet(
        "semeval2018_ec_es",
        "es",
        (*EMOTIONS, "love", "hope"),
        {s: f"semeval2018_ec_es_{s}.csv" for s in SPLITS},
        "Spanish emotion tweets",
    ),
    LabelledSet("xed_es", "es", EMOTIONS, _one("xed_es.csv"), "Spanish subtitles"),
    LabelledSet(
        "valeriano_suicide_es", "es", ("suicide_risk",), _one("valeriano_suicide_es.csv"), "risk"
    ),
    LabelledSet(
        "mentai_instagram_es",
        "es",
        ("love", "sadness", "anger"),
        _one("mentai_instagram_es.csv"),
        "Spanish Instagram comments",
    ),
)
"""covidemo publishes no train split: its dev split is what thresholds and heads learn from.
irf_reddit_en (research use only: evaluated, never shipped from) labels thwarted belongingness,
Joiner's construct of loneliness and lack of reciprocal care: a proxy for `loneliness`, not the
same thing, so its tables name the column it stands for."""


def available() -> bool:
    return (DATASETS / "SOURCES.md").is_file()


def skipped() -> bool:
    """Whether the labelled sets are absent, after printing that the benchmark is skipped and
    how to point it at them: a benchmark of the sets then does nothing."""
    if available():
        return False
    print(f"skipped: no labelled sets at {DATASETS} (set MOODCAST_DATASETS)")
    return True


def split_of(name: str, ids: pl.Series) -> pl.Series:
    """`train`, `dev` or `test` for each id, from a hash of the set name and the id."""

    def bucket(i: object) -> int:
        digest = hashlib.blake2b(f"{name}:{i}".encode(), digest_size=8).digest()
        return int.from_bytes(digest) % 100

    return pl.Series(
        [("train" if b < 60 else "dev" if b < 80 else "test") for b in map(bucket, ids)]
    )


def hashed_order(name: str, ids: pl.Series) -> pl.Series:
    """A fixed pseudo-random sort key for the rows `ids` of set `name` (a keyed hash of each
    id): load_split's `cap` keeps the rows first in it."""
    return pl.Series(
        [hashlib.blake2b(f"order:{name}:{i}".encode(), digest_size=8).hexdigest() for i in ids]
    )


def load_split(labelled: LabelledSet, split: str, *, cap: int | None = None) -> pl.DataFrame:
    """`id, text, lang` and the set's marker labels (Boolean; and `control` and its `related`
    columns) of one split,
    at most `cap` rows (those of lowest hash). Rows of a control set that are neither a
    marker's positive nor a control are dropped."""
    frame = pl.read_csv(
        DATASETS / labelled.files[split], infer_schema=False, columns=None, null_values=[""]
    )
    if labelled.hashed:
        frame = frame.filter(split_of(labelled.name, frame.get_column("id")) == split)
    columns = [*labelled.labels, *([labelled.control] if labelled.control else [])]
    frame = frame.select(
        pl.col("id").cast(pl.String),
        pl.col("text").fill_null(""),
        pl.lit(labelled.lang).alias("lang"),
        *[(pl.col(labelled.column(c)) == "1").alias(c) for c in [*columns, *labelled.related]],
    )
    if labelled.control:
        frame = frame.filter(pl.any_horizontal(columns))
    if cap is not None and frame.height > cap:
        frame = (
            frame.with_columns(hashed_order(labelled.name, frame.get_column("id")).alias("_o"))
            .sort("_o")
            .head(cap)
            .drop("_o")
        )
    return frame


STRESS_PROXY = "rmhd27_reddit_en"
"""The set read as a stress proxy though it labels no stress: its r/anxiety and r/depression
posts (stressed) against its controls (stress_rows)."""


def stress_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a split of STRESS_PROXY that judge stress, with a Boolean `stress`: its
    r/anxiety and r/depression posts (stressed) and its controls."""
    stressed = pl.col("anxiety") | pl.col("depression")
    return frame.filter(stressed | pl.col("control")).with_columns(stress=stressed)


def judged(labelled: LabelledSet, frame: pl.DataFrame, marker: str) -> pl.Series:
    """Which rows of `frame` judge `marker`: all, or its positives and the controls."""
    if labelled.control is None:
        return pl.Series([True] * frame.height)
    return frame.get_column(marker) | frame.get_column(labelled.control)
