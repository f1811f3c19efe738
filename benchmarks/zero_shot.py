"""Zero-shot scorings of the English sentence model compared on real labelled posts.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/zero_shot.py [--cap 1500] [--model FOLDER]

Each scoring turns a post's embedding (the shipped all-MiniLM-L6-v2) into one score per marker,
without training on any set:

- `closest 3 prototypes` (the first source): mean cosine to the marker's 3 closest
  prototype phrases;
- `centroid`: cosine to the centroid of its prototypes and lexicon terms
  (transforms.zero_shot.prototype_phrases);
- `margin, all markers`: that cosine minus the highest cosine to the centroid of the neutral
  reference set or of any other marker;
- `margin for emotions` (the previous source): that margin over the neutral set and the other
  basic emotions (CONTRASTED) for the basic emotions only, the plain centroid for the others;
- `shipped`: transforms.zero_shot.zero_shot: cosines standardised against the neutral
  reference posts, a softmax over the neutral set and the basic emotions for the basic emotions,
  and for the others the cosine less NEUTRAL_WEIGHT × the neutral set's.

Every scoring gets its threshold per marker by the same rule as `benchmarks/markers.py
--choose-thresholds` (F1-optimal on the pooled dev splits of the English CC BY / MIT sets that
label the marker, flagging at most 2× its true share); macro-F1 is then reported on each set's
test split (capped at `--cap` rows). ISEAR labels no shippable set, so it borrows the others'
thresholds. Results go to benchmarks/RESULTS.md (`zero-shot`). Skips when the datasets are
absent.

With `--model` (a local sentence-transformers folder, as benchmarks/head_recipes.py takes it)
every scoring runs on that model instead, its thresholds chosen again by the same rule on its
own dev scores, beside the shipped scoring on all-MiniLM-L6-v2 in the same run, on at most
`--dev-cap` rows of each dev split (default all); the tables add CovidEmo's four bar labels
(`anticipation` scored by the `hope` marker, its cut chosen on CovidEmo's dev split), the oracle
macro-F1 of the shipped scorings (benchmarks/zero_shot_ceiling.py: each marker's best cut chosen
on the test rows themselves, a bound, not a method), each encoder's CPU time per post (on
`--cost-posts` CovidEmo test posts) and the model's thresholds (FIT_RULES), which
`--write-thresholds` writes into transforms/markers/model/thresholds.toml, where the product
finds them by the digest of the model's weights. Results go to the section `--section` names
(default `zero-shot-larger-model`).
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.head_sets import BAR_LABELS  # noqa: E402
from benchmarks.markers import (  # noqa: E402
    RISK_PRECISION,
    CachedEncoder,
    capped_best,
    prf,
    prototypes_only,
)
from benchmarks.results import table_head, table_row, write_section  # noqa: E402
from benchmarks.zero_shot_ceiling import oracle_f1  # noqa: E402
from transforms.embedding import DEFAULT_MODEL, resolve_model_path  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_folders import weights_digest  # noqa: E402
from transforms.zero_shot import (  # noqa: E402
    CONTRASTED,
    MODEL_THRESHOLDS_FILE,
    neutral_phrases,
    prototype_phrases,
    score_basis,
    zero_shot,
)

SHIPPED_NAME = "all-MiniLM-L6-v2"
BAR_SCORED_AS = {"anticipation": "hope"}
"""CovidEmo's bar label with no marker of its own, and the marker that scores it."""
FIT_RULES = {
    **dict.fromkeys(("anger", "disgust", "fear", "joy", "sadness", "surprise"), False),
    **dict.fromkeys(("anxiety", "depression", "loneliness", "substance_use"), False),
    "suicide_risk": True,
}
"""The markers whose shipped thresholds `benchmarks/markers.py --choose-thresholds` chose on the
pooled dev splits of the shippable sets, and whether by the high-precision rule (else the capped
F1-optimal cut): a larger model's thresholds are chosen for them the same way. The others' came
from `moodcast markers calibrate` on model/labelled-en.csv, but stress's, chosen on its two
balanced dev proxies by benchmarks/stress_zero_shot.py (sad_stress_en is 95% positive)."""


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def scorings(encoder, markers) -> dict:
    """Scoring name → function(embeddings) → {marker: scores}."""
    names = [n for n, m in markers.items() if m.prototypes.get("en")]
    protos = {n: encoder.encode(list(markers[n].prototypes["en"])) for n in names}
    centroids = {
        n: _unit(encoder.encode(list(prototype_phrases(markers[n], "en"))).mean(0)) for n in names
    }
    neutral = _unit(encoder.encode(list(neutral_phrases("en"))).mean(0))

    def closest(x):
        return {n: np.sort(x @ protos[n].T, axis=1)[:, -3:].mean(1) for n in names}

    def centroid(x):
        return {n: x @ centroids[n] for n in names}

    def margin_all(x):
        cos = centroid(x)
        rivals = {n: [cos[m] for m in names if m != n] + [x @ neutral] for n in names}
        return {n: cos[n] - np.max(rivals[n], axis=0) for n in names}

    emotions = [n for n in names if markers[n].dimensions[:1] == (CONTRASTED,)]

    def margin_emotions(x):
        cos = centroid(x)
        rivals = {n: [cos[m] for m in emotions if m != n] + [x @ neutral] for n in emotions}
        return cos | {n: cos[n] - np.max(rivals[n], axis=0) for n in emotions}

    def shipped(x):
        return {n: zero_shot(x, marker=markers[n], lang="en", encoder=encoder) for n in names}

    return {
        "closest 3 prototypes": closest,
        "centroid": centroid,
        "margin, all markers": margin_all,
        "margin for emotions": margin_emotions,
        "shipped": shipped,
    }


