"""Text folding for matching, and offline language detection."""

from __future__ import annotations

import functools

import polars as pl

_ENYE = "\ue000"
"""A private-use stand-in that keeps Spanish ñ through accent folding (año is not ano)."""


def fold(text: pl.Expr) -> pl.Expr:
    """Lower-case `text` and strip accents and other combining marks, keeping ñ.

    Marker terms are folded the same way, so `Corazón` matches the term `corazon` and
    `corazón` alike.
    """
    return (
        text.str.to_lowercase()
        .str.replace_all("ñ", _ENYE, literal=True)
        .str.normalize("NFD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(_ENYE, "ñ", literal=True)
    )


def fold_str(text: str) -> str:
    """`fold` for one Python string."""
    return pl.select(fold(pl.lit(text))).item()


@functools.cache
def _identifier():
    import py3langid

    return py3langid


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language `text` is most likely written in (offline, py3langid)."""
    return _identifier().classify(text)[0]


def primary_subtag(lang: pl.Expr) -> pl.Expr:
    """`en-US`, `EN`, ` en ` → `en`; empty strings become null."""
    code = lang.str.strip_chars().str.to_lowercase().str.split_exact("-", 1).struct.field("field_0")
    return pl.when(code.str.len_chars() > 0).then(code)
