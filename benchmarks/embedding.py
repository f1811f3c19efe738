"""Posts per second of our model tagging against plain `SentenceTransformer.encode`, and the
agreement of its decisions with the fp32 reference.

    .venv/bin/python benchmarks/embedding.py [--posts 20000] [--agreement-posts 2000]

All sides see the same first `--posts` posts of the sample corpus as generated (`moodcast
sample` defaults, no malformed lines; English and Spanish, duplicates included as the sample has
them; a missing `lang` is detected before timing). The peer is plain
`SentenceTransformer(path, device="cpu").encode` (fp32, batch 64, normalised) of every post.
Ours is the product's model tagging, `transforms.model_markers.classify(..., source="model")`
with every shipped marker and the default configuration: each distinct text embedded once (the
default model is English-only, so Spanish posts get no model decision and are not embedded),
the 18 model sources scored, decisions made; the ONNX export is made before timing (its time is
reported). The comparison is repeated on the posts with duplicates removed and on the English
posts alone. Agreement: Cohen's kappa, per marker, between each backend's decisions and the
decisions of the same thresholds on the peer's fp32 embeddings (English posts); and the cosine
between the embeddings. Each timing comes with the 1-minute load average around it. Results go
to benchmarks/RESULTS.md (`embedding` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from moodcast.sample import generate_sample  # noqa: E402
from moodcast.tagging import with_languages  # noqa: E402
from transforms.embedding import (  # noqa: E402
    DEFAULT_MODEL,
    TORCH_BATCH_SIZE,
    available_cores,
    load_encoder,
    resolve_model_path,
)
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import ModelConfig, classify, threshold  # noqa: E402
from transforms.model_scoring import model_text, score_embeddings  # noqa: E402


def corpus(posts: int) -> pl.DataFrame:
    """The first `posts` posts of a default sample corpus (`text`, `lang` as a primary subtag)."""
    out = ROOT / "benchmarks" / ".data" / f"embedding-{posts}"
    if not (out / "posts.jsonl").exists():
        generate_sample(out, posts=posts, malformed_share=0.0)
    frame = pl.read_ndjson(out / "posts.jsonl", schema={"text": pl.String, "lang": pl.String})
    return with_languages(frame.head(posts), text="text")


def plain(model, texts: list[str]) -> np.ndarray:
    return model.encode(
        texts, batch_size=TORCH_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
    )


def reference_decisions(embeddings: np.ndarray, markers, encoder) -> dict[str, np.ndarray]:
    """Each marker's zero-shot decision from the peer's fp32 embeddings, at the shipped
    thresholds (a marker with no zero-shot source in English has none)."""
    scores = score_embeddings(embeddings, lang="en", markers=markers, encoder=encoder)
    return {name: values >= threshold(markers[name], "en") for name, values in scores.items()}


BACKENDS = ("onnx-fp32", "onnx-int8")
"""Ours: the backend whose decisions agree with fp32 first, then int8 for comparison."""


def _kappa(reference: np.ndarray, ours: np.ndarray) -> float:
    """Cohen's kappa; NaN when both sides give one same answer throughout."""
    from sklearn.metrics import cohen_kappa_score

    if len(np.unique(np.concatenate([reference, ours]))) == 1:
        return float("nan")
    return float(cohen_kappa_score(reference, ours))


def timed(fn, *args) -> dict:
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"result": result, "s": wall, "cpu_s": cpu, "load": (load_before, os.getloadavg()[0])}


