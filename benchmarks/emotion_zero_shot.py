"""Zero-shot English emotions on MiniLM: prototypes written as situations or as first-person states.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/emotion_zero_shot.py [--cap 1500] [--write]

English stress's zero-shot source improved when its prototypes became first-person statements of
the state and its centroid dropped its lexicon terms (benchmarks/stress_zero_shot.py). This asks
the same of the six basic emotions the English sets label (anger, disgust, fear, joy, sadness,
surprise), on the dev splits of covidemo_en, xed_en and isear_en (all rows). Each marker is
scored with its centroid built four ways, the other markers as the marker files ship them:
`situations + terms` (the shipped source), `situations alone`, `first-person + terms` and
`first-person alone` (`centroid_terms = false`). Situations are the shipped prototypes;
first-person states are CANDIDATES (our own sentences, never dataset text). Every score is
transforms.zero_shot.zero_shot's (a softmax over the neutral set and every contrasted marker,
so a marker's centroid moves its rivals' scores too). Per way, its dev ROC AUC per set, and its
F1 per set at the cut chosen as `benchmarks/markers.py --choose-thresholds` chooses the shipped
ones (F1-optimal, flagging at most 2x the true share, on pooled covidemo_en + xed_en dev;
isear_en may not be shipped from). Then the test splits (at most `--cap` rows) for `shipped`
(the marker files as they are) at its thresholds and `joy first-person` (JOY_WAY, measured and
not shipped) at JOY_THRESHOLDS, and the share of the dev posts flagged for the three contrasted
markers no English set labels (calm, hope, love). Texts never leave the process.
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
CANDIDATES = {
    "joy": (
        "I'm so happy right now",
        "I feel wonderful today",
        "I'm overjoyed",
        "I'm so excited I can't stop smiling",
        "I feel so happy and grateful",
        "this makes me so happy",
        "I'm thrilled",
        "I'm in such a good mood today",
        "I feel great, life is good",
        "I'm delighted",
        "I'm on top of the world",
        "I'm so glad, this made my day",
        "I can't stop laughing, I'm so happy",
        "I'm ecstatic",
        "I feel joyful and light",
        "I'm so proud and happy",
        "I'm really enjoying this",
        "pure happiness right now",
        "I'm grinning from ear to ear",
        "I feel cheerful today",
    ),
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
"""First-person state prototypes measured and not shipped (written by us): joy's alone rose on
all three dev sets, and moved test macro-F1 by at most 0.005 (docs/markers.md)."""
WAYS = {
    "situations + terms": ("situations", True),
    "situations alone": ("situations", False),
    "first-person + terms": ("first-person", True),
    "first-person alone": ("first-person", False),
}
JOY_WAY = {"joy": WAYS["first-person + terms"]}
"""The scoring measured for shipping and not shipped: joy's first-person states with its terms."""
JOY_THRESHOLDS = {
    "anger": 2.56, "disgust": 2.25, "fear": 2.66, "joy": 1.32, "sadness": 1.23, "surprise": 2.41,
    "calm": 3.57, "hope": 2.23, "love": 4.91,
}  # fmt: skip
"""The English thresholds chosen again for JOY_WAY (measured, not shipped): the basic emotions'
on dev as the shipped ones are, calm's, hope's and love's by `moodcast markers calibrate` on
model/labelled-en.csv."""


def phrases(marker: Marker, kind: str, terms: bool) -> tuple[str, ...]:
    """`marker`'s English centroid phrases: its situations or first-person prototypes, with or
    without its lexicon terms (as prototype_phrases keeps them)."""
    shipped = marker.prototypes["en"]
    own = shipped if kind == "situations" else CANDIDATES[marker.name]
    every = prototype_phrases(replace(marker, prototypes_alone=frozenset()), "en")
    return (*own, *every[len(shipped) :]) if terms else tuple(own)


def scorer(encoder, markers: Mapping[str, Marker], chosen: Mapping[str, tuple] | None):
    """A function of embedded posts → {contrasted marker: zero-shot score}: with `chosen`
    (marker → (kind, terms)) every contrasted marker's centroid is built from phrases(), the
    markers `chosen` leaves out as situations + terms (as shipped); with None, from the marker
    files as they are."""
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


def shipped_thresholds(markers: Mapping[str, Marker]) -> dict[str, float]:
    """Each marker's English threshold as its file ships it."""
    return {n: m.thresholds["en"] for n, m in markers.items() if "en" in m.thresholds}


def cells(values: dict) -> list[str]:
    return [f"{values[s]:.3f}" if s in values else "" for s in SETS]


def dev_table(runs: dict, encoder, markers) -> list[str]:
    """Each emotion's rows of WAYS (the others as shipped) on the dev splits."""
    lines = table_head(
        ["marker", "centroid"], [*(f"AUC {s}" for s in SETS), "cut", *(f"F1 {s}" for s in SETS)]
    )
    for name in ms.EMOTIONS:
        for way, chosen in WAYS.items():
            aucs, cut, f1s = judged(runs, scorer(encoder, markers, {name: chosen}), name)
            lines.append(table_row([name, way, *cells(aucs), f"{cut:g}", *cells(f1s)]))
    return lines


def test_table(runs: dict, encoder, markers) -> list[str]:
    """`shipped` and `joy first-person` on the test splits, each at its thresholds, and their
    macro-F1."""
    lines = table_head(
        ["marker", "scoring"], [*(f"AUC {s}" for s in SETS), "cut", *(f"F1 {s}" for s in SETS)]
    )
    macro = {}
    for way, score, cuts in (
        ("shipped", scorer(encoder, markers, None), shipped_thresholds(markers)),
        ("joy first-person", scorer(encoder, markers, JOY_WAY), JOY_THRESHOLDS),
    ):
        for name in ms.EMOTIONS:
            aucs, cut, f1s = judged(runs, score, name, cuts[name])
            lines.append(table_row([name, way, *cells(aucs), f"{cut:g}", *cells(f1s)]))
            for s, f1 in f1s.items():
                macro.setdefault(way, {}).setdefault(s, []).append(f1)
    lines.append("")
    lines.append(
        "Test macro-F1 (shipped → joy first-person): "
        + ", ".join(
            f"{s} {np.mean(macro['shipped'][s]):.3f} → {np.mean(macro['joy first-person'][s]):.3f}"
            for s in SETS
        )
    )
    return lines


def unlabelled_line(runs: dict, encoder, markers) -> str:
    """The share of all dev posts flagged for each of UNLABELLED, shipped → joy first-person."""
    x = np.concatenate([x for _, _, x in runs.values()])
    shipped = scorer(encoder, markers, None)(x)
    joy = scorer(encoder, markers, JOY_WAY)(x)
    cuts = shipped_thresholds(markers)
    shares = [
        f"{n} {float((shipped[n] >= cuts[n]).mean()):.1%} → "
        f"{float((joy[n] >= JOY_THRESHOLDS[n]).mean()):.1%}"
        for n in UNLABELLED
    ]
    return f"Share of the {len(x)} dev posts flagged (shipped → joy first-person): " + ", ".join(
        shares
    )


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
