"""Lexicon matching, column-wise: canonical text, one Aho-Corasick pass per language, and the
rules that decide which occurrences count (FORMAT.md, "Matching").

A text and every term go through the same `canonical` normalisation: case and accent folding
(ñ kept), apostrophes dropped, runs of three or more of one letter cut to one, every character
that is neither a letter, a digit nor a space made a token of its own, single spaces, one space
at each end. Word boundaries then are literal spaces, so a term ` sad ` never matches inside
` saddle `, and emoji or emoticons (`:(` → ` : ( `) are tokens like words. All terms of all
markers of one language are found in one overlapping Aho-Corasick pass (polars `find_many`);
only the occurrences, a few per post, are then checked for containment, negation and the
first-person cue.

This is the reference engine: `transforms.markers.score(..., engine="reference")` runs it on
every post. The compiled engine (transforms/markers/engine.py), the default, must give the same
results and hands the rare posts it cannot decide alone (very long words near an occurrence)
back to `occurrences`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from transforms.text import APOSTROPHES, fold_series

NEGATION_CUES = {
    "en": ("not", "no", "never", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
           "werent", "aint", "nor", "without", "hardly", "barely", "neither", "nobody",
           "nothing", "cannot", "couldnt", "wont", "wouldnt", "shouldnt", "couldntve",
           "wouldntve", "shouldntve"),
    "es": ("no", "nunca", "jamas", "tampoco", "ni", "sin", "nadie", "ningun", "ninguna",
           "ninguno", "apenas"),
}  # fmt: skip
"""Words that negate the first marker term within NEGATION_WINDOW words after them."""

NEGATION_WINDOW = 3
FIRST_PERSON_CUES = {
    "en": ("i", "im", "ive", "id", "ill", "me", "myself", "my", "mine", "we", "were", "us"),
    "es": ("yo", "me", "mi", "mis", "conmigo", "quiero", "estoy", "tengo", "siento", "voy",
           "puedo", "necesito", "pienso", "deseo", "ojala", "nos", "queremos", "quisiera"),
}  # fmt: skip
"""Words that make a risk term first person when they occur in it or up to FIRST_PERSON_WINDOW
words before or after it, or when it opens a sentence (a dropped subject). `ill` and `were` are `I'll` and `we're` once apostrophes are dropped."""

FIRST_PERSON_WINDOW = 5
FIRST_PERSON_SUFFIXES = {"es": ("rme", "rnos")}
"""Spanish enclitic endings (`matarme`, `hacerme`) that make a term first person by itself."""

ELONGATED = "|".join(f"({c}){c}{{2,}}" for c in "abcdefghijklmnopqrstuvwxyzñ")
ELONGATED_TO = "".join(f"${{{i}}}" for i in range(1, 28))
"""A letter (a to z, ñ) written three times or more in a row, and its replacement: the letter
once (`canonical`: `soooo` is `so`, `sooo` too; `soo` stays)."""


_ASCII_SYMBOLS = tuple(
    chr(c)
    for c in range(128)
    if not chr(c).isalnum() and c not in (9, 10, 11, 12, 13, 32) and chr(c) not in APOSTROPHES
)
"""ASCII characters that are neither letters, digits, whitespace nor apostrophes: each one is a
token of its own."""


def _fold_and_split_ascii(texts: pl.Series) -> pl.Series:
    """Fold accents (`fold_series`), drop apostrophes and surround ASCII symbols with spaces,
    all in one Aho-Corasick pass."""
    return fold_series(
        texts,
        also=(
            [*APOSTROPHES, *_ASCII_SYMBOLS],
            [*[""] * len(APOSTROPHES), *(f" {c} " for c in _ASCII_SYMBOLS)],
        ),
    )


def canonical(text: pl.Expr) -> pl.Expr:
    """The form texts and terms are matched in (module docstring); hashtags are split before.

    Each step is one pass over the batch, chosen for speed (benchmarks/lexicon.py): accent
    folding (`transforms.text.fold`), dropping apostrophes and isolating ASCII symbols are one
    Aho-Corasick replacement; a regex isolates the other symbols (emoji, `¿`, `…`); whitespace
    is collapsed only where there is a run of it or a character other than a plain space.
    """
    return (
        " "
        + text.str.to_lowercase()
        .map_batches(_fold_and_split_ascii, return_dtype=pl.String)
        .str.replace_all(ELONGATED, ELONGATED_TO)
        .str.replace_all(r"([^\p{L}\p{N}\s\x00-\x7f])", " $1 ")
        .str.replace_all(r"\s{2,}|[^\S ]", " ")
        .str.strip_chars(" ")
        + " "
    )


WILDCARD = re.compile(r"[^\W_]\*+$")
"""A term's trailing wildcard: `*` after a letter or digit (`cry*`)."""


