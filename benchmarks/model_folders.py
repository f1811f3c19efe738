"""What a head's own model folder costs a Beam worker: the digest check against loading the
model, and the size of the job a worker receives against the size of the model.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/model_folders.py [--repeats 5] [--write]

- `check`: CPU seconds of transforms.model_folders.folder_digest (what check_model_folder
  computes, once per process) beside CPU seconds of loading the same model, best of
  `--repeats`, for the product's distilled static model (benchmarks/.data/static-cache, made
  by benchmarks/static_family.py; 15 MB) and for the shipped sentence model (all-MiniLM-L6-v2,
  the size of a `finetune` head's fine-tuned model);
- `job`: the bytes of the pickled PrepareChunkFn (Beam's pickler) of the default markers, what
  every worker receives today, beside the bytes of those two model folders.

Results go to benchmarks/RESULTS.md (`model-folders`) with `--write`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cpu import least_cpu_s  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.embedding import resolve_model_path  # noqa: E402
from transforms.model_folders import folder_digest  # noqa: E402

STATIC_CACHE = ROOT / "benchmarks" / ".data" / "static-cache"


def folder_mb(folder: Path) -> float:
    """Megabytes of the files under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def job_bytes() -> int:
    """Bytes of the pickled PrepareChunkFn of a job with the default markers."""
    from apache_beam.internal import pickler

    from ingest.chunks import PrepareChunkFn
    from ingest.job import IngestJob
    from transforms.markers import load_markers
    from transforms.posts import PostOptions

    job = IngestJob(inputs=["posts.jsonl"], landing_dir="landing", markers=load_markers(),
                    key=b"k" * 32, run_id="r", options=PostOptions())  # fmt: skip
    return len(pickler.dumps(PrepareChunkFn(job)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    static = sorted(STATIC_CACHE.glob("model-static-*"))
    if not static:
        sys.exit(f"no distilled static model in {STATIC_CACHE}: run benchmarks/static_family.py")
    minilm = resolve_model_path("default")
    models = {
        f"static model ({static[0].name})": (static[0], lambda p: StaticModel.from_pretrained(p)),
        "all-MiniLM-L6-v2 (finetune size)": (
            minilm,
            lambda p: SentenceTransformer(str(p), device="cpu", local_files_only=True),
        ),
    }
    lines = ["| model folder | MB | digest CPU s | load CPU s | digest / load |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, (folder, load) in models.items():
        digest_s = least_cpu_s(lambda f=folder: folder_digest(f), repeats=args.repeats)
        load_s = least_cpu_s(lambda f=folder, lo=load: lo(f), repeats=args.repeats)
        lines.append(
            f"| {name} | {folder_mb(folder):.1f} | {digest_s:.3f} | {load_s:.3f} | "
            f"{digest_s / load_s:.2f} |"
        )
    pickled = job_bytes()
    lines += [
        "",
        f"Pickled PrepareChunkFn of the default markers (what each worker receives): "
        f"{pickled / 1e6:.2f} MB.",
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f}. Command: "
        f"`PYTHONPATH=$PWD .venv/bin/python benchmarks/model_folders.py --repeats {args.repeats}"
        " --write`",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("model-folders", body)


if __name__ == "__main__":
    main()
