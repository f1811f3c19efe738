"""Adapters for lexicons users already have: Empath, VADER, NRC EmoLex and LIWC `.dic` files
become ordinary Marker objects, tagged through the same `score`/`tag` path as shipped markers.

Every function here is pure: it takes the text of a lexicon file and returns markers by name;
reading the files and writing marker files is the caller's job (`moodcast markers import`).
`marker_toml` writes a marker back as a marker file that loads to the same `marker_version`.
Nothing from NRC EmoLex or LIWC is shipped; Empath and VADER are MIT-licensed packages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import tomli_w

from transforms.markers import Marker, MarkerError, parse_marker
from transforms.markers.file_checks import is_empty_term

TOMMASEL2021 = {
    "anxiety": ("sadness", "nervousness", "fear", "suffering", "horror", "disappointment",
                "health", "confusion", "shame", "anger"),
    "depression": ("sadness", "suffering", "shame", "neglect", "emotional", "disgust",
                   "torment", "nervousness", "disappointment", "pain"),
    "stress": ("sadness", "nervousness", "anger", "suffering", "fear", "shame", "torment",
               "neglect", "disgust", "health"),
}  # fmt: skip
"""Tommasel et al. (2021): the Empath categories that feed each mental-health dimension."""

EMPATH_PRESETS = {"tommasel2021": TOMMASEL2021}

VADER_MIN_VALENCE = 1.5
"""Default cut-off on VADER's mean valence (raters scored -4 … +4): a token is positive affect
at ≥ +1.5 and negative affect at ≤ -1.5, i.e. rated clearly more than "slightly" affective on
average. VADER's 7,500 tokens give about 1,900 positive and 2,300 negative terms at 1.5 (about
2,600 and 3,250 at 1.0, where mild words such as `ok` or `yeah` come in)."""

NRC_EMOTIONS = {"anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust"}


class Adapted(dict[str, Marker]):
    """An adapter's markers by name, with `dropped`: by marker name, the terms of the lexicon
    left out of it as no post can match them (`is_empty_term`: `*` or an apostrophe alone); a
    marker left with no term is not among the markers."""

    def __init__(self, markers: Mapping[str, Marker], *, dropped: Mapping[str, list[str]]):
        super().__init__(markers)
        self.dropped = dict(dropped)


Spec = tuple[str, str, Sequence[str], Mapping[str, Iterable[str]]]
"""A marker an adapter makes: its name, description, dimensions and terms by language."""


def _adapted(specs: Iterable[Spec]) -> Adapted:
    """The markers of `specs`, each without the terms no post can match (Adapted)."""
    markers: dict[str, Marker] = {}
    dropped: dict[str, list[str]] = {}
    for name, description, dimensions, terms in specs:
        listed = {lang: [t.strip() for t in words if t.strip()] for lang, words in terms.items()}
        if empty := [t for words in listed.values() for t in words if is_empty_term(t)]:
            dropped[name] = list(dict.fromkeys(empty))
        kept = {lang: [t for t in words if not is_empty_term(t)] for lang, words in listed.items()}
        if any(kept.values()):
            markers[name] = _marker(
                name,
                description,
                dimensions,
                {lang: words for lang, words in kept.items() if words},
            )
    return Adapted(markers, dropped=dropped)


def _marker(
    name: str, description: str, dimensions: Sequence[str], terms: Mapping[str, Iterable[str]]
) -> Marker:
    raw = {
        "name": name,
        "description": description,
        "dimensions": list(dimensions),
        "rule": "lexicon",
        "lang": {
            lang: {"terms": list(dict.fromkeys(t.strip() for t in listed if t.strip()))}
            for lang, listed in sorted(terms.items())
        },
    }
    return parse_marker(raw, origin=f"adapter for {name}")


def _slug(prefix: str, category: str) -> str:
    """`prefix_category` as a valid marker name (lower case, other characters as `_`)."""
    body = re.sub(r"[^a-z0-9_]+", "_", category.strip().lower()).strip("_")
    return f"{prefix}_{body}"


def empath_markers(
    categories_tsv: str, *, preset: str | None = None, categories: Iterable[str] | None = None
) -> Adapted:
    """Markers `empath_<category>` (English terms) from Empath's `categories.tsv` text (one
    category a line: its name, then its terms, tab-separated).

    With `preset` (EMPATH_PRESETS), only the categories the preset uses, each listing every
    dimension it feeds; otherwise the `categories` named, or all, with no dimension. Raises
    MarkerError for an unknown preset or category.
    """
    table = {}
    for line in categories_tsv.splitlines():
        fields = line.rstrip("\n").split("\t")
        if len(fields) > 1 and fields[0].strip():
            table[fields[0].strip()] = fields[1:]
    dimensions: dict[str, list[str]] = {}
    if preset is not None:
        if preset not in EMPATH_PRESETS:
            raise MarkerError(
                f"unknown Empath preset {preset!r}; known: {', '.join(EMPATH_PRESETS)}"
            )
        for dimension, used in EMPATH_PRESETS[preset].items():
            for category in used:
                dimensions.setdefault(category, []).append(dimension)
    wanted = _wanted(categories, dimensions or table, table, "Empath")
    return _adapted(
        (
            _slug("empath", category),
            f"Empath's '{category}' category"
            + (f" (preset {preset})" if preset is not None else "")
            + ".",
            dimensions.get(category, []),
            {"en": table[category]},
        )
        for category in sorted(wanted)
    )


def vader_markers(lexicon_txt: str, *, min_valence: float = VADER_MIN_VALENCE) -> Adapted:
    """`negative_affect` and `positive_affect` (English) from VADER's `vader_lexicon.txt` text
    (token, mean valence, …, tab-separated): tokens with mean valence ≤ -`min_valence` and
    ≥ +`min_valence`. Raises MarkerError unless `min_valence` > 0, and where either side has
    no token at that cut-off."""
    if not min_valence > 0:
        raise MarkerError(f"the valence cut-off must be above 0, got {min_valence}")
    negative, positive = [], []
    lowest = highest = 0.0
    for line in lexicon_txt.splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        try:
            valence = float(fields[1])
        except ValueError:
            continue
        lowest, highest = min(lowest, valence), max(highest, valence)
        if valence <= -min_valence:
            negative.append(fields[0])
        elif valence >= min_valence:
            positive.append(fields[0])
    cut = f"{min_valence:g}"
    if not negative or not positive:
        side = "negative" if not negative else "positive"
        raise MarkerError(
            f"no VADER token has a mean valence at or beyond {'-' if not negative else '+'}"
            f"{cut}, so {side}_affect would have no term: its tokens run from {lowest:g} to "
            f"+{highest:g}; choose a cut-off of at most {min(-lowest, highest):g} (default 1.5)"
        )
    return _adapted(
        [
            (
                "negative_affect",
                f"VADER lexicon tokens with mean valence <= -{cut}.",
                ["emotion"],
                {"en": negative},
            ),
            (
                "positive_affect",
                f"VADER lexicon tokens with mean valence >= +{cut}.",
                ["emotion"],
                {"en": positive},
            ),
        ]
    )


def nrc_markers(emolex_txt: str, *, lang: str = "en") -> Adapted:
    """Markers `nrc_<emotion>` (and `nrc_positive`, `nrc_negative`) from an NRC EmoLex
    word-level file (`word<TAB>emotion<TAB>0|1` a line): the words flagged 1, as terms of
    `lang`. Raises MarkerError when no line has that shape or none is flagged 1, where two
    emotions become one marker name, and for a LIWC `.dic` file (a line
    that is `%` alone: its entries `term<TAB>id<TAB>id` would read as words of an emotion named
    by a number)."""
    if any(line.strip() == "%" for line in emolex_txt.splitlines()):
        raise MarkerError(
            "a LIWC .dic file (a category header between `%` lines), not NRC EmoLex's "
            "word-level file: import it as `liwc`"
        )
    words: dict[str, list[str]] = {}
    for line in emolex_txt.splitlines():
        fields = line.strip().split("\t")
        if len(fields) == 3 and fields[2].strip() in ("0", "1") and fields[0].strip():
            listed = words.setdefault(fields[1].strip().lower(), [])
            if fields[2].strip() == "1":
                listed.append(fields[0])
    if not words:
        raise MarkerError(
            "no `word<TAB>emotion<TAB>0|1` line found: give the word-level EmoLex file "
            "(NRC-Emotion-Lexicon-Wordlevel-v0.92.txt)"
        )
    if not any(words.values()):
        raise MarkerError("no word is flagged 1 for any emotion (every line ends in 0)")
    _one_name_each({emotion: _slug("nrc", emotion) for emotion, listed in words.items() if listed})
    return _adapted(
        (
            _slug("nrc", emotion),
            f"NRC EmoLex '{emotion}' words (from your file; not shipped).",
            ["emotion"] if emotion in NRC_EMOTIONS else [],
            {lang: listed},
        )
        for emotion, listed in sorted(words.items())
        if listed
    )


def liwc_markers(
    dic_txt: str, *, lang: str = "en", categories: Iterable[str] | None = None
) -> Adapted:
    """Markers `liwc_<category>` from a LIWC `.dic` file: a header of `id<TAB>name` lines
    between two `%` lines, then one entry a line, `term<TAB>id<TAB>id…` (or separated by spaces;
    a trailing `*` is a prefix, as in marker files). Entries' non-numeric category fields (LIWC2007's conditional
    `<of>131/125`) are skipped. Only the `categories` named (LIWC names), when given; categories
    without a term are left out. Raises MarkerError for a file without the `%` header, an id the
    header gives two categories, an unknown category, a named category without a term, a file
    with no term at all, or two categories that become one marker name (`PosEmo`, `posemo`).
    """
    lines = dic_txt.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise MarkerError("not a LIWC .dic file: it needs a category header between two `%` lines")
    names: dict[str, str] = {}
    for line in lines[marks[0] + 1 : marks[1]]:
        fields = line.split()
        if len(fields) >= 2:
            if names.get(fields[0], fields[1]) != fields[1]:
                raise MarkerError(
                    f"the category header gives id {fields[0]} twice, to {names[fields[0]]} "
                    f"and {fields[1]}: give each category its own id"
                )
            names[fields[0]] = fields[1]
    terms: dict[str, list[str]] = {name: [] for name in names.values()}
    for line in lines[marks[1] + 1 :]:
        fields = line.rstrip().split("\t")
        if len(fields) < 2:  # space-separated: the trailing fields are ids, the rest the term
            words = line.split()
            cut = len(words)
            while cut > 1 and (words[cut - 1] in names or not words[cut - 1].isalpha()):
                cut -= 1
            fields = [" ".join(words[:cut]), *words[cut:]]
        if len(fields) < 2 or not fields[0].strip():
            continue
        for field in fields[1:]:
            for key in field.split():
                if key in names:
                    terms[names[key]].append(fields[0])
    wanted = _wanted(categories, terms, terms, "the .dic file")
    empty = [category for category in wanted if not terms[category]]
    if categories is not None and empty:
        raise MarkerError(f"the .dic file has no term in category {', '.join(empty)}")
    if len(empty) == len(wanted):
        raise MarkerError(
            "the .dic file has no entry of its categories' ids after the `%` header "
            "(`term<TAB>id<TAB>id…` a line)"
        )
    _one_name_each({category: _slug("liwc", category) for category in wanted if terms[category]})
    return _adapted(
        (
            _slug("liwc", category),
            f"LIWC '{category}' category (from your .dic file; not shipped).",
            [],
            {lang: terms[category]},
        )
        for category in wanted
        if terms[category]
    )


def _one_name_each(names: Mapping[str, str]) -> None:
    """Raise MarkerError where two categories (`names`: category → marker name) would become
    one marker name, one's terms lost."""
    by_name: dict[str, list[str]] = {}
    for category, name in names.items():
        by_name.setdefault(name, []).append(category)
    clashes = [
        f"{' and '.join(cats)} (both {name})" for name, cats in by_name.items() if len(cats) > 1
    ]
    if clashes:
        raise MarkerError(
            f"categories that become one marker name: {'; '.join(clashes)}; rename one of "
            "each in the file's header"
        )


def _wanted(
    categories: Iterable[str] | None, default: Iterable[str], known: Iterable[str], source: str
) -> list[str]:
    """The `categories` asked for (`default` when None). Raises MarkerError naming those that
    `source` has not (`known`)."""
    wanted = list(categories) if categories is not None else list(default)
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise MarkerError(f"{source} has no category {', '.join(unknown)}")
    return wanted


def marker_toml(marker: Marker, *, header: str = "") -> str:
    """`marker` as a marker file (FORMAT.md) that `load_markers` reads back to the same
    `marker_version`, serialised by tomli-w; `header` becomes comment lines at the top (each
    of its lines commented, so no text in it can become a setting; the version ignores them)."""
    document: dict = {
        "name": marker.name,
        "description": marker.description,
        "dimensions": list(marker.dimensions),
        "rule": marker.rule,
    }
    if marker.cue is not None:
        document["cue"] = marker.cue
    if marker.terms:
        document["lang"] = {
            lang: {"terms": list(terms)} for lang, terms in sorted(marker.terms.items())
        }
    return toml_with_header(document, header)


def toml_with_header(document: Mapping, header: str = "") -> str:
    """`document` as TOML (tomli-w), after `header` as comment lines (every line commented)."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + tomli_w.dumps(document)