def unmarked(term: str) -> str:
    """`term` without its end spaces, in NFD and without combining marks (Unicode category M),
    as `canonical` folds it: the accent of a decomposed `é`, the vowel sign ending Hindi
    `दुखी`. Where a `*` stands is read on this form, so a mark leaves its letter a letter."""
    return "".join(
        char
        for char in unicodedata.normalize("NFD", term.strip())
        if not unicodedata.category(char).startswith("M")
    )


def is_prefix(term: str) -> bool:
    """Whether `term` ends in a wildcard `*` (WILDCARD, on its `unmarked` form), so that it
    matches any continuation of its last word. After any other character a `*` is that
    character, a token of its own like every symbol (`:*` and `:-*`, emoticons of VADER's
    lexicon, never `:` and `:-`)."""
    return WILDCARD.search(unmarked(term)) is not None


def canonical_terms(terms: Sequence[str]) -> list[str]:
    """`canonical` of each term (without its trailing wildcard, is_prefix), stripped of the
    end spaces."""
    bodies = [term.strip().rstrip("*") if is_prefix(term) else term for term in terms]
    return (
        pl.select(canonical(pl.lit(pl.Series(bodies, dtype=pl.String))))
        .to_series()
        .str.strip_chars(" ")
        .to_list()
    )


@dataclass(frozen=True)
class Lexicon:
    """All terms of some markers in one language, compiled for one Aho-Corasick pass.

    `patterns` are unique; `table` has one row per (pattern, marker) with the written `term`,
    whether the term needs a first-person cue before it (`needs_cue`), whether it is a guard
    (`guard`: it hides the marker's terms inside it and never counts), and `pattern_bytes`.
    """

    lang: str
    patterns: tuple[str, ...]
    table: pl.DataFrame
    markers: tuple[str, ...]


def compile_lexicon(markers: Mapping, lang: str) -> Lexicon:
    """The Lexicon of `markers`' `lang` terms (built by `transforms.markers.compile_markers`)."""
    written = [
        (marker, term, guard)
        for marker in markers.values()
        for term, guard in dict.fromkeys(
            [(t.strip(), False) for t in marker.terms.get(lang, ())]
            + [(t.strip(), True) for t in marker.guards.get(lang, ())]
        )
    ]
    bodies = canonical_terms([term for _, term, _ in written])
    rows = []
    for (marker, term, guard), body in zip(written, bodies, strict=True):
        if not body:
            continue
        prefix = is_prefix(term)
        cued = marker.cue == "first_person" and not guard and not _self_cued(body, lang)
        rows.append((" " + body + ("" if prefix else " "), marker.name, term, cued, guard))
    table = pl.DataFrame(
        rows,
        schema={
            "pattern": pl.String,
            "marker": pl.String,
            "term": pl.String,
            "needs_cue": pl.Boolean,
            "guard": pl.Boolean,
        },
        orient="row",
    ).unique(["pattern", "marker"], keep="first", maintain_order=True)
    table = table.with_columns(pl.col("pattern").str.len_bytes().alias("pattern_bytes"))
    return Lexicon(
        lang=lang,
        patterns=tuple(table.get_column("pattern").unique(maintain_order=True).to_list()),
        table=table,
        markers=tuple(m.name for m in markers.values() if m.terms.get(lang)),
    )


def _self_cued(body: str, lang: str) -> bool:
    words = body.split()
    return any(w in FIRST_PERSON_CUES.get(lang, ()) for w in words) or any(
        w.endswith(FIRST_PERSON_SUFFIXES.get(lang, ())) for w in words
    )


def _window(cues: Sequence[str], words: int) -> str:
    """A regex for a cue word followed by up to `words - 1` other words, at the end of a text."""
    return rf"(?:^| )(?:{'|'.join(cues)})(?: [\p{{L}}\p{{N}}_]+){{0,{words - 1}}} $"


