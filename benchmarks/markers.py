"""Every marker source against lexicon peers on real, human-labelled posts (held-out splits).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/markers.py [--cap 1500] [--train-cap 1000]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/markers.py --lexicon-only [--split dev]

For each set of /work/shared/datasets (benchmarks/marker_sets.py; `MOODCAST_DATASETS` moves it)
and each of its labels that is one of our markers, precision, recall and F1 on the set's test
split of:

- `lexicon`: the shipped terms alone (`--source lexicon`);
- `zero-shot`: the shipped prototypes and thresholds alone, without the shipped heads (English:
  the shipped model is English-only);
- `rule`: each marker's own rule (what `moodcast run` publishes), and the same sources under
  `either` and `both`;
- `ngram head` / `embedding head`: heads trained by `moodcast markers train` (moodcast.training)
  on the set's train split (covidemo: its dev split; embedding heads on at most `--train-cap`
  rows), judged on its test split;
- peers used the same way: VADER's compound valence (≤ -0.05 flags every negative marker,
  ≥ 0.05 every positive one), NRCLex (its word list over lower-cased word tokens) and Empath
  (its categories), each through a fixed category per marker (PEER_CATEGORIES).

Test splits above `--cap` rows are capped to a deterministic hash sample. Nothing is chosen on
test rows. Embeddings are cached under benchmarks/.data/embeddings (keyed by model and text).
Results go to benchmarks/RESULTS.md (`markers` section). Skips, saying so, when the datasets
are absent.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.results import table_head, table_row, write_section  # noqa: E402
from transforms.embedding import DEFAULT_MODEL, load_encoder, resolve_model_path  # noqa: E402
from transforms.markers import Marker, load_markers, score  # noqa: E402
from transforms.model_markers import ModelConfig, decide  # noqa: E402
from transforms.model_scoring import score_texts  # noqa: E402

CACHE = ROOT / "benchmarks" / ".data" / "embeddings"
POSITIVE = ("joy", "love", "hope", "calm")
PEER_CATEGORIES = {
    "nrclex": {
        "anger": "anger", "disgust": "disgust", "fear": "fear", "joy": "joy",
        "sadness": "sadness", "surprise": "surprise", "love": "joy", "hope": "anticipation",
        "stress": "negative", "anxiety": "fear", "depression": "sadness",
        "loneliness": "sadness", "suicide_risk": "negative", "substance_use": "negative",
    },
    "empath": {
        "anger": "anger", "disgust": "disgust", "fear": "fear", "joy": "joy",
        "sadness": "sadness", "surprise": "surprise", "love": "love", "hope": "optimism",
        "stress": "nervousness", "anxiety": "nervousness", "depression": "sadness",
        "loneliness": "sadness", "suicide_risk": "death", "substance_use": "alcohol",
    },
}  # fmt: skip
RISK_PRECISION = 0.9
RISK_MARKERS = ("suicide_risk", "self_harm")
RISK_SOURCES = ("lexicon", "zero-shot", "both", "either", "rule", "ngram head")
DEV_CAP = None
MAX_FLAG_RATIO = 2.0
CONFIG = ModelConfig(models={"en": DEFAULT_MODEL})
NO_MODEL = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})


class CachedEncoder:
    """The encoder of `model` (the shipped one unless told: a spec of
    transforms.embedding.resolve_model_path), remembering each text's embedding on disk: under
    CACHE for the shipped model, under a folder of CACHE named by the model's path otherwise."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self._model = model
        self._encoder = None
        self._cache = CACHE
        if model != DEFAULT_MODEL:
            where = str(resolve_model_path(model)).encode()
            self._cache = CACHE / f"model-{hashlib.sha256(where).hexdigest()[:12]}"
        self._cache.mkdir(parents=True, exist_ok=True)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._encoder is None:
            self._encoder = load_encoder(self._model, backend="onnx-fp32")
        return getattr(self._encoder, name)

    def encode(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:24]
        path = self._cache / f"{key}.npy"
        if not path.exists():
            np.save(path, self.__getattr__("encode")(texts))
        return np.load(path)