def stress_lines(ways: dict, splits: dict) -> list[str]:
    """ROC AUC of each scoring's stress score, threshold-free: on sad_stress_en with its
    positives subsampled (seeded) to as many as its negatives, and on rmhd27's anxiety and
    depression posts against its controls (stress-adjacent communities)."""
    from sklearn.metrics import roc_auc_score

    lines = [
        "Stress, ROC AUC (dev / test): sad_stress_en balanced (its negatives and as many "
        "positives, seeded), and rmhd27 r/anxiety + r/depression posts against the controls:",
        "",
        "| scoring | sad_stress balanced | rmhd27 anxiety+depression vs control |",
        "|---|---:|---:|",
    ]
    for way in ways:
        cells = {"sad": [], "rmhd": []}
        for split in ("dev", "test"):
            frame, scored = splits["sad_stress_en", split]
            gold = frame.get_column("stress").to_numpy()
            rng = np.random.default_rng(0)
            negatives = np.flatnonzero(~gold)
            keep = np.concatenate(
                [negatives, rng.choice(np.flatnonzero(gold), len(negatives), replace=False)]
            )
            cells["sad"].append(roc_auc_score(gold[keep], scored[way]["stress"][keep]))
            frame, scored = splits["rmhd27_reddit_en", split]
            adjacent = (frame.get_column("anxiety") | frame.get_column("depression")).to_numpy()
            keep = adjacent | frame.get_column("control").to_numpy()
            cells["rmhd"].append(roc_auc_score(adjacent[keep], scored[way]["stress"][keep]))
        lines.append(
            f"| {way} | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in cells.values()) + " |"
        )
    return lines


def pooled_cut(way: str, name: str, sets, splits: dict, *, precision: float | None = None) -> float:
    """The capped F1-optimal cut of scoring `way` for marker `name` on the pooled dev splits of
    the shippable sets that label it; with `precision`, the lowest cut whose pooled dev
    precision reaches it instead (as `benchmarks/markers.py --choose-thresholds` cuts the risk
    markers' high-precision threshold)."""
    values, golds = [], []
    for other in sets:
        if other.name.partition(":")[0] in ms.SHIPPABLE and name in other.labels:
            frame, scored = splits[other.name, "dev"]
            keep = ms.judged(other, frame, name).to_numpy()
            values.append(scored[way][BAR_SCORED_AS.get(name, name)][keep])
            golds.append(frame.get_column(name).to_numpy()[keep])
    values, gold = np.concatenate(values), np.concatenate(golds)
    if precision is None:
        return capped_best(values, gold)[0]
    cuts = np.unique(np.round(values, 2))
    return float(next(c for c in cuts if prf(gold, values >= c)[0] >= precision))


