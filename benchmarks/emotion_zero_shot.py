"""Zero-shot English emotions on MiniLM: prototypes written as situations or as first-person states.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/emotion_zero_shot.py [--cap 1500] [--write]

English stress's zero-shot source improved when its prototypes became first-person statements of
the state and its centroid dropped its lexicon terms (benchmarks/stress_zero_shot.py). This asks
the same of the six basic emotions the English sets label (anger, disgust, fear, joy, sadness,
surprise), on the dev splits of covidemo_en, xed_en and isear_en (all rows). Each marker is
scored with its centroid built four ways, the other markers as shipped before (`previous`:
every contrasted marker's situations and terms): `situations + terms` (the previous source),
`situations alone`, `first-person + terms` and `first-person alone` (`centroid_terms = false`).
Situations are the prototypes shipped before (PREVIOUS_PROTOTYPES where a marker's changed);
first-person states are the shipped ones where a marker now ships them, else CANDIDATES (our
own sentences, never dataset text). Every score is transforms.zero_shot.zero_shot's (a softmax
over the neutral set and every contrasted marker, so a marker's centroid moves its rivals'
scores too). Per way, its dev ROC AUC per set, and its F1 per set at the cut chosen as
`benchmarks/markers.py --choose-thresholds` chooses the shipped ones (F1-optimal, flagging at
most 2x the true share, on pooled covidemo_en + xed_en dev; isear_en may not be shipped from).
Then the test splits (at most `--cap` rows) for `previous` at its thresholds and `shipped`
(the marker files as they are) at theirs, and the share of the dev posts flagged for the three
contrasted markers no English set labels (calm, hope, love). Texts never leave the process.
`--write` writes the section `emotion-zero-shot` of benchmarks/RESULTS.md. Skips, saying so,
when the datasets are absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import CachedEncoder, capped_best, prf, prototypes_only  # noqa: E402
from benchmarks.results import table_head, table_row, write_section  # noqa: E402
from transforms.markers import Marker, load_markers  # noqa: E402
from transforms.zero_shot import CONTRASTED, prototype_phrases, zero_shot  # noqa: E402

SETS = ("covidemo_en", "xed_en", "isear_en")
UNLABELLED = ("calm", "hope", "love")
PREVIOUS_PROTOTYPES = {
    "joy": (
        "just got the call, I got the job!!",
        "honestly grinning like an idiot all afternoon",
        "everything went right today and I'm on cloud nine",
        "we finally got the keys to our first place, I keep dancing around the kitchen",
        "passed my driving test on the first try let's gooo",
        "this is the kind of day I want to bottle up and keep forever",
        "my little sister graduated today and my heart is so full",
        "I'm buzzing, the team pulled it off in the last minute",
        "life feels really good right now, not gonna lie",
        "laughing so hard with my friends tonight my cheeks hurt",
        "got my exam results back and I did way better than I thought",
    ),
}
"""The English prototypes shipped before first-person states replaced them (written by us)."""
PREVIOUS_THRESHOLDS = {
    "anger": 2.6, "disgust": 2.25, "fear": 2.65, "joy": 1.17, "sadness": 1.28, "surprise": 2.42,
    "calm": 3.59, "hope": 2.22, "love": 4.91,
}  # fmt: skip
"""The English thresholds shipped before: the basic emotions' chosen on dev as now, calm's,
hope's and love's by `moodcast markers calibrate` on model/labelled-en.csv."""
CANDIDATES = {
    "anger": (
        "I'm so angry right now I can't think straight",
        "I am absolutely furious",
        "this makes me so mad",
        "I'm livid, honestly",
        "I'm fuming, I've had enough of this",
        "I am so pissed off right now",
        "my blood is boiling",
        "I'm beyond irritated today",
        "I hate this so much, it makes me angry",
        "I'm so frustrated and angry I could scream",
        "I'm seething with rage",
        "I'm really annoyed and fed up",
        "I have never been this angry",
        "I'm outraged by this",
        "honestly I'm furious with them",
        "I lost my temper and I'm still mad",
        "I'm angry all the time lately",
        "ugh I'm so mad I could punch a wall",
        "I'm raging right now",
        "it makes me so angry that nobody cares",
    ),
    "disgust": (
        "I'm disgusted",
        "that makes me sick to my stomach",
        "I feel so grossed out",
        "ew, I'm repulsed",
        "I'm revolted by this",
        "this is so gross I want to throw up",
        "I feel nauseated just thinking about it",
        "I'm appalled and disgusted by them",
        "yuck, that's vile",
        "I find this absolutely repulsive",
        "that was so nasty I gagged",
        "I'm sickened by what they did",
        "it disgusts me how people behave",
        "I feel dirty even looking at it",
        "gross, I can't stand the smell",
        "I'm so disgusted I can't even look at it",
        "it makes my skin crawl",
        "I feel sick, that's revolting",
        "ugh, that's disgusting",
        "I'm horrified and disgusted",
    ),
    "fear": (
        "I'm so scared right now",
        "I'm terrified",
        "I'm afraid something bad is going to happen",
        "I feel frightened and I can't stop shaking",
        "I'm really worried and afraid",
        "I'm scared to go outside",
        "my heart is pounding, I'm so afraid",
        "I'm frightened of what comes next",
        "I'm panicking",
        "I'm scared for my family",
        "I'm afraid I'm going to lose everything",
        "I feel so nervous and scared",
        "I am terrified of getting sick",
        "I'm scared to death",
        "I'm filled with dread",
        "I'm too afraid to sleep",
        "I'm worried sick",
        "I feel unsafe and afraid",
        "I'm so scared I might cry",
        "fear is all I feel right now",
    ),
    "sadness": (
        "I'm so sad",
        "I feel really down today",
        "I can't stop crying",
        "I'm heartbroken",
        "I feel so empty and sad",
        "I'm miserable",
        "I'm so unhappy",
        "I feel like crying all the time",
        "my heart hurts so much",
        "I'm sad and I miss them",
        "I feel so low",
        "I'm grieving and it hurts",
        "I feel so blue today",
        "I'm devastated",
        "I feel gloomy and sad",
        "everything makes me sad lately",
        "I'm in tears",
        "I feel sorrowful",
        "I'm so disappointed and sad",
        "I feel so sad I can barely get up",
    ),
    "surprise": (
        "I'm so surprised",
        "wow, I did not expect that",
        "honestly I'm in complete shock",
        "I still can't believe this happened",
        "I'm stunned",
        "whoa, what just happened",
        "I'm amazed, I never saw that coming",
        "I'm speechless",
        "omg I'm in shock",
        "that caught me completely off guard",
        "I was so surprised I gasped",
        "wait, really? I'm astonished",
        "no way, I'm so shocked",
        "I'm taken aback",
        "I didn't see that coming at all",
        "I'm flabbergasted",
        "what?! I can't believe my eyes",
        "I'm astounded",
        "that took me by surprise",
        "I'm still in shock",
    ),
}
"""First-person state prototypes measured and not shipped (dev said no better; written by us)."""
WAYS = {
    "situations + terms": ("situations", True),
    "situations alone": ("situations", False),
    "first-person + terms": ("first-person", True),
    "first-person alone": ("first-person", False),
}


def phrases(marker: Marker, kind: str, terms: bool) -> tuple[str, ...]:
    """`marker`'s English centroid phrases: its situations or first-person prototypes, with or
    without its lexicon terms (as prototype_phrases keeps them)."""
    shipped = marker.prototypes["en"]
    own = {
        "situations": PREVIOUS_PROTOTYPES.get(marker.name, shipped),
        "first-person": CANDIDATES.get(marker.name, shipped),
    }[kind]
    every = prototype_phrases(replace(marker, prototypes_alone=frozenset()), "en")
    return (*own, *every[len(shipped) :]) if terms else tuple(own)


def scorer(encoder, markers: Mapping[str, Marker], chosen: Mapping[str, tuple] | None):
    """A function of embedded posts → {contrasted marker: zero-shot score}: with `chosen`
    (marker → (kind, terms)) every contrasted marker's centroid is built from phrases(), the
    markers `chosen` leaves out as situations + terms (the previous source); with None, from
    the marker files as they are."""
    names = [n for n, m in markers.items() if m.dimensions[:1] == (CONTRASTED,)]
    centroids = None
    if chosen is not None:
        centroids = {}
        for name in names:
            vectors = encoder.encode(
                list(phrases(markers[name], *chosen.get(name, WAYS["situations + terms"])))
            )
            mean = vectors.mean(axis=0)
            centroids[name] = mean / np.linalg.norm(mean)
    return lambda x: {
        n: zero_shot(x, marker=markers[n], lang="en", encoder=encoder, centroids=centroids)
        for n in names
    }


def judged(runs: dict, score: Callable, name: str, cut: float | None = None):
    """(ROC AUC per set, the cut, F1 per set at it) of marker `name` under `score` on `runs`
    (set → (labelled set, frame, embeddings)); the cut, unless given, is chosen on the pooled
    shippable sets as benchmarks/markers.py --choose-thresholds does."""
    from sklearn.metrics import roc_auc_score

    scored = {
        s: (frame.get_column(name).to_numpy(), score(x)[name])
        for s, (labelled, frame, x) in runs.items()
        if name in labelled.labels
    }
    if cut is None:
        pooled = [scored[s] for s in scored if s in ms.SHIPPABLE]
        cut = capped_best(
            np.concatenate([v for _, v in pooled]), np.concatenate([g for g, _ in pooled])
        )[0]
    aucs = {s: roc_auc_score(g, v) for s, (g, v) in scored.items()}
    f1s = {s: prf(g, v >= cut)[2] for s, (g, v) in scored.items()}
    return aucs, cut, f1s


def cells(values: dict) -> list[str]:
    return [f"{values[s]:.3f}" if s in values else "" for s in SETS]


def dev_table(runs: dict, encoder, markers) -> list[str]:
    """Each emotion's rows of WAYS (the others as before), then `shipped`, on the dev splits."""
    lines = table_head(
        ["marker", "centroid"], [*(f"AUC {s}" for s in SETS), "cut", *(f"F1 {s}" for s in SETS)]
    )
    shipped = scorer(encoder, markers, None)
    for name in ms.EMOTIONS:
        ways = {w: scorer(encoder, markers, {name: way}) for w, way in WAYS.items()}
        for way, score in [*ways.items(), ("shipped", shipped)]:
            aucs, cut, f1s = judged(runs, score, name)
            lines.append(table_row([name, way, *cells(aucs), f"{cut:g}", *cells(f1s)]))
    return lines