def prototypes_only(markers: Mapping[str, Marker]) -> dict[str, Marker]:
    """`markers` without their trained heads: their model source is the zero-shot one alone."""
    return {n: replace(m, heads={}) for n, m in markers.items()}


def model_scores(frame: pl.DataFrame, markers: Mapping[str, Marker], encoder) -> pl.DataFrame:
    """`lang, key, <marker>__model` for every row of `frame` (key = row number)."""
    scores = score_texts(
        frame.get_column("text").to_list(),
        lang=frame.get_column("lang")[0],
        markers=markers,
        encoder=encoder,
    )
    return pl.DataFrame(
        {
            "lang": frame.get_column("lang"),
            "key": pl.Series(np.arange(frame.height), dtype=pl.UInt64),
            **{f"{n}__model": pl.Series(v, dtype=pl.Float64) for n, v in scores.items()},
        }
    )


def decisions(
    frame: pl.DataFrame,
    lexicon: pl.DataFrame,
    model: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    source: str | None,
    rule: str | None = None,
) -> pl.DataFrame:
    """The product's decision (transforms.model_markers.decide) from precomputed sources."""
    chosen = {n: replace(m, rule=rule) if rule else m for n, m in markers.items()}
    posts = pl.concat(
        [
            frame.select(
                "lang",
                pl.Series("key", np.arange(frame.height), dtype=pl.UInt64),
                pl.lit(True).alias("in_sample"),
            ),
            lexicon,
        ],
        how="horizontal",
    )
    return decide(posts, model, markers=chosen, config=CONFIG, source=source)


def vader(frame: pl.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in frame["text"]])
    return {n: compound >= 0.05 if n in POSITIVE else compound <= -0.05 for n in names}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())