def cut_markers(sets) -> list[str]:
    """The markers whose dev-chosen cuts the label-free scorings report: each that a shippable
    set of `sets` labels, but stress (sad_stress's 95% positives let any cut win)."""
    return sorted({n for s in sets if s.name in ms.SHIPPABLE for n in s.labels} - {"stress"})


def cut_table(ways, sets, splits: dict, *, columns=None) -> list[str]:
    """A markdown table of each cut_markers marker's dev-chosen cut (pooled_cut) under each
    scoring of `ways`, a column each, headed by `columns` (default: the ways' names)."""
    lines = ["| marker | " + " | ".join(columns or ways) + " |", "|---|" + "---:|" * len(ways)]
    for name in cut_markers(sets):
        cuts = [pooled_cut(way, name, sets, splits) for way in ways]
        lines.append(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cuts) + " |")
    return lines


def label_f1s(way: str, labelled, splits: dict, cuts: dict[str, float]) -> dict[str, list]:
    """Each label's `[dev F1, test F1, test oracle F1]` for scoring `way` on set `labelled`, at
    the cut `cuts` gives it; a label outside BAR_SCORED_AS's keys is scored by its own marker."""
    f1s = {}
    for name in labelled.labels:
        f1s[name] = []
        for split in ("dev", "test"):
            frame, scored = splits[labelled.name, split]
            keep = ms.judged(labelled, frame, name).to_numpy()
            gold = frame.get_column(name).to_numpy()[keep]
            values = scored[way][BAR_SCORED_AS.get(name, name)][keep]
            f1s[name].append(prf(gold, values >= cuts[name])[2])
        f1s[name].append(oracle_f1(values, gold))
    return f1s


def f1_table(ways, sets, splits: dict, bar=None) -> tuple[list[str], dict]:
    """Macro-F1 of each scoring per set, dev / test: each marker's threshold is the capped
    F1-optimal cut on the pooled dev splits of the shippable sets that label it; with `bar`
    (the CovidEmo bar view, bar_view), a column of its labels. Also returns scoring → set →
    label → label_f1s."""
    columns = [*sets, *([bar] if bar else [])]
    names = [s.name for s in sets] + (["covidemo_en bar labels"] if bar else [])
    lines = table_head(["scoring"], names)
    found = {}
    for way in ways:
        cells = []
        for labelled in columns:
            cuts = {
                n: pooled_cut(way, n, sets, splits) for n in labelled.labels if n != "anticipation"
            }
            if "anticipation" in labelled.labels:
                cuts["anticipation"] = pooled_cut(way, "anticipation", [labelled], splits)
            f1s = found.setdefault(way, {})[labelled.name] = label_f1s(way, labelled, splits, cuts)
            dev, test, _ = np.mean(list(f1s.values()), axis=0)
            cells.append(f"{dev:.3f} / {test:.3f}")
        lines.append(table_row([way, *cells]))
    return lines, found


def oracle_lines(found: dict, ways: list[str]) -> list[str]:
    """The shipped scorings' test macro-F1 per set beside its oracle (best cuts on test)."""
    names = list(next(iter(found.values())))
    lines = [
        "Test macro-F1 of the shipped scoring at its pooled-dev thresholds / the oracle's (each "
        "marker's best cut chosen on the test rows themselves: a bound, not a method):",
        "",
        *table_head(["scoring"], names),
    ]
    for way in ways:
        cells = [np.mean(list(found[way][n].values()), axis=0)[1:] for n in names]
        lines.append(table_row([way, *(f"{a:.3f} / {b:.3f}" for a, b in cells)]))
    return lines


def model_thresholds(way: str, sets, splits: dict) -> dict[str, float]:
    """The thresholds of scoring `way` for the markers of FIT_RULES, each by its rule."""
    return {
        name: pooled_cut(way, name, sets, splits, precision=RISK_PRECISION if rule else None)
        for name, rule in FIT_RULES.items()
    }


