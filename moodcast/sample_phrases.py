"""Phrase banks for the sample-corpus generator (`moodcast.sample`), and `Composer`, which
assembles a post's text from them and the generator's random draws.

The banks are data, in `sample_phrases.toml` beside this module. Everything there was written
by hand as natural social-media sentences. The marker sentences are NOT built from the marker
lexicons in `transforms/markers/` (the generator never reads those files): a decent lexicon is
expected to catch them through ordinary words, which is exactly what the planted waves test.

Templates may hold the slots `{food}`, `{place}`, `{day}`, `{show}` and `{team}`, filled from
`SLOTS` of the same language. Every sentence has at least five words.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from importlib.resources import files

_BANKS = tomllib.loads(files("moodcast").joinpath("sample_phrases.toml").read_text("utf-8"))

LANGS: tuple[str, ...] = tuple(_BANKS["langs"])
NEUTRAL: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANKS["neutral"].items()}
SLOTS: dict[str, dict[str, tuple[str, ...]]] = {
    lang: {slot: tuple(v) for slot, v in slots.items()} for lang, slots in _BANKS["slots"].items()
}
MARKER_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    marker: {lang: tuple(v) for lang, v in langs.items()}
    for marker, langs in _BANKS["marker_phrases"].items()
}
WAVE_CONTEXT: dict[tuple[str, str], tuple[str, ...]] = {
    (marker, lang): tuple(v)
    for marker, langs in _BANKS["wave_context"].items()
    for lang, v in langs.items()
}
"""Context sentences of a planted wave, by (marker, language)."""
HASHTAGS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANKS["hashtags"].items()}
NEUTRAL_EMOJI: tuple[str, ...] = tuple(_BANKS["neutral_emoji"])
HANDLE_PARTS: tuple[tuple[str, ...], tuple[str, ...]] = (
    tuple(_BANKS["handle_first"]),
    tuple(_BANKS["handle_suffix"]),
)
URL_HOSTS: tuple[str, ...] = tuple(_BANKS["url_hosts"])
RETWEET_PREFIX: str = _BANKS["retweet_prefix"]


def handle(author: int) -> str:
    """A stable, plausible user handle for author number `author`."""
    first, suffix = HANDLE_PARTS
    number = author // (len(first) * len(suffix))
    name = f"{first[author % len(first)]}{suffix[(author // len(first)) % len(suffix)]}"
    return name + (str(number) if number else "")


class Composer:
    """Builds post texts from the banks, given each post's random draws.

    `markers` orders the marker bits of a post's `mask`; `contexts[w]` are the context
    sentences of wave `w`. Per post, `draws` holds six non-negative integers (first neutral
    sentence, stride to the next ones, slot fillers, marker-sentence picks, placement, extras)
    and `flags` seven booleans (lower-case, strip Spanish accents, mention, hashtags, emoji,
    URL, wave context)."""

    FLAG_SHARES = (0.2, 0.35, 0.15, 0.25, 0.3, 0.1, 0.4)
    """How often each flag is set (the generator draws them)."""

    def __init__(
        self, markers: Sequence[str], contexts: Sequence[tuple[str, ...]], *, max_words: int
    ) -> None:
        self.max_words = max_words
        self.neutral = [[(t, len(t.split()), "{" in t) for t in NEUTRAL[lang]] for lang in LANGS]
        self.slots = [SLOTS[lang] for lang in LANGS]
        self.banks = [[MARKER_PHRASES[m][lang] for m in markers] for lang in LANGS]
        self.contexts = list(contexts)
        self.tags = [HASHTAGS[lang] for lang in LANGS]
        self.handles = [handle(a) for a in range(600)]
        self.accents = str.maketrans("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU")

    def text(
        self, draws: list[int], flags: list[bool], lang: int, mask: int, n_neutral: int, wave: int
    ) -> str:
        """`n_neutral` chatter sentences around one sentence per set bit of `mask` (and, when
        `wave` ≥ 0 and its flag is set, a context sentence of that wave), then extras. Neutral
        sentences are dropped while the prose is longer than `max_words` words."""
        r = draws
        bank = self.neutral[lang]
        step = 1 + r[1] % (len(bank) // 4)
        neutral = []
        for j in range(n_neutral):
            template, words, has_slots = bank[(r[0] + j * step) % len(bank)]
            neutral.append(
                (self._fill(template, lang, r[2] >> j) if has_slots else template, words)
            )
        expressed = []
        k = 0
        while mask >> k:
            if (mask >> k) & 1:
                sentences = self.banks[lang][k]
                sentence = sentences[(r[3] >> (3 * k)) % len(sentences)]
                expressed.append((sentence, len(sentence.split())))
            k += 1
        if wave >= 0 and flags[6] and self.contexts[wave]:
            context = self.contexts[wave][r[4] % len(self.contexts[wave])]
            expressed.append((context, len(context.split())))
        words = sum(w for _, w in neutral) + sum(w for _, w in expressed)
        while neutral and words > self.max_words:
            words -= neutral.pop()[1]
        at = (r[4] >> 4) % (len(neutral) + 1)
        text = " ".join(s for s, _ in neutral[:at] + expressed + neutral[at:])
        if LANGS[lang] == "es" and flags[1]:
            text = text.translate(self.accents)
        if flags[0]:
            text = text.lower()
        extras = r[5]
        if flags[2]:
            text = f"@{self.handles[extras % len(self.handles)]} {text}"
        if flags[3]:
            tags = self.tags[lang]
            text += " " + tags[(extras >> 10) % len(tags)]
            if extras & 1:
                text += " " + tags[(extras >> 15) % len(tags)]
        if flags[4]:
            text += " " + NEUTRAL_EMOJI[(extras >> 20) % len(NEUTRAL_EMOJI)]
        if flags[5]:
            host = URL_HOSTS[(extras >> 5) % len(URL_HOSTS)]
            text += f" https://{host}/{r[2] & 0xFFFFFF:06x}{r[3] & 0xFFFF:04x}"
        return text

    def _fill(self, template: str, lang: int, r: int) -> str:
        slots = self.slots[lang]
        return template.format(
            food=slots["food"][r % len(slots["food"])],
            place=slots["place"][(r >> 4) % len(slots["place"])],
            day=slots["day"][(r >> 8) % len(slots["day"])],
            show=slots["show"][(r >> 12) % len(slots["show"])],
            team=slots["team"][(r >> 16) % len(slots["team"])],
        )
