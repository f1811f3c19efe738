"""Text folding for matching, and offline language detection."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl


def fold_characters(chars: pl.Series) -> pl.Series:
    """Accent folding of single characters: the canonical decomposition (NFD) without
    combining marks (`\\p{M}`), empty for a combining mark; `ñ` is kept (año is not ano)."""
    return (
        pl.select(
            pl.when(chars == "ñ")
            .then(chars)
            .otherwise(chars.str.normalize("NFD").str.replace_all(r"\p{M}", ""))
        )
        .to_series()
        .alias(chars.name)
    )


FOLDED_PLANES = ((0x80, 0x30000), (0xE0000, 0xF0000))
"""The code points (half-open ranges) whose folding fold_table computes: the Basic, the
Supplementary Multilingual and Ideographic planes (ASCII left out), and the Supplementary
Special-purpose plane (its variation selectors are combining marks). The other planes hold no
character that NFD changes or that is a combining mark: plane 3's ideographs never decompose,
planes 4 to 13 are unassigned, 15 and 16 are for private use. So ~260,000 code points are
folded instead of ~1.1 million, with the same table as over every code point."""


@functools.cache
def fold_table() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every character that accent folding changes, and what it becomes: its canonical
    decomposition (NFD) without combining marks (`\\p{M}`), or nothing for a combining mark;
    `ñ` is kept (año is not ano). Computed once per process with polars' own Unicode tables
    (the same ones its regexes use), over FOLDED_PLANES."""
    chars = pl.Series(
        [
            chr(c)
            for low, high in FOLDED_PLANES
            for c in range(low, high)
            if not 0xD800 <= c <= 0xDFFF
        ],
        dtype=pl.String,
    )
    folded = fold_characters(chars)
    changed = chars != folded
    return tuple(chars.filter(changed).to_list()), tuple(folded.filter(changed).to_list())


_COMMON = (0x80, 0x250), (0x300, 0x370)
"""Code point ranges whose folding is common (Latin letters with accents, combining accents)."""


@functools.cache
def _fold_tables() -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]], str]:
    """`fold_table` split in two: the common part, the whole, and a regex character class of
    the rare characters (those outside `_COMMON`)."""
    chars, folded = fold_table()
    common = [(c, f) for c, f in zip(chars, folded, strict=True) if _is_common(c)]
    rare = sorted(ord(c) for c in chars if not _is_common(c))
    spans: list[list[int]] = []
    for code in rare:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    pattern = "[" + "".join(rf"\x{{{a:x}}}-\x{{{b:x}}}" for a, b in spans) + "]"
    return ([c for c, _ in common], [f for _, f in common]), (list(chars), list(folded)), pattern


def _is_common(char: str) -> bool:
    return any(low <= ord(char) < high for low, high in _COMMON)


def fold_series(texts: pl.Series, *, also: tuple[list[str], list[str]] = ([], [])) -> pl.Series:
    """`fold` of a Series of lower-case texts; `also` are extra (pattern, replacement) lists
    applied in the same pass. Common characters go through one small Aho-Corasick replacement;
    only texts with a rare foldable character (Hangul, Greek or Cyrillic accents, …) go
    through the whole table, whose automaton is costly to build."""
    (chars, folded), (all_chars, all_folded), rare = _fold_tables()
    out = texts.str.replace_many([*chars, *also[0]], [*folded, *also[1]])
    needs = out.str.contains(rare).fill_null(False)
    if needs.any():
        rows = needs.arg_true()
        out = out.scatter(rows, out.gather(rows).str.replace_many(all_chars, all_folded))
    return out


def fold(text: pl.Expr) -> pl.Expr:
    """Lower-case `text` and strip accents and other combining marks, keeping ñ.

    Marker terms are folded the same way, so `Corazón` matches the term `corazon` and
    `corazón` alike. The result equals lower-casing, NFD and dropping every combining mark
    (`\\p{M}`), with ñ kept; it is done with `fold_table`'s Aho-Corasick replacements
    (`fold_series`), several times faster than normalising every text.
    """
    return text.str.to_lowercase().map_batches(fold_series, return_dtype=pl.String)