def test_table(runs: dict, encoder, markers) -> list[str]:
    """`previous` and `shipped` on the test splits, each at its thresholds, and their macro-F1."""
    lines = table_head(
        ["marker", "scoring"], [*(f"AUC {s}" for s in SETS), "cut", *(f"F1 {s}" for s in SETS)]
    )
    macro = {}
    for way, score, cuts in (
        ("previous", scorer(encoder, markers, {}), PREVIOUS_THRESHOLDS),
        (
            "shipped",
            scorer(encoder, markers, None),
            {n: m.thresholds["en"] for n, m in markers.items()},
        ),
    ):
        for name in ms.EMOTIONS:
            aucs, cut, f1s = judged(runs, score, name, cuts[name])
            lines.append(table_row([name, way, *cells(aucs), f"{cut:g}", *cells(f1s)]))
            for s, f1 in f1s.items():
                macro.setdefault(way, {}).setdefault(s, []).append(f1)
    lines.append("")
    lines.append(
        "Test macro-F1 (previous → shipped): "
        + ", ".join(
            f"{s} {np.mean(macro['previous'][s]):.3f} → {np.mean(macro['shipped'][s]):.3f}"
            for s in SETS
        )
    )
    return lines


def unlabelled_line(runs: dict, encoder, markers) -> str:
    """The share of all dev posts flagged for each of UNLABELLED, previous → shipped."""
    x = np.concatenate([x for _, _, x in runs.values()])
    before = scorer(encoder, markers, {})(x)
    now = scorer(encoder, markers, None)(x)
    shares = [
        f"{n} {float((before[n] >= PREVIOUS_THRESHOLDS[n]).mean()):.1%} → "
        f"{float((now[n] >= markers[n].thresholds['en']).mean()):.1%}"
        for n in UNLABELLED
    ]
    return f"Share of the {len(x)} dev posts flagged (previous → shipped): " + ", ".join(shares)