def cosines(ours: np.ndarray, peer: np.ndarray) -> np.ndarray:
    return (ours * peer).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--agreement-posts", type=int, default=2_000)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    frame = corpus(args.posts)
    subsets = {
        "as generated": frame,
        "deduplicated": frame.unique("text", keep="first", maintain_order=True),
        "English only": frame.filter(pl.col("lang") == "en"),
    }
    texts = {
        name: part.select(model_text(pl.col("text"))).to_series().to_list()
        for name, part in subsets.items()
    }
    markers = load_markers()
    torch.set_num_threads(available_cores())
    peer = SentenceTransformer(str(resolve_model_path(DEFAULT_MODEL)), device="cpu")
    torch_encoder = load_encoder(DEFAULT_MODEL)
    cache_dir = Path(tempfile.mkdtemp(prefix="moodcast-onnx-"))
    configs, export_s = exported(frame, markers, cache_dir)
    plain(peer, texts["as generated"][:64])
    runs = timed_runs(subsets, texts, peer, markers, configs)
    lines = [
        f"`.venv/bin/python benchmarks/embedding.py --posts {args.posts} --agreement-posts "
        f"{args.agreement_posts}` on {available_cores()} cores, Python "
        f"{platform.python_version()}, torch {torch.__version__}, {date.today().isoformat()}; "
        f"all-MiniLM-L6-v2 (the default model), {len(markers)} markers. Sample posts: "
        + ", ".join(f"{name} {part.height:,}" for name, part in subsets.items())
        + ".",
        "",
        "| posts | tagger | n | s | posts/s | ÷ plain | CPU s | load avg (1 min) before → after |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    plain_s = {subset: run["s"] for subset, name, run in runs if name.startswith("plain")}
    for subset, name, run in runs:
        n = subsets[subset].height
        lines.append(
            f"| {subset} | {name} | {n:,} | {run['s']:.1f} | {n / run['s']:,.0f} | "
            f"{plain_s[subset] / run['s']:.1f}× | {run['cpu_s']:.1f} | "
            f"{run['load'][0]:.1f} → {run['load'][1]:.1f} |"
        )
    results = {(subset, name): run["result"] for subset, name, run in runs}
    peer_rows = results[("English only", "plain `SentenceTransformer.encode` (fp32)")]
    reference = reference_decisions(peer_rows, markers, torch_encoder)
    kappas = agreement(reference, results, frame)
    ratio = {
        subset: plain_s[subset] / run["s"]
        for subset, name, run in runs
        if name == f"ours: model tagging, {BACKENDS[0]}"
    }
    worst = min(k for k in kappas[BACKENDS[0]].values() if k == k)
    lines += [
        "",
        f"**Ours ({BACKENDS[0]}) ÷ plain, posts per second: {ratio['as generated']:.1f}× on the "
        f"sample as generated** (target ≥ 3×), **{ratio['deduplicated']:.1f}× with duplicates "
        f"removed** (target ≥ 2×), {ratio['English only']:.1f}× on its English posts alone; "
        f"lowest per-marker Cohen's κ against the fp32 reference **{worst:.3f}** (target ≥ 0.95).",
        "Export before first use (into a cache directory, once per model and versions): "
        + ", ".join(f"{b} {export_s[b]:.1f} s" for b in BACKENDS)
        + ".",
        "",
        *kappa_lines(reference, kappas, markers),
        "",
        *cosine_lines(texts["English only"][: args.agreement_posts], peer_rows, cache_dir),
    ]
    shutil.rmtree(cache_dir)
    write_section("embedding", "\n".join(lines))
    print("\n".join(lines))


def exported(frame: pl.DataFrame, markers, cache_dir: Path) -> tuple[dict, dict]:
    """Each backend of BACKENDS exported into `cache_dir` and warmed on 64 posts: its
    ModelConfig and the seconds its export took."""
    configs, export_s = {}, {}
    for backend in BACKENDS:
        start = time.perf_counter()
        load_encoder(DEFAULT_MODEL, backend=backend, cache_dir=cache_dir)
        export_s[backend] = time.perf_counter() - start
        configs[backend] = ModelConfig(backend=backend, cache_dir=cache_dir)
        classify(frame.head(64), markers, config=configs[backend], source="model")
    return configs, export_s


def timed_runs(subsets: dict, texts: dict, peer, markers, configs: dict) -> list[tuple]:
    """(subset, tagger, `timed` result) of the peer and of ours on each subset: both backends
    on the sample as generated, the first elsewhere."""

    def tag(backend, posts):
        return classify(posts, markers, config=configs[backend], source="model")

    runs = []
    for subset, posts in subsets.items():
        runs.append(
            (subset, "plain `SentenceTransformer.encode` (fp32)", timed(plain, peer, texts[subset]))
        )
        for backend in BACKENDS if subset == "as generated" else BACKENDS[:1]:
            runs.append((subset, f"ours: model tagging, {backend}", timed(tag, backend, posts)))
    return runs


def agreement(reference: dict, results: dict, frame: pl.DataFrame) -> dict:
    """Backend → marker of `reference` → Cohen's kappa of its decisions on the English posts of
    the sample as generated against `reference`."""
    english = (frame["lang"] == "en").to_numpy()
    kappas = {}
    for backend in BACKENDS:
        ours = results[("as generated", f"ours: model tagging, {backend}")].filter(english)
        kappas[backend] = {
            name: _kappa(reference[name], ours[name].to_numpy()) for name in reference
        }
    return kappas


def kappa_lines(reference: dict, kappas: dict, markers) -> list[str]:
    """The per-marker table of the reference's share and each backend's kappa."""
    lines = [
        "Decisions on the English posts against the fp32 reference (the shipped thresholds on "
        "the peer's embeddings), per marker: share of posts the reference marks, and Cohen's κ "
        "of each backend (n/a: neither side marks any post). Left out, having no zero-shot "
        "source in English (a trained head decides there, or no model): "
        + (", ".join(name for name in markers if name not in reference) or "none")
        + ".",
        "",
        "| marker | reference share | " + " | ".join(f"κ {b}" for b in BACKENDS) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in BACKENDS) + " |",
    ]
    for name in reference:
        cells = " | ".join(
            "n/a" if kappas[b][name] != kappas[b][name] else f"{kappas[b][name]:.3f}"
            for b in BACKENDS
        )
        lines.append(f"| {name} | {reference[name].mean():.4f} | {cells} |")
    return lines


def cosine_lines(sample: list[str], peer_rows: np.ndarray, cache_dir: Path) -> list[str]:
    """The table of each backend's cosine to the peer's embeddings of `sample`."""
    lines = [
        f"Embeddings against the peer's (cosine per post, first {len(sample):,} English posts):",
        "",
        "| backend | mean | 1st percentile | min |",
        "| --- | ---: | ---: | ---: |",
    ]
    for backend in BACKENDS:
        ours = load_encoder(DEFAULT_MODEL, backend=backend, cache_dir=cache_dir).encode(sample)
        cosine = cosines(ours, peer_rows[: len(sample)])
        lines.append(
            f"| {backend} | {cosine.mean():.4f} | {np.percentile(cosine, 1):.4f} | "
            f"{cosine.min():.4f} |"
        )
    return lines


if __name__ == "__main__":
    main()