def bar_view(cap: int, dev_cap: int | None = None):
    """CovidEmo as the issue's tweet bar judges it (head_sets.BAR_LABELS), its splits as
    `english_splits` loads covidemo_en's (the same rows, in the same order)."""
    covidemo = next(s for s in ms.SETS if s.name == "covidemo_en")
    view = replace(covidemo, name="covidemo_en:bar", labels=BAR_LABELS["covidemo_en"])
    frames = {
        split: ms.load_split(replace(covidemo, labels=view.labels), split, cap=rows)
        for split, rows in (("dev", dev_cap), ("test", cap))
    }
    return view, frames


def english_splits(encoder, cap: int, dev_cap: int | None = None):
    """Each English labelled set's dev split (at most `dev_cap` rows, default all) and its test
    split (at most `cap` rows), as `(set, split, frame, embeddings of its texts)`."""
    for labelled in (s for s in ms.SETS if s.lang == "en"):
        for split, rows in (("dev", dev_cap), ("test", cap)):
            frame = ms.load_split(labelled, split, cap=rows)
            yield labelled, split, frame, encoder.encode(frame.get_column("text").to_list())


def cpu_ms(encoder, texts: list[str], repeats: int = 3) -> float:
    """The least over `repeats` runs of the CPU milliseconds per text that `encoder` (a
    CachedEncoder, its cache bypassed) takes to embed `texts`."""
    encode = encoder.__getattr__("encode")
    times = []
    for _ in range(repeats):
        start = time.process_time()
        encode(texts)
        times.append((time.process_time() - start) / len(texts) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    parser.add_argument(
        "--dev-cap", type=int, help="Rows per dev split at most, with --model (default all)."
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="A local sentence-transformers folder to score with, beside the shipped model.",
    )
    parser.add_argument(
        "--section", default="zero-shot-larger-model", help="RESULTS.md section of a --model run."
    )
    parser.add_argument(
        "--cost-posts", type=int, default=200, help="CovidEmo test posts timed per encoder."
    )
    parser.add_argument(
        "--write-thresholds",
        action="store_true",
        help="Write the --model's thresholds into transforms/markers/model/thresholds.toml.",
    )
    args = parser.parse_args()
    if ms.skipped():
        return
    if args.model == DEFAULT_MODEL:
        shipped_model_run(args.cap)
    else:
        larger_model_run(args)


def scored_splits(rows: dict, encoders: dict, cap: int, dev_cap: int | None = None) -> dict:
    """`(set, split) → (frame, {row: scores})` of every English set, each row (`rows`: row →
    (model, scoring function)) on the embeddings of its model (`encoders`: model → encoder)."""
    splits = {}
    for model, encoder in encoders.items():
        for labelled, split, frame, x in english_splits(encoder, cap, dev_cap):
            scored = splits.setdefault((labelled.name, split), (frame, {}))[1]
            scored.update({row: run(x) for row, (mine, run) in rows.items() if mine == model})
    return splits


def shipped_model_run(cap: int) -> None:
    encoder = CachedEncoder()
    markers = prototypes_only(load_markers())
    ways = scorings(encoder, markers)
    sets = [s for s in ms.SETS if s.lang == "en"]
    splits = scored_splits({w: ("", run) for w, run in ways.items()}, {"": encoder}, cap)
    lines = [*f1_table(ways, sets, splits)[0], "", *stress_lines(ways, splits)]
    intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:4])
    body = "\n".join(lines)
    print(body)
    write_section(
        "zero-shot",
        f"{intro}\n\nMacro-F1 over each set's labels, dev / test split (thresholds chosen on "
        "the pooled dev splits, so dev F1 is optimistic; scorings were chosen on dev). "
        "irf_reddit_en labels a proxy of loneliness (thwarted belongingness) and borrows "
        "rmhd27's threshold. sad_stress_en is 95% "
        "positive: flagging every post scores 0.97 there, and the 2× cap allows it, so its "
        f"column says nothing about a scoring.\n\n{body}",
    )


