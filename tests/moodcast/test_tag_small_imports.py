"""`moodcast tag` of a handful of posts, or of thousands of short ones, loads neither numba nor
scipy: below transforms.engines.COMPILED_FROM rows and COMPILED_FROM_BYTES of text every stage
with a compiled path (reading JSON Lines, timestamps, language identification, the lexicon
scanner, the n-gram head) takes its reference path, which gives the same output. It paid ~1 CPU
s for them on 20 posts; a fresh `tag` of 5,000 posts of 12 bytes took 1.40 CPU s by the
reference paths against 2.25 compiled (RESULTS.md `engine-threshold`), and from 1,000 rows, the
threshold until then, it loaded numba."""

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
SHORT_TEXTS = ("so tired", "cant sleep again", "feeling low today", "good morning all")


def _tagged(folder: Path, texts: tuple[str, ...], posts: int) -> tuple[list[str], pl.DataFrame]:
    """The modules of HEAVY that a fresh process running `moodcast tag` of `posts` posts (the
    `texts` in turn) under `folder` left loaded, and its output."""
    path = folder / "posts.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": 1736158502 + i, "text": texts[i % len(texts)]})
            + "\n"
            for i in range(posts)
        )
    )
    out = folder / "tagged.parquet"
    args = ["tag", str(path), "-o", str(out), "--data-dir", str(folder / "data")]
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
    return json.loads(done.stdout.strip().splitlines()[-1]), pl.read_parquet(out)


def test_tagging_a_handful_of_posts_loads_no_numba_or_scipy(tmp_path):
    loaded, tagged = _tagged(tmp_path, TEXTS, 12)
    assert loaded == []
    assert tagged["lang"].to_list()[:3] == ["en", "es", "en"]
    assert tagged["sadness"].to_list()[:3] == [True, True, False]
    risk = tagged["suicide_risk__score"].to_list()
    assert risk[0] > 0.5 > risk[2] > 0


def test_tagging_thousands_of_short_posts_loads_no_numba_or_scipy(tmp_path):
    loaded, tagged = _tagged(tmp_path, SHORT_TEXTS, 8_000)
    assert loaded == []
    assert tagged["id"].to_list() == [str(i) for i in range(8_000)]