def drop_contained(found: pl.DataFrame) -> pl.DataFrame:
    """Of `found` (sorted by row, marker, start, then end descending), the occurrences not
    inside an earlier one of the same row and marker: those reaching past the furthest `end`
    before them in their (row, marker) run.

    The running maximum restarts at each run without a window: runs are numbered in order and
    `run * width + end` keeps each run's values above every earlier run's.
    """
    width = int(found.get_column("end").max()) + 1
    if found.height * width >= 2**62:
        reach = pl.col("end").cum_max().shift(1).over("row", "marker")
        return found.filter(reach.is_null() | (pl.col("end") > reach))
    new_run = (pl.col("row") != pl.col("row").shift()) | (
        pl.col("marker") != pl.col("marker").shift()
    )
    run = new_run.fill_null(True).cum_sum().cast(pl.Int64)
    reach = run * width + pl.col("end").cast(pl.Int64)
    return found.filter((reach > reach.cum_max().shift(1)).fill_null(True))


def occurrences(texts: pl.Series, lexicon: Lexicon) -> pl.DataFrame:
    """The occurrences that count, one row each: `row` (index into `texts`, canonical texts of
    one language), `marker`, `term`.

    Of the occurrences of one marker, one inside a longer one of the same marker is dropped
    (the longest match wins); a guard's occurrence never counts; one preceded by a negation cue within NEGATION_WINDOW words is
    dropped; for a marker whose terms need a first-person cue, an occurrence of a term with no
    first-person word in it counts only when a cue occurs within FIRST_PERSON_WINDOW words
    before or after it, or when it opens the text or a sentence.
    """
    empty = pl.DataFrame(schema={"row": pl.UInt32, "marker": pl.String, "term": pl.String})
    if not lexicon.patterns or texts.is_empty():
        return empty
    found = (
        pl.DataFrame({"text": texts})
        .with_row_index("row")
        .select(
            "row",
            pl.col("text").str.find_many(lexicon.patterns, overlapping=True).alias("start"),
            pl.col("text").str.extract_many(lexicon.patterns, overlapping=True).alias("pattern"),
        )
        .filter(pl.col("start").list.len() > 0)
        .explode("start", "pattern")
    )
    if found.is_empty():
        return empty
    found = found.join(lexicon.table, on="pattern").with_columns(
        (pl.col("start") + pl.col("pattern_bytes")).alias("end")
    )
    longest = drop_contained(
        found.sort("row", "marker", "start", pl.col("end"), descending=[False, False, False, True])
    )
    frame = longest.select(
        texts.gather(longest.get_column("row")).cast(pl.Binary).alias("_bytes"),
        "start",
        pl.when(pl.col("pattern").str.ends_with(" "))
        .then(pl.col("end") - 1)
        .otherwise(pl.col("end"))
        .alias("_word_end"),
    )
    context = frame.select(
        pl.col("_bytes")
        .bin.head(pl.col("start") + 1)
        .cast(pl.String)
        .str.tail(160)
        .alias("_before"),
        pl.col("_bytes")
        .bin.slice(pl.col("_word_end"))
        .cast(pl.String)
        .str.replace(r"^[^ ]+", "")
        .str.head(160)
        .alias("_after"),
    )
    lang = lexicon.lang
    cues = [
        *FIRST_PERSON_CUES.get(lang, ("i",)),
        *(rf"\p{{L}}+{s}" for s in FIRST_PERSON_SUFFIXES.get(lang, ())),
    ]
    negated = pl.col("_before").str.contains(
        _window(NEGATION_CUES.get(lang, ("not",)), NEGATION_WINDOW)
    )
    cued = (
        pl.col("_before").str.contains(_window(cues, FIRST_PERSON_WINDOW))
        | pl.col("_before").str.contains(r"^ $|[.!?¡¿] $")
        | pl.col("_after").str.contains(
            rf"^ (?:[\p{{L}}\p{{N}}_]+ ){{0,{FIRST_PERSON_WINDOW - 1}}}(?:{'|'.join(cues)}) "
        )
    )
    return (
        longest.with_columns(context)
        .filter(~pl.col("guard") & ~negated & (~pl.col("needs_cue") | cued))
        .select("row", "marker", "term")
    )
