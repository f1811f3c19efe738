"""`moodcast tag` of a handful of posts loads neither numba nor scipy: below
transforms.engines.COMPILED_FROM rows every stage with a compiled path (reading JSON Lines,
timestamps, language identification, the lexicon scanner, the n-gram head) takes its reference
path, which gives the same output. It paid ~1 CPU s for them on 20 posts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numba", "scipy", "scipy.sparse", "sklearn")
TEXTS = (
    "I feel so sad and lonely today, I want to die",
    "Hoy estoy muy triste y no puedo dormir",
    "A lovely sunny morning in the park with friends",
)


def test_tagging_a_handful_of_posts_loads_no_numba_or_scipy(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": 1736158502 + i, "text": TEXTS[i % 3]}) + "\n"
            for i in range(12)
        )
    )
    out = tmp_path / "tagged.parquet"
    args = ["tag", str(posts), "-o", str(out), "--data-dir", str(tmp_path / "data")]
    script = (
        "import json, sys\n"
        "from moodcast.cli import cli\n"
        f"try:\n    cli({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    tagged = pl.read_parquet(out)
    assert tagged["lang"].to_list()[:3] == ["en", "es", "en"]
    assert tagged["sadness"].to_list()[:3] == [True, True, False]
    risk = tagged["suicide_risk__score"].to_list()
    assert risk[0] > 0.5 > risk[2] > 0
