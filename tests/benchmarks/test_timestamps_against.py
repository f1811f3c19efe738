"""benchmarks/timestamps.py `--against DIR`: the earlier side runs the earlier tree's code. A tree
from before `parse_timestamps` moved from transforms.records to transforms.timestamp_parsing
lacks the new module; an editable install finds it in the installed checkout instead, so the
earlier side measured (and compared value for value) this code's parser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
MOVED = "from transforms.timestamp_parsing import"


def _tree_before_the_move(tree: Path) -> Path:
    """This checkout's transforms and ingest laid out as before the move: transforms/records.py
    holds timestamp_parsing.py's definitions, and every import of them names records."""
    for package in ("transforms", "ingest"):
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    moved = tree / "transforms" / "timestamp_parsing.py"
    body = moved.read_text().replace("from __future__ import annotations\n", "")
    moved.unlink()
    records = tree / "transforms" / "records.py"
    kept = [line for line in records.read_text().splitlines(keepends=True) if MOVED not in line]
    records.write_text("".join(kept) + body)
    for module in tree.rglob("*.py"):
        module.write_text(module.read_text().replace(MOVED, "from transforms.records import"))
    return tree


def test_the_earlier_side_runs_only_its_own_trees_code(tmp_path):
    tree = _tree_before_the_move(tmp_path / "before")
    values = tmp_path / "values.parquet"
    pl.DataFrame(
        {"form": ["epoch s", "ISO"], "value": ["1736122008", "2025-01-06 00:06:48"]}
    ).write_parquet(values)
    corpus = tmp_path / "posts.jsonl"
    post = {"id": "1", "author_id": "a", "text": "hi", "created_at": "2025-01-06T00:06:48Z"}
    corpus.write_text(json.dumps(post) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    probe = (
        "import sys; from pathlib import Path; sys.argv[1:] = []; "
        "from benchmarks.timestamps import worker; "
        f"worker(Path({str(tree)!r}), Path({str(values)!r}), Path({str(corpus)!r}), 1, "
        f"Path({str(out)!r})); "
        "print('\\n'.join(f'{n} {getattr(m, \"__file__\", None)}' for n, m in sys.modules.items() "
        "if n.split('.')[0] in ('transforms', 'ingest')))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    loaded = dict(line.split(" ", 1) for line in ran.stdout.splitlines())
    outside = {
        name: file
        for name, file in loaded.items()
        if file != "None" and not Path(file).resolve().is_relative_to(tree.resolve())
    }
    assert "transforms.records" in loaded and not outside
    parsed = pl.read_parquet(out / "parsed.parquet")
    assert parsed["micros"].to_list() == [1736122008_000000, 1736122008_000000]