APOSTROPHES = ("'", "’", "`", "´", "ʼ")
"""The characters written as an apostrophe; matching drops them (`don’t` = `dont`)."""

CLITICS = {"en": ("t", "s", "m", "d", "re", "ve", "ll")}
"""Per language, the contracted endings written after an apostrophe (`can't`, `I'm`, `we're`).
Spanish has none: an apostrophe there quotes, and its `ve` or `re` after a quote are words."""

_QUOTE = "".join(APOSTROPHES)
SPACED_APOSTROPHE = rf" [nN]?[{_QUOTE}]|[{_QUOTE}] "
"""An apostrophe with a space (U+0020) after it, before it, or before an `n` before it: only a
text where this matches can have a contraction that `join_contractions` joins."""


def join_contractions(texts: pl.Series, langs: pl.Series) -> pl.Series:
    """`texts` with each contraction written apart, in a language of CLITICS, written as one
    word: the spaces around its apostrophe (any of APOSTROPHES) removed, and a split-off `n`
    before it (`do n't`) joined back: `can ’ t`, `can ’t`, `can’ t` → `can’t`; `I 'm` → `I'm`;
    `do n't` → `don't`; a chain joins whole: `could n't 've` → `couldn't've`. Only an ending
    from CLITICS that ends a word counts, after a letter, so quoted words (`' the`) and `'em`
    stay apart. Posts in other languages are unchanged. The result is a fixed point: joining
    it again changes nothing.

    Spaces are U+0020, as tokenisers write them (a tab or line break inside a contraction is
    left alone): with a literal space, each test starts from a literal and stays on the regex
    engine's fast path. Only posts with an apostrophe, then only those with a space beside it,
    are rewritten, and the ending's end is matched as a character, not a Unicode `\\b` (which
    would leave the fast engine too). A match needs a space to remove and takes the ending, so
    the next link of a chain (`'ve` after `n't`) lacks its letter until the next pass: the posts
    a pass changed that still have a spaced apostrophe are joined again, each pass removing at
    least one space from each (so it ends; most posts take one pass)."""
    quote = _QUOTE
    has_quote = texts.str.contains(f"[{quote}]").fill_null(False)
    out = texts.clone()
    for lang, clitics in CLITICS.items():
        rows = (has_quote & (langs == lang)).fill_null(False).arg_true()
        ending = "|".join(clitics)
        apart = rf"(?: +(n) *([{quote}])| +([{quote}])|([{quote}]) )"
        pattern = rf"(?i)(\p{{L}}){apart} *({ending})([^\p{{L}}\p{{N}}_]|$)"
        while not rows.is_empty():
            before = out.gather(rows)
            spaced = before.str.contains(SPACED_APOSTROPHE)
            rows, before = rows.filter(spaced), before.filter(spaced)
            joined = before.str.replace_all(pattern, "$1$2$3$4$5$6$7")
            changed = joined != before
            rows = rows.filter(changed)
            out.scatter(rows, joined.filter(changed))
    return out.alias(texts.name)


UNDETERMINED = "und"
"""The language of a post whose language could not be told (ISO 639-2 `und`)."""

LANG_MIN_CHARS = 20
"""Letters below which a detected language gives way to the input's default language."""

LANG_MIN_CONFIDENCE = 0.5
"""The detected language's probability, normalised over the configured languages, must be
above this (for two languages: better than a coin toss; no letters at all gives exactly that)."""


@dataclass(frozen=True)
class LanguageRule:
    """How a post without a stated language gets one (`complete_languages`).

    Detection (py3langid) chooses among `languages` only (those with markers: a post in another
    language is as good as unknown), with a confidence. A post with at least `min_chars`
    letters whose best language has a confidence above `min_confidence` takes it; any other
    takes `default` (the input's `--lang`) when there is one; otherwise a shorter but confident
    detection stands, and the rest (emoji-only posts, ties) are UNDETERMINED. Empty `languages`:
    detection over every language py3langid knows.
    """

    languages: tuple[str, ...] = ()
    default: str | None = None
    min_chars: int = LANG_MIN_CHARS
    min_confidence: float = LANG_MIN_CONFIDENCE


