"""What a shipped marker's English zero-shot source alone flags, at the marker file's threshold."""

from __future__ import annotations

from dataclasses import replace

from transforms.embedding import load_encoder
from transforms.markers import load_markers
from transforms.model_scoring import score_embeddings


def zero_shot_flags(name: str, texts: list[str]) -> list[bool]:
    """Whether the shipped marker `name`'s English zero-shot score (no head) of each of `texts`,
    embedded by the shipped model, reaches its English threshold."""
    encoder = load_encoder()
    marker = replace(load_markers(names=[name])[name], heads={})
    scores = score_embeddings(
        encoder.encode(texts), lang="en", markers={name: marker}, encoder=encoder
    )[name]
    return (scores >= marker.thresholds["en"]).tolist()
