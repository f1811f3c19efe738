"""Evidence for lexicon terms on the shared labelled sets: train and dev splits only, counts only.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/lexicon_terms.py terms MARKER [--lang en]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/lexicon_terms.py misses MARKER [--lang en] [--top 40]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/lexicon_terms.py try MARKER "term" ... [--lang es]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/lexicon_terms.py gain MARKER "term" ... [--guard "phrase"]

For each set of the language that labels MARKER (benchmarks/marker_sets.py): the shippable sets
(CC BY / MIT) on their train and dev splits (CovidEmo: dev, its only non-test split), the others
on dev only (a term must also hold on a shippable set, SOURCES.md, seventh pass). A Reddit set with controls judges each
marker on its positives and the controls; stress is also judged on the Reddit sample's r/anxiety
and r/depression posts against its controls (marker_sets.stress_rows), a proxy. Texts never leave the process; what is printed is
words, terms and counts.

- `terms`: each listed term's hits on positives / all its hits, per set, beside the base rate
  (the false positives by term);
- `misses`: the words and bigrams of the positives no term matches, ranked by their log-odds
  ratio against the negatives no term matches (informative Dirichlet prior, Monroe et al. 2008),
  with their counts there (`missed positives/missed posts`);
- `try`: candidate terms (the file format, with the marker's guards, negation and cue rules):
  per set, hits on positives / all hits, and the same for the posts the list misses (`new`);
- `gain`: the candidate terms (and `--guard` phrases) added to the list together: per set,
  precision, recall and F1 of the list before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from transforms.markers import Marker, load_markers, score  # noqa: E402
from transforms.markers.rules import canonical  # noqa: E402
from transforms.text import join_contractions  # noqa: E402

PRIOR = 10.0
"""Total weight of the log-odds prior, spread over n-grams by their share of all n-grams."""


def evidence_splits(labelled: ms.LabelledSet) -> list[str]:
    """The splits terms may be chosen on: train and dev of a shippable set, dev alone of a
    check set and of CovidEmo (its train file is its dev file)."""
    own_train = labelled.hashed or labelled.files["train"] != labelled.files["dev"]
    return ["train", "dev"] if labelled.name in ms.SHIPPABLE and own_train else ["dev"]


def evidence(marker: str, lang: str) -> list[tuple[str, pl.DataFrame]]:
    """(set name, rows judged for `marker`) of each set in `lang` that labels it; for stress,
    also the stress proxy's (marker_sets.stress_rows)."""
    out = []
    for labelled in ms.SETS:
        proxy = marker == "stress" and labelled.name == ms.STRESS_PROXY
        if labelled.lang != lang or (marker not in labelled.labels and not proxy):
            continue
        frame = pl.concat([ms.load_split(labelled, s) for s in evidence_splits(labelled)])
        if proxy:
            out.append((f"{labelled.name} (anxiety+depression vs control)", ms.stress_rows(frame)))
        else:
            out.append((labelled.name, frame.filter(ms.judged(labelled, frame, marker))))
    return out


def term_hits(frame: pl.DataFrame, marker: Marker) -> tuple[Counter, Counter]:
    """Per written term of `marker`: the posts of `frame` it counts in that are positives, and
    all of them."""
    found = score(frame.select("text", "lang"), {marker.name: marker}, explain=True)
    positive, every = Counter(), Counter()
    lists = found[f"{marker.name}__terms"].to_list()
    for gold, terms in zip(frame[marker.name].to_list(), lists, strict=True):
        for term in set(terms or ()):
            every[term] += 1
            positive[term] += int(gold)
    return positive, every


def grams(texts: pl.Series, lang: str) -> list[set[str]]:
    """The words and bigrams of each text, in the canonical form terms are matched in."""
    joined = join_contractions(texts, pl.Series([lang] * texts.len()))
    words = pl.select(canonical(pl.lit(joined))).to_series().str.split(" ")
    out = []
    for ws in words.to_list():
        ws = [w for w in ws if w]
        out.append(set(ws) | {f"{a} {b}" for a, b in pairwise(ws)})
    return out