def complete_languages(lang: pl.Series, text: pl.Series, rule: LanguageRule) -> pl.Series:
    """`lang` (primary subtags or null) with each null filled under `rule` (see LanguageRule)
    from the post's text; only those rows are identified, all at once
    (transforms.langid.identify_scored)."""
    from transforms.langid import identify_scored, known_languages

    missing = lang.is_null().arg_true()
    if missing.is_empty():
        return lang
    texts = text.gather(missing).fill_null("")
    languages = sorted(set(rule.languages) & known_languages()) or None
    found, confidence = identify_scored(texts.to_list(), languages=languages)
    scored = pl.DataFrame(
        {
            "found": pl.Series(found, dtype=pl.String),
            "confidence": pl.Series(confidence, dtype=pl.Float64),
            "letters": texts.str.count_matches(r"\p{L}"),
        }
    )
    confident = (pl.col("confidence") > rule.min_confidence) & (pl.col("letters") > 0)
    fallback = pl.lit(rule.default, pl.String) if rule.default is not None else None
    chosen = pl.when(confident & (pl.col("letters") >= rule.min_chars)).then(pl.col("found"))
    if fallback is not None:
        chosen = chosen.otherwise(fallback)
    else:
        chosen = chosen.when(confident).then(pl.col("found")).otherwise(pl.lit(UNDETERMINED))
    return lang.scatter(missing, scored.select(chosen.alias("lang")).to_series())


