"""Hashtag splitting: `#IWantToDie` by camelCase, `#iwanttodie` by known-word segmentation."""

from __future__ import annotations

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
"""Small words every segmentation may use besides the shipped markers' words (English, Spanish)."""

_CAMEL = re.compile(r"[A-ZÀ-ÞÑ]?[a-zß-ÿñ]+|[A-ZÀ-ÞÑ]+(?![a-zß-ÿñ])|\d+")


def vocabulary(terms: Iterable[str]) -> frozenset[str]:
    """The known words for segmentation: every word of two or more letters in `terms`
    (lower-cased, `*` and apostrophes dropped, as canonical text drops them) and FUNCTION_WORDS.
    Single letters come only from FUNCTION_WORDS: `i'm` in a term must not let `#mascotas`
    split into "m asco t a s"."""
    words = {
        w
        for term in terms
        for w in re.findall(r"\w+", re.sub(r"['’`´ʼ]", "", term.lower().rstrip("*")))
        if len(w) > 1
    }
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


def split_hashtags(texts: pl.Series, known: frozenset[str]) -> pl.Series:
    """`texts` with each splittable hashtag replaced by its words (`#IWantToDie` → `I Want To
    Die`), a new Series. The batch's distinct hashtags are split once each, then replaced in
    one Aho-Corasick pass over the texts that have a splittable one, longest tag first. A tag
    that starts with a splittable one is a pattern too, replaced by itself (or its own
    words), so a tag is only ever replaced whole and a post's result does not depend on the
    other posts of its batch."""
    found = (
        texts.to_frame("tag")
        .lazy()
        .select(pl.col("tag").str.extract_all(HASHTAG))
        .with_row_index("row")
        .explode("tag")
        .drop_nulls()
        .collect()
    )
    tags = found.get_column("tag").unique().to_list()
    split = {tag: words for tag in tags if (words := split_hashtag(tag[1:], known)) is not None}
    if not split:
        return texts
    starts = tuple(split)
    mapping = {t: f" {split[t]} " if t in split else t for t in tags if t.startswith(starts)}
    ordered = sorted(mapping, key=lambda t: (-len(t), t))
    rows = (
        found.filter(pl.col("tag").is_in(list(split))).get_column("row").unique(maintain_order=True)
    )
    replacements = [mapping[t] for t in ordered]
    replaced = texts.gather(rows).str.replace_many(ordered, replacements, leftmost=True)
    return texts.clone().scatter(rows, replaced)