def larger_model_run(args) -> None:
    name = resolve_model_path(args.model).name
    digest = weights_digest(resolve_model_path(args.model))
    encoders = {SHIPPED_NAME: CachedEncoder(), name: CachedEncoder(args.model)}
    markers = prototypes_only(load_markers())
    rows = {
        f"shipped, {SHIPPED_NAME}": (
            SHIPPED_NAME,
            scorings(encoders[SHIPPED_NAME], markers)["shipped"],
        )
    }
    rows |= {
        f"{way}, {name}": (name, run) for way, run in scorings(encoders[name], markers).items()
    }
    sets = [s for s in ms.SETS if s.lang == "en"]
    splits = scored_splits(rows, encoders, args.cap, args.dev_cap)
    bar, frames = bar_view(args.cap, args.dev_cap)
    for split, frame in frames.items():
        base, scored = splits["covidemo_en", split]
        assert frame.get_column("id").equals(base.get_column("id"))
        splits[bar.name, split] = (frame, scored)
    table, found = f1_table(rows, sets, splits, bar)
    shipped = [r for r in rows if r.startswith("shipped")]
    cuts = model_thresholds(f"shipped, {name}", sets, splits)
    sample = ms.load_split(
        next(s for s in ms.SETS if s.name == "covidemo_en"), "test", cap=args.cost_posts
    )
    texts = sample.get_column("text").to_list()
    costs = {model: cpu_ms(encoder, texts) for model, encoder in encoders.items()}
    dev_cap = "" if args.dev_cap is None else f" --dev-cap {args.dev_cap}"
    lines = [
        f"Command: `PYTHONPATH=$PWD nice .venv/bin/python benchmarks/zero_shot.py "
        f"--cap {args.cap}{dev_cap} --cost-posts {args.cost_posts} "
        f"--model <folder of {name}>{' --write-thresholds' if args.write_thresholds else ''}`",
        "",
        f"The scorings of `zero-shot` on {name}, each with its thresholds chosen again on its own "
        "pooled dev scores, beside the shipped scoring on the shipped all-MiniLM-L6-v2 "
        "(thresholds chosen the same way). Macro-F1 over each set's labels, dev / test; the "
        "last column is CovidEmo's four bar labels (anger, joy, sadness, and anticipation "
        "scored by the `hope` marker, its cut chosen on CovidEmo's dev split):",
        "",
        *table,
        "",
        *oracle_lines(found, shipped),
        "",
        *stress_lines(rows, splits),
        "",
        f"CPU time per post of each encoder (onnx-fp32, one core, {len(texts)} CovidEmo test "
        "posts, least of 3 runs, same process): "
        + ", ".join(f"{model} {ms_:.1f} ms" for model, ms_ in costs.items())
        + ".",
        "",
        f"Thresholds of the shipped scoring on {name} (FIT_RULES), weights digest {digest}:",
        "",
        "    " + ", ".join(f"{n} = {c:g}" for n, c in cuts.items()),
    ]
    body = "\n".join(lines)
    print(body)
    write_section(args.section, body)
    if args.write_thresholds:
        write_thresholds(digest, name, cuts)


def write_thresholds(digest: str, name: str, cuts: dict[str, float]) -> None:
    """Replace (or add) the English table of the model `digest` in MODEL_THRESHOLDS_FILE, with
    the score_basis of each shipped marker it lists (what its cut was chosen on: the product
    applies a cut only while the marker's basis is that one, transforms.zero_shot.
    model_threshold), keeping the header and the other models' tables."""
    path = MODEL_THRESHOLDS_FILE
    text = path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    with path.open("rb") as handle:
        tables = tomllib.load(handle).get("model", {})
    shipped = load_markers(names=list(cuts))
    basis = {n: score_basis(shipped[n], "en") for n in cuts}
    tables[digest] = {"name": name, "lang": {"en": cuts}, "basis": {"en": basis}}
    blocks = [
        f'[model.{key}]\nname = "{table["name"]}"\n\n'
        + "".join(
            f"[model.{key}.lang.{lang}]\n" + "".join(f"{n} = {c:g}\n" for n, c in marks.items())
            for lang, marks in sorted(table["lang"].items())
        )
        + "".join(
            f"\n[model.{key}.basis.{lang}]\n"
            + "".join(f'{n} = "{b}"\n' for n, b in chosen_for.items())
            for lang, chosen_for in sorted(table.get("basis", {}).items())
        )
        for key, table in sorted(tables.items())
    ]
    path.write_text(header + "\n" + "\n".join(blocks), encoding="utf-8")


if __name__ == "__main__":
    main()