def splits(encoder, split: str, cap: int | None) -> dict:
    """Set name → (labelled set, frame, embeddings) of one split of each of SETS."""
    runs = {}
    for labelled in (s for s in ms.SETS if s.name in SETS):
        frame = ms.load_split(labelled, split, cap=cap)
        runs[labelled.name] = (labelled, frame, encoder.encode(frame.get_column("text").to_list()))
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    parser.add_argument("--write", action="store_true", help="Write section emotion-zero-shot.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    encoder = CachedEncoder()
    markers = prototypes_only(load_markers())
    dev = splits(encoder, "dev", None)
    body = "\n".join(
        [
            "Dev splits (all rows); each marker's ROC AUC and its F1 at its dev-chosen cut:",
            "",
            *dev_table(dev, encoder, markers),
            "",
            f"Test splits (at most {args.cap} rows), each scoring at its shipped thresholds:",
            "",
            *test_table(splits(encoder, "test", args.cap), encoder, markers),
            "",
            unlabelled_line(dev, encoder, markers) + ".",
        ]
    )
    print(body)
    if args.write:
        command = f"PYTHONPATH=$PWD .venv/bin/python benchmarks/emotion_zero_shot.py --cap {args.cap} --write"
        intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[2:3])
        write_section("emotion-zero-shot", f"Command: `{command}`\n\n{intro}\n\n{body}")


if __name__ == "__main__":
    main()
