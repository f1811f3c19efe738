"""Hashtag splitting: `#IWantToDie` by camelCase, `#iwanttodie` by known-word segmentation."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import polars as pl

HASHTAG = r"#[\p{L}\p{N}_]+"
FUNCTION_WORDS = frozenset(
    [
        "i",
        "a",
        "me",
        "my",
        "im",
        "am",
        "is",
        "are",
        "was",
        "be",
        "been",
        "so",
        "too",
        "very",
        "really",
        "just",
        "not",
        "no",
        "never",
        "dont",
        "cant",
        "to",
        "the",
        "an",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "it",
        "this",
        "that",
        "all",
        "everything",
        "everyone",
        "anymore",
        "want",
        "wanna",
        "feel",
        "feeling",
        "felt",
        "need",
        "needs",
        "hate",
        "love",
        "life",
        "day",
        "today",
        "tonight",
        "again",
        "always",
        "yo",
        "mi",
        "me",
        "te",
        "se",
        "lo",
        "la",
        "el",
        "los",
        "las",
        "un",
        "una",
        "y",
        "o",
        "de",
        "en",
        "con",
        "por",
        "para",
        "que",
        "muy",
        "no",
        "nunca",
        "ya",
        "todo",
        "nada",
        "quiero",
        "estoy",
        "tengo",
        "siento",
        "mas",
    ]
)
"""Small words every segmentation may use besides the lexicon's own words (English, Spanish)."""

_CAMEL = re.compile(r"[A-ZÀ-ÞÑ]?[a-zß-ÿñ]+|[A-ZÀ-ÞÑ]+(?![a-zß-ÿñ])|\d+")


def vocabulary(terms: Iterable[str]) -> frozenset[str]:
    """The known words for segmentation: every word of `terms` (lower-cased, `*` dropped) and
    FUNCTION_WORDS."""
    words = {w for term in terms for w in re.findall(r"\w+", term.lower().rstrip("*"))}
    return frozenset(words | FUNCTION_WORDS)


def split_hashtag(tag: str, known: frozenset[str]) -> str | None:
    """The words of one hashtag (without its `#`), or None to leave it as it is.

    A tag with case changes inside (`IWantToDie`, `NoEstoyBien`) splits at them. An all-lower
    or all-upper tag splits into known words when it is exactly a sequence of two or more of
    them, preferring the fewest words; otherwise it stays whole.
    """
    if any(c.isupper() for c in tag[1:]) and any(c.islower() for c in tag):
        parts = _CAMEL.findall(tag)
        return " ".join(parts) if len(parts) > 1 else None
    words = _segment(tag.lower(), known)
    return " ".join(words) if words and len(words) > 1 else None


def _segment(text: str, known: frozenset[str]) -> list[str] | None:
    best: list[list[str] | None] = [[]] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - 24), end):
            head = best[start]
            if head is not None and text[start:end] in known:
                candidate = [*head, text[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[len(text)]


def split_hashtags(text: pl.Expr, known: frozenset[str]) -> pl.Expr:
    """`text` with each splittable hashtag replaced by its words (`#IWantToDie` → `I Want To
    Die`). The batch's distinct hashtags are split once each, then replaced in one
    Aho-Corasick pass over the texts that have a `#`."""
    return text.map_batches(functools.partial(_split_series, known=known), return_dtype=pl.String)


def _split_series(texts: pl.Series, *, known: frozenset[str]) -> pl.Series:
    rows = texts.str.contains("#", literal=True).fill_null(False).arg_true()
    tagged = texts.gather(rows)
    tags = tagged.str.extract_all(HASHTAG).explode().drop_nulls().unique().to_list()
    mapping = {}
    for tag in tags:
        words = split_hashtag(tag[1:], known)
        if words is not None:
            mapping[tag] = " " + words + " "
    if not mapping:
        return texts
    ordered = sorted(mapping, key=lambda t: (-len(t), t))
    split = tagged.str.replace_many(ordered, [mapping[t] for t in ordered], leftmost=True)
    return texts.scatter(rows, split)
