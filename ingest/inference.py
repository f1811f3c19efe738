"""Model-based markers inside Beam: RunInference with a ModelHandler that loads each configured
sentence model once per worker and scores batches of distinct post texts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import apache_beam as beam
import polars as pl
from apache_beam.ml.inference.base import (
    KeyedModelHandler,
    ModelHandler,
    PredictionResult,
    RunInference,
)

from transforms.embedding import Encoder
from transforms.markers import Marker
from transforms.model_markers import ModelConfig, encoder_languages, load_encoders, score_texts

TextExample = tuple[str, str]
"""(lang, model text)."""


class Encoders(dict[str, Encoder]):
    """Language → encoder: a dict subclass because Beam shares a loaded model through a weak
    reference, which a plain dict cannot have."""


class MarkerModelHandler(ModelHandler[TextExample, dict[str, float], Encoders]):
    """Scores (lang, text) examples with their language's model sources and returns each text's
    model score per marker (transforms.model_markers.score_texts)."""

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
        self, batch: Sequence[TextExample], model: Encoders, inference_args=None
    ) -> Iterable[PredictionResult]:
        results: list[PredictionResult | None] = [None] * len(batch)
        for lang in sorted({lang for lang, _ in batch}):
            rows = [i for i, (lg, _) in enumerate(batch) if lg == lang]
            scores = score_texts(
                [batch[i][1] for i in rows],
                lang=lang,
                markers=self._markers,
                encoder=model.get(lang),
            )
            for j, i in enumerate(rows):
                inference = {name: float(values[j]) for name, values in scores.items()}
                results[i] = PredictionResult(batch[i], inference)
        return results

    def batch_elements_kwargs(self) -> Mapping:
        return {"min_batch_size": 32, "max_batch_size": 256}


def scores_table(results: list[tuple[tuple[str, int], PredictionResult]]) -> pl.DataFrame:
    """RunInference's keyed results → `lang, key, <marker>__model…` (one row per text)."""
    rows = [
        {"lang": lang, "key": key, **{f"{n}__model": v for n, v in result.inference.items()}}
        for (lang, key), result in results
    ]
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    empty = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
    return pl.concat([empty, frame], how="diagonal_relaxed").unique(["lang", "key"])


class ScoreTextsWithModels(beam.PTransform):
    """((lang, key), (lang, text)) elements → one singleton DataFrame of model scores, each
    distinct text embedded once in the run."""

    def __init__(
        self, markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
    ):
        super().__init__()
        self._handler = KeyedModelHandler(MarkerModelHandler(markers, config, languages))

    def expand(self, texts):
        return (
            texts
            | "DistinctTexts" >> beam.Distinct()
            | "EmbedAndScore" >> RunInference(self._handler)
            | "CollectScores" >> beam.combiners.ToList()
            | "ScoresTable" >> beam.Map(scores_table)
        )
