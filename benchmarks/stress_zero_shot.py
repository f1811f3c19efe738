"""Zero-shot stress scorings on MiniLM, judged by how well they rank stressed posts.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/stress_zero_shot.py [--write]

On the two stress proxies of benchmarks/stress_balanced.py (sad_stress_en, and rmhd27's
r/anxiety and r/depression posts against its controls), dev and test splits, each scoring's
ROC AUC and its balanced F1 (a base rate of one half, stress_balanced.balanced) at its own cut
of best mean balanced F1 on the two dev proxies (stress_balanced.chosen_cut; the rule that
chose the shipped threshold). `previous` is the scoring shipped before: PREVIOUS_PROTOTYPES
(situations) and the English lexicon terms as one centroid, at its threshold 3.27 too.
`shipped` is transforms.zero_shot.zero_shot with stress.toml as it is: first-person prototypes
alone (its `centroid_terms = false`). The other rows are candidates measured beside them: the same
prototypes with the lexicon terms, or with the previous prototypes, with a full neutral margin,
less the post's closeness to the calm marker (or to the closer of calm and neutral), less its
closeness to the closest other risk marker, and the closest single prototype. Every cosine is
standardised against the neutral reference posts as zero_shot does. Also: the shipped cut on
the written set model/labelled-en.csv (everyday posts, 11 of 240 stressed), and a check that
every other marker's zero-shot score is the same under the previous and the shipped stress.
Texts never leave the process. `--write` writes the section `stress-zero-shot` of
benchmarks/RESULTS.md. Skips, saying so, when the datasets are absent.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.markers import CachedEncoder, prototypes_only  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.stress_balanced import PROXIES, balanced, chosen_cut, proxy  # noqa: E402
from transforms.markers import BUILTIN_DIR, load_markers  # noqa: E402
from transforms.model_scoring import score_embeddings  # noqa: E402
from transforms.zero_shot import (  # noqa: E402
    CONTRASTED,
    NEUTRAL_WEIGHT,
    neutral_phrases,
    prototype_phrases,
    zero_shot,
)

PREVIOUS_PROTOTYPES = (
    "three reports due tomorrow and my boss just added another one",
    "work, kids, my mom's appointments, I'm holding everything together with tape",
    "haven't had a single day off in five weeks",
    "300 unread emails in my inbox and it keeps growing",
    "between two jobs and classes I don't remember what sleep is",
    "everyone needs something from me today and there's only one of me",
    "finals week is eating me alive",
    "rent is due, the car broke down and I have a shift in an hour",
    "my to-do list has its own to-do list at this point",
    "running from one fire to the next all day at work",
)
"""stress's English prototypes before first-person ones replaced them (written by us)."""
PREVIOUS_THRESHOLD = 3.27
WRITTEN_SET = BUILTIN_DIR / "model" / "labelled-en.csv"


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def scorings(encoder) -> dict:
    """Row name → function(embeddings) → stress scores (see the module doc)."""
    markers = prototypes_only(load_markers())
    stress = markers["stress"]
    own = stress.prototypes["en"]
    terms = prototype_phrases(replace(stress, prototypes_alone=frozenset()), "en")[len(own) :]
    previous = replace(
        stress,
        prototypes={**stress.prototypes, "en": PREVIOUS_PROTOTYPES},
        prototypes_alone=frozenset(),
    )
    neutral_posts = encoder.encode(list(neutral_phrases("en")))

    def centroid(phrases) -> np.ndarray:
        return _unit(encoder.encode(list(phrases)).mean(axis=0))

    def standardised(x: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        base = neutral_posts @ vectors.T
        return (x @ vectors.T - base.mean(axis=0)) / base.std(axis=0)

    def closeness(phrases):
        vector = centroid(phrases)[None]
        return lambda x: standardised(x, vector)[:, 0]

    stressed, neutral = closeness(own), closeness(neutral_phrases("en"))
    calm = closeness(prototype_phrases(markers["calm"], "en"))
    risks = np.stack(
        [
            centroid(prototype_phrases(m, "en"))
            for n, m in markers.items()
            if n != "stress" and m.prototypes.get("en") and m.dimensions[:1] != (CONTRASTED,)
        ]
    )
    singles = encoder.encode(list(own))

    def margin(phrases):
        near = closeness(phrases)
        return lambda x: near(x) - NEUTRAL_WEIGHT * neutral(x)

    return {
        "previous": lambda x: zero_shot(
            x,
            marker=previous,
            lang="en",
            encoder=encoder,
            centroids={"stress": centroid((*PREVIOUS_PROTOTYPES, *terms))},
        ),
        "shipped": lambda x: zero_shot(x, marker=stress, lang="en", encoder=encoder),
        "with the lexicon terms": margin((*own, *terms)),
        "with the previous prototypes": margin((*own, *PREVIOUS_PROTOTYPES)),
        "full neutral margin": lambda x: stressed(x) - neutral(x),
        "less half neutral, half calm": lambda x: stressed(x) - (neutral(x) + calm(x)) / 2,
        "less the closer of neutral and calm": lambda x: (
            stressed(x) - np.maximum(neutral(x), calm(x))
        ),
        "less the closest other risk marker": lambda x: (
            stressed(x) - standardised(x, risks).max(axis=1)
        ),
        "closest single prototype": lambda x: (
            standardised(x, singles).max(axis=1) - NEUTRAL_WEIGHT * neutral(x)
        ),
    }


def other_markers_unchanged(encoder, x: np.ndarray) -> int:
    """The number of markers other than stress whose zero-shot scores of the embedded posts `x`
    are identical under the previous and the shipped stress; raises if any differs."""
    markers = prototypes_only(load_markers())
    stress = markers["stress"]
    before = {
        **markers,
        "stress": replace(
            stress,
            prototypes={**stress.prototypes, "en": PREVIOUS_PROTOTYPES},
            prototypes_alone=frozenset(),
        ),
    }
    now = score_embeddings(x, lang="en", markers=markers, encoder=encoder)
    then = score_embeddings(x, lang="en", markers=before, encoder=encoder)
    others = [n for n in now if n != "stress"]
    differ = [n for n in others if not np.array_equal(now[n], then[n])]
    if differ:
        raise AssertionError(f"a stress change moved other markers' scores: {differ}")
    return len(others)


def written_set_line(ways: dict, cuts: dict[str, float], encoder) -> str:
    """What the previous scoring at its threshold and at its dev cut, and the shipped scoring
    at its dev cut (`cuts`), flag on WRITTEN_SET: everyday posts, few of them stressed."""
    written = pl.read_csv(WRITTEN_SET)
    gold = (written.get_column("stress") == 1).to_numpy()
    x = encoder.encode(written.get_column("text").to_list())
    found = []
    for name, cut in (
        ("previous", PREVIOUS_THRESHOLD),
        ("previous", cuts["previous"]),
        ("shipped", cuts["shipped"]),
    ):
        hit = ways[name](x) >= cut
        found.append(
            f"{name} at {cut:g} flags {float(hit.mean()):.1%} of its posts, recall "
            f"{float(hit[gold].mean()):.2f}"
        )
    return (
        f"On the written set model/labelled-en.csv ({int(gold.sum())} of {len(gold)} stressed): "
        + "; ".join(found)
    )


def render(runs: dict, ways: dict, encoder) -> tuple[str, float]:
    """The section's tables from `runs` ((proxy, split) → (gold, embeddings)) and the shipped
    cut."""
    from sklearn.metrics import roc_auc_score

    keys = list(runs)
    header = " | ".join(f"{p} {s}" for p, s in keys)
    lines = [
        "ROC AUC of each scoring:",
        "",
        f"| scoring | {header} |",
        "|---|" + "---:|" * len(keys),
    ]
    f1_lines = [
        "Balanced F1 (precision/recall) of each scoring at its cut of best mean balanced F1 on "
        "the two dev proxies, and the share of the negatives it flags:",
        "",
        f"| scoring, cut | {header} |",
        "|---|" + "---:|" * len(keys),
    ]
    cuts = {}
    for name, way in ways.items():
        scores = {k: way(x) for k, (_, x) in runs.items()}
        golds = {k: g for k, (g, _) in runs.items()}
        aucs = [f"{roc_auc_score(golds[k], scores[k]):.3f}" for k in keys]
        lines.append(f"| {name} | " + " | ".join(aucs) + " |")
        dev = {p: (golds[p, "dev"], scores[p, "dev"]) for p in PROXIES}
        cuts[name] = chosen_cut(dev)
        at = [("", cuts[name])]
        if name == "previous":
            at.insert(0, (" (shipped before)", PREVIOUS_THRESHOLD))
        for note, cut in at:
            judged = [balanced(golds[k], scores[k] >= cut) for k in keys]
            f1_lines.append(
                f"| {name} {cut:g}{note} | "
                + " | ".join(f"{f:.3f} ({p:.2f}/{r:.2f}), {fp:.2f}" for p, r, f, fp in judged)
                + " |"
            )
    lines.append(
        "| stressed rows / other rows | "
        + " | ".join(f"{int(g.sum())} / {int((~g).sum())}" for g, _ in runs.values())
        + " |"
    )
    written_line = written_set_line(ways, cuts, encoder)
    checked = other_markers_unchanged(encoder, runs["rmhd27 a+d", "dev"][1])
    body = "\n".join(
        [
            *lines,
            "",
            *f1_lines,
            "",
            written_line + ".",
            "",
            f"The other {checked} markers' zero-shot scores on rmhd27 a+d dev are identical "
            "under the previous and the shipped stress.",
        ]
    )
    return body, cuts["shipped"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="Write section stress-zero-shot.")
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    encoder = CachedEncoder()
    runs = {}
    for split in ("dev", "test"):
        for name in PROXIES:
            frame = proxy(name, split)
            embedded = encoder.encode(frame.get_column("text").to_list())
            runs[name, split] = (frame.get_column("stress").to_numpy(), embedded)
    body, cut = render(runs, scorings(encoder), encoder)
    print(body)
    print(f"shipped scoring's cut: {cut:g}")
    if args.write:
        command = "PYTHONPATH=$PWD .venv/bin/python benchmarks/stress_zero_shot.py --write"
        intro = __doc__.split("\n\n")[2].strip()
        write_section("stress-zero-shot", f"Command: `{command}`\n\n{intro}\n\n{body}")


if __name__ == "__main__":
    main()
