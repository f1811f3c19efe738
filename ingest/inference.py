"""Model-based markers inside Beam: RunInference with a ModelHandler that loads each configured
sentence model once per worker and scores frames of distinct post texts, one shard at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import apache_beam as beam
import polars as pl
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from transforms.embedding import Encoder
from transforms.markers import Marker
from transforms.model_markers import ModelConfig, encoder_languages, load_encoders, model_scores

TEXT_SHARDS = 16
"""The texts that need a model are grouped this many ways by their key, so that every copy of
a text meets in one group and is scored once."""


class Encoders(dict[str, Encoder]):
    """Language → encoder: a dict subclass because Beam shares a loaded model through a weak
    reference, which a plain dict cannot have."""


class MarkerModelHandler(ModelHandler[pl.DataFrame, pl.DataFrame, Encoders]):
    """Scores frames of distinct texts (`lang, key, text`) with their language's model sources
    and returns each frame's model scores (transforms.model_markers.model_scores). Each frame
    is a batch of its own: per-text elements cost Beam more than the n-gram heads do."""

    def __init__(
        self, markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
    ):
        super().__init__()
        self._markers = markers
        self._config = config
        self._languages = tuple(sorted(languages))

    def load_model(self) -> Encoders:
        languages = encoder_languages(self._markers, self._config, self._languages)
        return Encoders(load_encoders(self._config, languages))

    def run_inference(
        self, batch: Sequence[pl.DataFrame], model: Encoders, inference_args=None
    ) -> Iterable[PredictionResult]:
        return [
            PredictionResult(texts, model_scores(texts, markers=self._markers, encoders=model))
            for texts in batch
        ]

    def batch_elements_kwargs(self) -> Mapping:
        return {"min_batch_size": 1, "max_batch_size": 1}


def shard_texts(texts: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    """A chunk's texts that need a model (`lang, key, text`), distinct, keyed by their key
    modulo TEXT_SHARDS."""
    distinct = texts.unique(["lang", "key"], keep="first", maintain_order=True)
    for (shard,), group in distinct.group_by(pl.col("key") % TEXT_SHARDS):
        yield int(shard), group


def distinct_texts(item: tuple[int, Iterable[pl.DataFrame]]) -> pl.DataFrame:
    """One shard's texts from every chunk, each `lang, key` once."""
    _, frames = item
    return pl.concat(list(frames)).unique(["lang", "key"], keep="first", maintain_order=True)


def scores_table(results: list[PredictionResult]) -> pl.DataFrame:
    """RunInference's results → `lang, key, <marker>__model…` (one row per text)."""
    empty = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
    return pl.concat([empty, *(r.inference for r in results)], how="diagonal_relaxed")


class ScoreTextsWithModels(beam.PTransform):
    """(shard, frame of `lang, key, text`) elements (shard_texts) → one singleton DataFrame of
    model scores, each distinct text scored once in the run."""

    def __init__(
        self, markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
    ):
        super().__init__()
        self._handler = MarkerModelHandler(markers, config, languages)

    def expand(self, texts):
        return (
            texts
            | "GroupTextsByShard" >> beam.GroupByKey()
            | "DistinctTexts" >> beam.Map(distinct_texts)
            | "EmbedAndScore" >> RunInference(self._handler)
            | "CollectScores" >> beam.combiners.ToList()
            | "ScoresTable" >> beam.Map(scores_table)
        )
