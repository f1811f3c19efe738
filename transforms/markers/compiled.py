"""One marker set compiled for matching: a `CompiledMarkers`, built once by `compile_markers`
(per CLI call, per Beam worker in `setup()`) and passed explicitly to `score` and `tag`.

Nothing here is cached behind the caller's back: the value holds everything derived from the
markers (per-language lexicons and automata, the character table) and the release's hashtag
vocabulary, and whoever holds it decides how long it lives (docs/markers.md, "The engine").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from transforms.engines import Engine, use_compiled
from transforms.hashtags import split_hashtags, vocabulary
from transforms.markers.definitions import Marker, load_markers, supported_languages
from transforms.markers.rules import Lexicon, compile_lexicon
from transforms.markers.scan import Scan, scan
from transforms.markers.tables import Automaton, CharTable, compile_automaton
from transforms.text import CLITICS, join_contractions


@dataclass(frozen=True, eq=False)
class CompiledMarkers(Mapping[str, Marker]):
    """Markers (name → Marker, in order) with what matching them needs: per language of their
    terms, the `lexicons` (transforms.markers.rules, the reference engine's form) and their
    `automata` (the compiled engine's form, marker columns in this order); the hashtag
    `vocabulary` (shipped_vocabulary: the release's, whichever markers these are); and
    `chars`, the character table of canonical text, which grows with the code points the
    posts bring (the only part that changes after building; threads that share the value grow
    it one at a time, CharTable.add).

    It is a read-only Mapping of the markers, so it goes wherever a marker mapping does.
    Pickled, it carries only the markers and is compiled again where it is unpickled.
    """

    markers: Mapping[str, Marker]
    lexicons: Mapping[str, Lexicon]
    automata: Mapping[str, Automaton]
    vocabulary: frozenset[str]
    chars: CharTable

    def __getitem__(self, name: str) -> Marker:
        return self.markers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.markers)

    def __len__(self) -> int:
        return len(self.markers)

    def __reduce__(self):
        return compile_markers, (dict(self.markers),)


@cache
def shipped_vocabulary() -> frozenset[str]:
    """The words all-lower-case hashtags split into: transforms.hashtags.vocabulary of the terms
    of every shipped marker file (BUILTIN_DIR, every language). It depends on the release only,
    never on which markers are loaded, so a user's marker (or an imported lexicon) does not
    change what a shipped marker matches under its unchanged version, and one shipped marker
    loaded by name splits as the whole shipped set does. Read once per process (about a tenth
    of a second)."""
    shipped = load_markers()
    return vocabulary(t for m in shipped.values() for terms in m.terms.values() for t in terms)


def compile_markers(markers: Mapping[str, Marker]) -> CompiledMarkers:
    """The CompiledMarkers of `markers` (a CompiledMarkers is returned as it is). Costs about
    a tenth of a CPU second for the shipped set: build it once per process or worker, not per
    batch."""
    if isinstance(markers, CompiledMarkers):
        return markers
    markers = dict(markers)
    index = {name: i for i, name in enumerate(markers)}
    lexicons = {
        lang: compile_lexicon(markers, lang) for lang in sorted(supported_languages(markers))
    }
    return CompiledMarkers(
        markers=markers,
        lexicons=lexicons,
        automata={
            lang: compile_automaton(lexicon, index)
            for lang, lexicon in lexicons.items()
            if lexicon.patterns
        },
        vocabulary=shipped_vocabulary(),
        chars=CharTable(),
    )


def score(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    text: str = "text",
    explain: bool = False,
    engine: Engine = "auto",
) -> pl.DataFrame:
    """Per-post lexicon results for each marker, from the raw `text` and the post's `lang`.

    `markers` is a CompiledMarkers, or a marker mapping compiled for this call only (see
    compile_markers). `engine` chooses how the rules run (transforms.engines.ENGINES: `auto`
    runs the reference rules below COMPILED_FROM posts and COMPILED_FROM_BYTES of text while
    numba is not loaded); every setting gives the same results. Returns one row per post, in
    order, with `<marker>` (Boolean: the paper's binary hit), `<marker>__count` (UInt32:
    occurrences that count), `<marker>__score` (Float64: intensity, occurrences per word of the
    post) and, with `explain`, `<marker>__terms` (the written terms that matched, in text
    order). Every column is null where the marker has no terms in the post's language.
    Matching semantics: transforms/markers/rules.py.
    """
    compiled = compile_markers(markers)
    found = _scan(posts, compiled, text=text, explain=explain, engine=engine)
    lang = posts.get_column("lang")
    out = _counted(found, lang, compiled, hits_only=False)
    if not explain:
        return out
    grouped = found.terms.group_by("row", "marker", maintain_order=True).agg("term")
    rows = pl.DataFrame({"row": np.arange(posts.height)})
    terms = [
        pl.when(pl.lit(lang.is_in(sorted(marker.languages))))
        .then(
            rows.join(
                grouped.filter(pl.col("marker") == i), on="row", how="left", maintain_order="left"
            )
            .get_column("term")
            .fill_null(pl.lit([], pl.List(pl.String)))
        )
        .alias(f"{name}__terms")
        for i, (name, marker) in enumerate(compiled.items())
    ]
    order = [
        c for name in compiled for c in (name, f"{name}__count", f"{name}__score", f"{name}__terms")
    ]
    return out.with_columns(terms).select(order)


def tag(posts: pl.DataFrame, markers: Mapping[str, Marker], *, text: str = "text") -> pl.DataFrame:
    """`posts` with one Boolean column per marker (`score`'s binary hit; null where the marker
    has no terms in the post's language). This is what the Beam job and its benchmark peer
    count; pass a CompiledMarkers (compile_markers) when tagging batch after batch."""
    compiled = compile_markers(markers)
    found = _scan(posts, compiled, text=text, explain=False, engine="compiled")
    return posts.with_columns(_counted(found, posts.get_column("lang"), compiled, hits_only=True))


def _scan(
    posts: pl.DataFrame, compiled: CompiledMarkers, *, text: str, explain: bool, engine: str
) -> Scan:
    """`scan` of the posts' `text` in their `lang`, contractions joined
    (`transforms.text.join_contractions`) and hashtags split. Only the posts where the scan
    finds a spaced apostrophe (`Scan.spaced`) can change when joined: those that do are
    joined, split and scanned again, so the other posts skip the join's passes. `engine` is
    settled for the whole batch (transforms.engines.use_compiled)."""
    original = posts.get_column(text)
    size = original.str.len_bytes().sum()
    engine = "compiled" if use_compiled(engine, posts.height, text_bytes=size) else "reference"
    langs = posts.get_column("lang")
    texts = split_hashtags(original, compiled.vocabulary)
    found = scan(texts, langs, compiled, explain=explain, engine=engine, spaced=tuple(CLITICS))
    if not found.spaced.size:
        return found
    apart = pl.Series("row", found.spaced)
    before = original.gather(apart)
    joined = join_contractions(before, langs.gather(apart))
    changed = (joined != before).fill_null(False)
    if not changed.any():
        return found
    rows = apart.filter(changed)
    again = scan(
        split_hashtags(joined.filter(changed), compiled.vocabulary), langs.gather(rows),
        compiled, explain=explain, engine=engine,
    )  # fmt: skip
    found.counts[:, rows.to_numpy()] = again.counts
    found.words[rows.to_numpy()] = again.words
    terms = found.terms
    if explain:
        moved = again.terms.with_columns(rows.gather(again.terms.get_column("row")))
        kept = terms.filter(~pl.col("row").is_in(rows.implode()))
        terms = pl.concat([kept, moved]).sort("row", maintain_order=True)
    return Scan(counts=found.counts, words=found.words, terms=terms, spaced=found.spaced)


def _counted(
    found: Scan, lang: pl.Series, compiled: CompiledMarkers, *, hits_only: bool
) -> pl.DataFrame:
    """`score`'s hit, count and intensity columns of each marker from `found` (only the hits
    with `hits_only`), null where the post's `lang` has no terms of the marker."""
    sources = {
        langs: lang.is_in(sorted(langs)).fill_null(False)
        for langs in {m.languages for m in compiled.values()}
    }
    if hits_only:
        hits = found.counts > 0
        out = pl.DataFrame({name: hits[i] for i, name in enumerate(compiled)})
        partial = {n: sources[m.languages] for n, m in compiled.items()}
        return out.with_columns(
            pl.when(pl.lit(source)).then(pl.col(n)).alias(n)
            for n, source in partial.items()
            if not source.all()
        )
    words = pl.lit(pl.Series("_words", found.words))
    columns = []
    for name, marker in compiled.items():
        count = pl.col(name)
        marker_columns = [
            count > 0,
            count.alias(f"{name}__count"),
            pl.when(count > 0).then(count / words).otherwise(0.0).alias(f"{name}__score"),
        ]
        source = sources[marker.languages]
        if not source.all():
            marker_columns = [pl.when(pl.lit(source)).then(c) for c in marker_columns]
        columns += marker_columns
    counts = pl.DataFrame({name: found.counts[i] for i, name in enumerate(compiled)})
    return counts.select(columns)
