"""The two paths of a function with a compiled fast path (numba kernels) and the reference path
it is tested against (polars, orjson or py3langid), both giving the same results, and how
`engine="auto"` chooses between them by the size of the input.

Importing numba and loading a module's cached kernels costs about a CPU second on the first
call of a process, more than the reference paths take for COMPILED_FROM rows, so `moodcast
tag` of a handful of posts never loads numba. Once a process has loaded it, that cost is paid
and `auto` takes the compiled paths at any size: a stream's chunks (at most
ingest.stream.MESSAGES_PER_CHUNK messages) never reach COMPILED_FROM, and the reference paths
cost far more a row on long texts (py3langid's walk, the n-gram head's character n-grams
hashed in Python). docs/markers.md lists the functions with the two paths.
"""

from __future__ import annotations

import sys
from typing import Literal

Engine = Literal["auto", "compiled", "reference"]

ENGINES = ("auto", "compiled", "reference")
"""The settings of `engine`: "auto" (the compiled path from COMPILED_FROM rows or once the
process has loaded numba, else the reference path), or either path whatever the size."""

COMPILED_FROM = 1_000
"""Rows (lines, values, texts, posts) from which `engine="auto"` takes the compiled path: the
reference paths cost tens of µs a row on short posts (benchmarks/startup.py measures `moodcast
tag` of 20 posts with and without them)."""


def use_compiled(engine: str, rows: int) -> bool:
    """Whether `engine` takes the compiled path for an input of `rows` rows (for "auto", also
    whether this process has imported numba). Raises ValueError for an `engine` not in ENGINES,
    naming them."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine == "compiled" or (
        engine == "auto" and (rows >= COMPILED_FROM or "numba" in sys.modules)
    )