def identify_language(text: str, rule: LanguageRule) -> str:
    """The language of one text under `rule` (see LanguageRule)."""
    return complete_languages(pl.Series([None], dtype=pl.String), pl.Series([text]), rule)[0]


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language `text` is most likely written in, among every language
    py3langid knows (offline, py3langid's model; for many texts call transforms.langid.identify
    once)."""
    from transforms.langid import identify

    return identify([text])[0]


_ISO_639 = (
    "af afr, am amh, an arg, ar ara, as asm, az aze, ba bak, be bel, bg bul, bn ben, "
    "br bre, bs bos, ca cat, cs ces cze, cy cym wel, da dan, de deu ger, dz dzo, "
    "el ell gre, en eng, eo epo, es spa, et est, eu eus baq, fa fas per, fi fin, fo fao, "
    "fr fra fre, fy fry, ga gle, gd gla, gl glg, gu guj, ha hau, he heb iw, hi hin, "
    "hr hrv, ht hat, hu hun, hy hye arm, id ind in, ig ibo, is isl ice, it ita, ja jpn, "
    "jv jav, ka kat geo, kk kaz, km khm, kn kan, ko kor, ku kur, ky kir, la lat, lb ltz, "
    "lg lug, ln lin, lo lao, lt lit, lv lav, mg mlg, mk mkd mac, ml mal, mn mon, mr mar, "
    "ms msa may, mt mlt, my mya bur, ne nep, nl nld dut, nn nno, no nor, oc oci, "
    "om orm, or ori, pa pan, pl pol, ps pus, pt por, qu que, ro ron rum, ru rus, rw kin, "
    "sa san, se sme, si sin, sk slk slo, sl slv, sn sna, so som, sq sqi alb, sr srp, "
    "st sot, sv swe, sw swa, ta tam, te tel, tg tgk, th tha, tk tuk, tl tgl, tr tur, "
    "tt tat, ug uig, uk ukr, ur urd, uz uzb, vi vie, vo vol, wa wln, xh xho, yo yor, "
    "zh zho chi, zu zul"
)
ALTERNATE_CODES = {
    three: two for two, *threes in map(str.split, _ISO_639.split(", ")) for three in threes
}
"""The other codes people write for each language py3langid names with a two-letter (ISO 639-1)
code, mapped to it: ISO 639-2/T and 639-2/B (`spa`, `ger`/`deu`; 639-3 uses the 639-2/T code for
these languages) and the withdrawn `iw` and `in` that Java locales still write. 639-3 codes of
individual languages inside a macrolanguage (`ary`, `yue`, `wuu`) are not mapped: they are
languages of their own to py3langid and to markers."""


NO_LANGUAGE_CODES = ("und", "zxx", "mul", "qam", "qct", "qht", "qme", "qst")
"""Codes stated for posts that name no language: ISO 639-2's `und` (undetermined), `zxx` (no
linguistic content) and `mul` (several languages), and the private-use codes X/Twitter writes
for a post of mentions (`qam`), cashtags (`qct`), hashtags (`qht`) or media links (`qme`)
alone, or of very short text (`qst`). A post that states one is identified as one that states
none."""


def language_code(code: str, *, marked: Collection[str] = (), adding: bool = False) -> str:
    """The language a given code (`--lang`, `default_lang`, a lexicon's language) names, as
    posts' languages are decided: a code py3langid identifies posts with
    (transforms.langid.known_languages: `en`, `yue`) as it is; another code of one of its
    languages (ALTERNATE_CODES: ISO 639-2/3 `eng`, `spa`, `ger`) as that code (`en`, `es`,
    `de`); a code of `marked` (languages some marker has, which posts can state) as it is,
    though no post is identified in it. As a post's stated `lang` is read (primary_subtag),
    case is ignored and only the primary subtag counts (`EN`, `pt-BR`, `pt_BR`, `zh-Hans`:
    `en`, `pt`, `pt`, `zh`). With `adding` (markers are being written in the language), any
    other code of 2 or 3 letters but NO_LANGUAGE_CODES is taken as a code of `marked` is.
    Raises ValueError, naming py3langid's codes, on any other (a typo, `und`)."""
    subtag = code.strip().lower().replace("_", "-").partition("-")[0]
    found = ALTERNATE_CODES.get(subtag, subtag)
    if found in marked or found in ALTERNATE_CODES.values():
        return found
    lettered = found.isascii() and found.isalpha() and len(found) in (2, 3)
    if adding and lettered and found not in NO_LANGUAGE_CODES:
        return found
    from transforms.langid import known_languages

    if found in known_languages() and found not in NO_LANGUAGE_CODES:
        return found
    identified = ", ".join(sorted(known_languages() - set(NO_LANGUAGE_CODES)))
    raise ValueError(
        f"{code!r} is not a language code posts are identified with, nor another code of one "
        f"(ISO 639-2/3: eng is en, spa is es), nor a language of your markers; the codes are "
        f"{identified}"
    )


def primary_subtag(lang: pl.Expr) -> pl.Expr:
    """`en-US`, `pt_BR` (the POSIX locale form), `EN`, ` en ` → `en`, `pt`; a code of
    ALTERNATE_CODES → its two-letter code (`spa`, `spa-MX` → `es`); any other primary
    subtag as it is (`yue`); empty strings and NO_LANGUAGE_CODES (`und`, `zxx-Latn`, `QME`)
    become null. Language names (`Spanish`) are not codes: they stay as they are."""
    code = lang.str.strip_chars().str.to_lowercase().str.extract(r"^([^-_]*)")
    stated = (code.str.len_chars() > 0) & ~code.is_in(NO_LANGUAGE_CODES)
    return pl.when(stated).then(code.replace(ALTERNATE_CODES))


def stated_code(code: str) -> str | None:
    """One stated language code as primary_subtag reads it (`eng`, `EN-us` → `en`; `und` →
    None)."""
    return pl.select(primary_subtag(pl.lit(code, pl.String))).item()


def stated_languages(lang: pl.Series) -> pl.Series:
    """`lang` (posts' stated languages) as primary_subtag reads them, each distinct value read
    once (a column of posts holds a few distinct values)."""
    lang = lang.cast(pl.String)
    codes = lang.unique().drop_nulls()
    subtags = pl.select(primary_subtag(pl.lit(codes))).to_series()
    return lang.replace_strict(codes, subtags, default=None, return_dtype=pl.String)
