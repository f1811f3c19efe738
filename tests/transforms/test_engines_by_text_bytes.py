"""`engine="auto"` weighs the text a stage walks, not only its rows: below COMPILED_FROM posts,
COMPILED_FROM_BYTES of text take the compiled paths of language identification, the lexicon
scanner and the n-gram head (999 Reddit-length posts with an `ngram-v1` head took 5.7 CPU s by
the reference path against 0.64 compiled), while as many short posts still take the reference
paths. Each case runs in a fresh process: this one may have loaded numba already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from transforms.engines import COMPILED_FROM, COMPILED_FROM_BYTES

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "I have not slept properly for weeks and everything at work feels too heavy to carry. "
SHORT = "so tired"
STAGES = {
    "language identification": (
        "from transforms.langid import identify_scored\nidentify_scored(texts)",
        "transforms.langid_walk",
    ),
    "lexicon scanner": (
        "import polars as pl\n"
        "from transforms.markers import load_markers, score\n"
        "score(pl.DataFrame({'text': texts, 'lang': ['en'] * len(texts)}), load_markers())",
        "transforms.markers.engine",
    ),
    "n-gram head": (
        "from transforms.ngram import NgramWeights, ngram_head_logits\n"
        "ngram_head_logits(texts, {'h': NgramWeights('ngram-v1', (1, 5), (0.5, -0.25))})",
        "transforms.ngram_hashing",
    ),
}


def _compiled_module_loaded(
    stage: str, *, posts: int, repeats: int, sentence: str = SENTENCE
) -> bool:
    """Whether a fresh process running `stage` with engine="auto" on `posts` texts, each its
    number and `sentence` `repeats` times, loaded its compiled module."""
    code, module = STAGES[stage]
    script = (
        f"import sys\ntexts = [f'{{i}} ' + {sentence!r} * {repeats} for i in range({posts})]\n"
        f"{code}\nprint(json.dumps({module!r} in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_fewer_than_compiled_from_long_posts_take_the_compiled_path(stage):
    posts = COMPILED_FROM - 1
    repeats = COMPILED_FROM_BYTES // (posts * len(SENTENCE)) + 1
    assert _compiled_module_loaded(stage, posts=posts, repeats=repeats)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_as_many_short_posts_take_the_reference_path(stage):
    posts = COMPILED_FROM - 1
    assert posts * (len(SHORT) + 6) < COMPILED_FROM_BYTES
    assert not _compiled_module_loaded(stage, posts=posts, repeats=1, sentence=SHORT)
