"""A static head of marker `sad` trained in seconds, for the tests of a head whose own model
folder the workers lack or find damaged."""

from pathlib import Path

import polars as pl

SAD_TEXTS = ["I cried all night", "so sad today", "went for a run", "lunch was nice"] * 3
"""The texts it is trained on, the first two of every four labelled `sad`."""


def train_sad_static_head(out_dir: Path, *, cache_dir: Path) -> Path:
    """Train a static head of marker `sad` on SAD_TEXTS into the marker directory `out_dir`
    (its sentence model's exports cached in `cache_dir`); return its model folder
    (`static-<digest>`)."""
    from moodcast.static_models import StaticSettings
    from moodcast.training import train_heads
    from transforms.model_markers import ModelConfig

    labels = pl.DataFrame({"text": SAD_TEXTS, "lang": "en", "sad": [1, 1, 0, 0] * 3})
    small = StaticSettings(pca_dims=8, token_remove_pattern=r"^(?![a-z]{1,3}$|sad$|cried$)")
    train_heads(labels, markers={}, config=ModelConfig(cache_dir=cache_dir), out_dir=out_dir,
                origin="t", family="static", static=small)  # fmt: skip
    (folder,) = out_dir.glob("static-*")
    return folder