def log_odds(
    target: Iterable[set[str]], other: Iterable[set[str]], min_count: int = 3
) -> list[tuple[float, str, int, int]]:
    """(z-score, n-gram, posts of `target` with it, posts of `other` with it), best first: the
    log-odds ratio of each n-gram's post frequency in `target` against `other` with an
    informative Dirichlet prior, over its standard error (Monroe, Colaresi & Quinn 2008)."""
    a, b = Counter(), Counter()
    n_a = n_b = 0
    for g in target:
        a.update(g)
        n_a += 1
    for g in other:
        b.update(g)
        n_b += 1
    total = sum(a.values()) + sum(b.values())
    ranked = []
    for gram, count in a.items():
        if count < min_count:
            continue
        prior = PRIOR * (count + b[gram]) / total
        delta = math.log((count + prior) / (n_a + PRIOR - count - prior)) - math.log(
            (b[gram] + prior) / (n_b + PRIOR - b[gram] - prior)
        )
        z = delta / math.sqrt(1 / (count + prior) + 1 / (b[gram] + prior))
        ranked.append((z, gram, count, b[gram]))
    return sorted(ranked, reverse=True)


def new_hits(
    frame: pl.DataFrame, marker: Marker, candidates: Sequence[str], lang: str
) -> list[tuple[int, int, int, int]]:
    """Per candidate term: (positives it hits, posts it hits, the same two among the posts
    `marker`'s list misses), with `marker`'s guards, negation and cue rules."""
    text = frame.select("text", "lang")
    listed = score(text, {marker.name: marker})[marker.name].to_numpy()
    trial = {
        f"c{i}": dataclasses.replace(marker, name=f"c{i}", terms={lang: (term,)})
        for i, term in enumerate(candidates)
    }
    found = score(text, trial)
    gold = frame[marker.name].to_numpy()
    out = []
    for name in trial:
        hit = found[name].to_numpy().astype(bool)
        new = hit & ~listed
        out.append(
            (int((hit & gold).sum()), int(hit.sum()), int((new & gold).sum()), int(new.sum()))
        )
    return out


def prf(gold: np.ndarray, hit: np.ndarray) -> str:
    """`F1 (precision/recall)` of the flags `hit` against `gold`."""
    tp = int((gold & hit).sum())
    precision, recall = tp / max(int(hit.sum()), 1), tp / max(int(gold.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return f"{f1:.3f} ({precision:.2f}/{recall:.2f})"


def gain(
    frame: pl.DataFrame, marker: Marker, candidates: Sequence[str], guards: Sequence[str], lang: str
) -> str:
    """F1 (precision/recall) of `marker`'s list on `frame`, before and after adding
    `candidates` to its terms and `guards` to its guards."""
    wider = dataclasses.replace(
        marker,
        terms={**marker.terms, lang: (*marker.terms.get(lang, ()), *candidates)},
        guards={**marker.guards, lang: (*marker.guards.get(lang, ()), *guards)},
    )
    text, gold = frame.select("text", "lang"), frame[marker.name].to_numpy()
    before, after = (
        score(text, {marker.name: m})[marker.name].to_numpy().astype(bool) for m in (marker, wider)
    )
    return f"  {prf(gold, before)} -> {prf(gold, after)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("terms", "misses", "try", "gain"))
    parser.add_argument("marker")
    parser.add_argument("candidates", nargs="*", help="With `try`: the terms to test.")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--guard", action="append", default=[], help="With `gain`: a guard.")
    args = parser.parse_intermixed_args(argv)
    if ms.skipped():
        return
    marker = load_markers(names=[args.marker])[args.marker]
    for name, frame in evidence(args.marker, args.lang):
        gold = frame[args.marker].to_numpy()
        print(f"## {name}: {frame.height} posts, base rate {gold.mean():.3f}")
        if args.mode == "terms":
            positive, every = term_hits(frame, marker)
            worst = sorted(every, key=lambda t: (positive[t] / every[t], -every[t]))
            print(", ".join(f"{t} {positive[t]}/{every[t]}" for t in worst[: args.top]))
        elif args.mode == "misses":
            listed = score(frame.select("text", "lang"), {args.marker: marker})[args.marker]
            missed = ~listed.to_numpy().astype(bool)
            each = grams(frame["text"], args.lang)
            pos = [g for g, m, y in zip(each, missed, gold, strict=True) if m and y]
            neg = [g for g, m, y in zip(each, missed, gold, strict=True) if m and not y]
            ranked = log_odds(pos, neg)[: args.top]
            print(", ".join(f"{g} {a}/{a + b}" for _, g, a, b in ranked))
        elif args.mode == "gain":
            print(gain(frame, marker, args.candidates, args.guard, args.lang))
        else:
            rows = new_hits(frame, marker, args.candidates, args.lang)
            for term, (p, h, new_p, new_h) in zip(args.candidates, rows, strict=True):
                print(f"  {term}: {p}/{h}, new {new_p}/{new_h}")


if __name__ == "__main__":
    main()