def nrclex(frame: pl.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    from nrclex import NRCLex

    found = []
    for text in frame["text"]:
        lexicon = NRCLex()
        lexicon.load_token_list(_tokens(text))
        found.append({a for a, n in lexicon.raw_emotion_scores.items() if n})
    categories = PEER_CATEGORIES["nrclex"]
    return {n: np.array([categories[n] in f for f in found]) for n in names if n in categories}


def empath(frame: pl.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    from empath import Empath

    lexicon = Empath()
    categories = PEER_CATEGORIES["empath"]
    wanted = sorted({categories[n] for n in names if n in categories})
    counts = [
        lexicon.analyze(" ".join(_tokens(t)), categories=wanted, normalize=False)
        for t in frame["text"]
    ]
    return {n: np.array([c[categories[n]] > 0 for c in counts]) for n in names if n in categories}


def prf(gold: np.ndarray, hit: np.ndarray) -> tuple[float, float, float]:
    tp = float((gold & hit).sum())
    precision = tp / hit.sum() if hit.sum() else 0.0
    recall = tp / gold.sum() if gold.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def heads(labelled: ms.LabelledSet, family: str, train_cap: int | None, encoder):
    """Markers with heads of `family` trained on the set's train split, or None."""
    train = ms.load_split(labelled, "train", cap=train_cap)
    names = [n for n in labelled.labels if train.get_column(n).sum() >= 2]
    labels = train.select("text", "lang", *[pl.col(n).cast(pl.Int8) for n in names])
    return trained_heads(labels, family, names, origin=f"{labelled.name} train", encoder=encoder)


def trained_heads(
    labels: pl.DataFrame, family: str, names: list[str], *, origin: str, encoder
) -> dict[str, Marker]:
    """The markers `names` with heads of `family` learnt from `labels` as `moodcast markers
    train` learns them (into a temporary marker directory)."""
    from moodcast.training import train_heads

    with tempfile.TemporaryDirectory() as out:
        train_heads(
            labels,
            markers=load_markers(),
            config=CONFIG,
            out_dir=Path(out),
            origin=origin,
            family=family,
            encoder=encoder,
        )
        return load_markers(Path(out), names=names)


def evaluate_set(labelled: ms.LabelledSet, args, encoder) -> dict[str, dict[str, tuple]]:
    """Source → marker → (precision, recall, F1, support) on the set's test split."""
    test = ms.load_split(labelled, "test", cap=args.cap)
    names = list(labelled.labels)
    markers = load_markers(names=names)
    lexicon = score(test, markers)
    hits: dict[str, Mapping[str, object]] = {
        "lexicon": decisions(test, lexicon, NO_MODEL, markers, source="lexicon")
    }
    if labelled.lang in CONFIG.models:
        prototypes = prototypes_only(markers)
        zero_shot = model_scores(test, prototypes, encoder)
        hits["zero-shot"] = decisions(test, lexicon, zero_shot, prototypes, source="model")
        model = model_scores(test, markers, encoder)
        hits["rule"] = decisions(test, lexicon, model, markers, source=None)
        hits["either"] = decisions(test, lexicon, model, markers, source=None, rule="either")
        hits["both"] = decisions(test, lexicon, model, markers, source=None, rule="both")
    else:
        model = model_scores(test, markers, None)
        hits["rule"] = decisions(test, lexicon, model, markers, source=None)
    families = ["ngram", "embedding"] if labelled.lang in CONFIG.models else ["ngram"]
    for family in families:
        cap = args.train_cap if family == "embedding" else None
        trained = heads(labelled, family, cap, encoder)
        model = model_scores(test, trained, encoder)
        hits[f"{family} head"] = decisions(test, lexicon, model, trained, source="model")
    for peer, run in (("VADER", vader), ("NRCLex", nrclex), ("Empath", empath)):
        hits[peer] = run(test, names)
    return judge(labelled, test, hits)


def related_lines(labelled: ms.LabelledSet, encoder) -> list[str]:
    """For each `related` column of the set (a construct near some markers, not their label):
    the share of its positives and of its negatives (test split) that each related marker's
    lexicon, zero-shot source and rule flag. Reported beside the table, never as F1."""
    if not labelled.related:
        return []
    test = ms.load_split(labelled, "test")
    lines = [
        "",
        f"### {labelled.name}: related constructs, share flagged among its positives / "
        "negatives (test split; not labels of these markers)",
        "",
        "| column | positives | marker | lexicon | zero-shot | rule |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for column, names in labelled.related.items():
        markers = load_markers(names=list(names))
        prototypes = prototypes_only(markers)
        lexicon = score(test, markers)
        found = {
            "lexicon": decisions(test, lexicon, NO_MODEL, markers, source="lexicon"),
            "zero-shot": decisions(
                test, lexicon, model_scores(test, prototypes, encoder), prototypes, source="model"
            ),
            "rule": decisions(
                test, lexicon, model_scores(test, markers, encoder), markers, source=None
            ),
        }
        gold = test.get_column(column).to_numpy()
        for name in names:
            cells = []
            for hits in found.values():
                hit = hits.get_column(name).fill_null(False).to_numpy()
                cells.append(f"{hit[gold].mean():.2f} / {hit[~gold].mean():.2f}")
            lines.append(f"| {column} | {int(gold.sum())} | {name} | " + " | ".join(cells) + " |")
    return lines


def evaluate_lexicon(labelled: ms.LabelledSet, args, encoder) -> dict[str, dict[str, tuple]]:
    """`evaluate_set` for the lexicon source and its fast peers only (`--lexicon-only`), on
    `--split` (dev: the split lexicon terms are chosen on, for the recall floor)."""
    test = ms.load_split(labelled, args.split, cap=args.cap)
    names = list(labelled.labels)
    markers = load_markers(names=names)
    lexicon = score(test, markers)
    hits = {"lexicon": decisions(test, lexicon, NO_MODEL, markers, source="lexicon")}
    for peer, run in (("VADER", vader), ("NRCLex", nrclex)):
        hits[peer] = run(test, names)
    return judge(labelled, test, hits)


def judge(
    labelled: ms.LabelledSet, test: pl.DataFrame, hits: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[str, tuple]]:
    """Source → marker → (precision, recall, F1, support, false-positive rate) of `hits`."""
    names = list(labelled.labels)
    results: dict[str, dict[str, tuple]] = {}
    for source, found in hits.items():
        for name in names:
            if name not in found:
                continue
            column = pl.Series(found[name]).cast(pl.Boolean)
            keep = ms.judged(labelled, test, name) & column.is_not_null()
            gold = test.get_column(name).filter(keep).to_numpy()
            hit = column.filter(keep).to_numpy().astype(bool)
            false_positive_rate = float(hit[~gold].mean()) if (~gold).any() else 0.0
            results.setdefault(source, {})[name] = (
                *prf(gold, hit),
                int(gold.sum()),
                false_positive_rate,
            )
    return results


def capped_best(values: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """The F1-optimal cut among those flagging at most MAX_FLAG_RATIO × the true share of
    rows (a cut that flags most posts is no marker), its F1 and the share it flags."""
    limit = MAX_FLAG_RATIO * gold.mean()
    cuts = [c for c in np.unique(np.round(values, 2)) if (values >= c).mean() <= limit]
    best = max(cuts, key=lambda c: prf(gold, values >= c)[2])
    return float(best), prf(gold, values >= best)[2], float((values >= best).mean())


def choose_thresholds(encoder) -> list[str]:
    """Zero-shot thresholds (of the prototypes: shipped heads left out, they have their own)
    chosen on dev splits of the English sets we may derive from
    (ms.SHIPPABLE; never test rows), pooling the sets that label a marker: the F1-optimal cut
    among those flagging at most MAX_FLAG_RATIO × its true share and, for risk markers, the
    lowest cut whose dev precision reaches RISK_PRECISION."""
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for labelled in ms.SETS:
        if labelled.lang not in CONFIG.models or labelled.name not in ms.SHIPPABLE:
            continue
        dev = ms.load_split(labelled, "dev", cap=DEV_CAP)
        markers = load_markers(names=list(labelled.labels))
        prototypes = prototypes_only(markers)
        scores = model_scores(dev, prototypes, encoder)
        for name in labelled.labels:
            keep = ms.judged(labelled, dev, name).to_numpy()
            values = scores.get_column(f"{name}__model").to_numpy()[keep]
            pooled.setdefault(name, []).append((values, dev.get_column(name).to_numpy()[keep]))
    lines = [
        "| marker | dev rows | threshold | dev F1 | flagged | high-precision threshold |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, parts in pooled.items():
        values = np.concatenate([v for v, _ in parts])
        gold = np.concatenate([g for _, g in parts])
        cut, f1, flagged = capped_best(values, gold)
        precise = next(
            (
                c
                for c in np.unique(np.round(values, 2))
                if prf(gold, values >= c)[0] >= RISK_PRECISION
            ),
            None,
        )
        lines.append(f"| {name} | {len(gold)} | {cut:g} | {f1:.3f} | {flagged:.2f} | {precise} |")
    return lines


def risk_lines(all_results: dict[str, dict]) -> list[str]:
    """Recall on the risk positives and the false-positive rate on the rest (the controls),
    per source, for every set with a RISK_MARKERS label."""
    lines = [
        "",
        "### Risk markers: recall on positives / false-positive rate on negatives (test split)",
        "",
        *table_head(["set", "marker"], RISK_SOURCES),
    ]
    for name, results in all_results.items():
        for marker in RISK_MARKERS:
            cells = [
                f"{results[s][marker][1]:.2f} / {results[s][marker][4]:.3f}"
                if marker in results.get(s, {})
                else "—"
                for s in RISK_SOURCES
            ]
            if any(c != "—" for c in cells):
                lines.append(table_row([name, marker, *cells]))
    return lines


def render(all_results: dict[str, dict], sizes: dict[str, int], extra: list[str] = ()) -> str:
    sources = list(dict.fromkeys(s for r in all_results.values() for s in r))
    lines = [
        "Macro-F1 over the set's labels that each source covers (test split; `—`: no source "
        "in that language):",
        "",
        *table_head(["set"], ["rows", *sources]),
    ]
    for name, results in all_results.items():
        cells = []
        for source in sources:
            f1s = [v[2] for v in results.get(source, {}).values()]
            cells.append(f"{np.mean(f1s):.3f}" if f1s else "—")
        lines.append(table_row([name, str(sizes[name]), *cells]))
    for name, results in all_results.items():
        lines += ["", f"### {name}: F1 (precision/recall)", ""]
        lines += table_head(["marker"], ["support", *results])
        markers = list(dict.fromkeys(m for r in results.values() for m in r))
        labelled = next((s for s in ms.SETS if s.name == name), None)
        for marker in markers:
            support = next(r[marker][3] for r in results.values() if marker in r)
            column = labelled.column(marker) if labelled else marker
            label = marker if column == marker else f"{marker} ← {column} (proxy)"
            cells = [
                f"{r[marker][2]:.2f} ({r[marker][0]:.2f}/{r[marker][1]:.2f})"
                if marker in r
                else "—"
                for r in results.values()
            ]
            lines.append(table_row([label, str(support), *cells]))
    return "\n".join([*lines, *risk_lines(all_results), *extra])


def main(argv: list[str] | None = None, runner: Callable = evaluate_set) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=1500, help="Rows per test split at most.")
    parser.add_argument("--train-cap", type=int, default=1000, help="Embedding-head train rows.")
    parser.add_argument("--sets", help="Comma-separated set names (default: all).")
    parser.add_argument(
        "--lexicon-only",
        action="store_true",
        help="Only the lexicon, VADER and NRCLex (section markers-lexicon).",
    )
    parser.add_argument(
        "--split", choices=("dev", "test"), default="test",
        help="With --lexicon-only: the split to judge (dev is printed, never written).",
    )  # fmt: skip
    parser.add_argument(
        "--choose-thresholds", action="store_true",
        help="Print zero-shot thresholds chosen on the dev splits instead.",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if ms.skipped():
        return
    if args.choose_thresholds:
        print("\n".join(choose_thresholds(CachedEncoder())))
        return
    wanted = set(args.sets.split(",")) if args.sets else None
    encoder = CachedEncoder()
    all_results, sizes, related = {}, {}, []
    for labelled in ms.SETS:
        if wanted and labelled.name not in wanted:
            continue
        print(f"{labelled.name} …", flush=True)
        run = evaluate_lexicon if args.lexicon_only else runner
        all_results[labelled.name] = run(labelled, args, encoder)
        split = args.split if args.lexicon_only else "test"
        sizes[labelled.name] = ms.load_split(labelled, split, cap=args.cap).height
        if not args.lexicon_only and labelled.lang in CONFIG.models:
            related += related_lines(labelled, encoder)
    body = render(all_results, sizes, related)
    print(body)
    if wanted is None and args.lexicon_only and args.split == "test":
        command = "PYTHONPATH=$PWD .venv/bin/python benchmarks/markers.py --lexicon-only"
        write_section(
            "markers-lexicon",
            f"The lexicon source beside VADER and NRCLex, as in `markers` (same splits, test "
            f"caps {args.cap}, peers used the same way): `{command}`.\n\n{body}",
        )
    elif wanted is None and not args.lexicon_only:
        intro = "\n\n".join(p.strip() for p in __doc__.split("\n\n")[:2])
        write_section("markers", f"{intro}\n\nTest splits capped at {args.cap} rows.\n\n{body}")


if __name__ == "__main__":
    main()
