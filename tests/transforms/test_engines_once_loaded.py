"""`engine="auto"` takes the reference paths below COMPILED_FROM rows only while the process
has not loaded numba: a stream's chunks (at most ingest.stream.MESSAGES_PER_CHUNK messages,
after its lexicon `tag`, which always runs compiled, has loaded numba) took them for good, at
far more CPU a row than the compiled paths on long posts. Run in a fresh process: this one
has loaded numba already."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
import polars as pl
from transforms.engines import COMPILED_FROM, use_compiled
from transforms.timestamp_parsing import parse_timestamps

values = pl.Series(["1736122008", "2025-01-06 00:06:48"])
seen = [use_compiled("auto", COMPILED_FROM - 1)]
parse_timestamps(values, source_tz="UTC")
seen.append("transforms.timestamps" in sys.modules)
import numba  # as the lexicon tag of a stream's first chunk loads it
seen.append(use_compiled("auto", 2))
parse_timestamps(values, source_tz="UTC")
seen.append("transforms.timestamps" in sys.modules)
print(json.dumps(seen))
"""


def test_auto_takes_the_compiled_path_at_any_size_once_numba_is_loaded():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, False, True, True]
