"""The two paths of a function with a compiled fast path (numba kernels) and the reference path
it is tested against (polars, orjson or py3langid), both giving the same results, and how
`engine="auto"` chooses between them by the size of the input: its rows and, for the stages that
walk text, its bytes of text.

Importing numba and loading a module's cached kernels costs about a CPU second on the first call
of a process, more than the reference paths take for COMPILED_FROM short rows or
COMPILED_FROM_BYTES of text, so `moodcast tag` of a handful of posts never loads numba. The
reference paths' cost grows with the text (py3langid's walk, the n-gram head's character n-grams
hashed in Python), so a few hundred long posts take the compiled paths (benchmarks/startup.py
times a `tag` of 999 long posts). Once a process has loaded numba, that cost is paid and `auto`
takes the compiled paths at any size: a stream's chunks (at most
ingest.stream.MESSAGES_PER_CHUNK messages) never reach COMPILED_FROM. docs/markers.md lists the
functions with the two paths.
"""

from __future__ import annotations

import sys
from typing import Literal

Engine = Literal["auto", "compiled", "reference"]

ENGINES = ("auto", "compiled", "reference")
"""The settings of `engine`: "auto" (the compiled path from COMPILED_FROM rows, from
COMPILED_FROM_BYTES of text, or once the process has loaded numba, else the reference path), or
either path whatever the size."""

COMPILED_FROM = 1_000
"""Rows (lines, values, texts, posts) from which `engine="auto"` takes the compiled path: the
reference paths cost tens of µs a row on short posts (benchmarks/startup.py measures `moodcast
tag` of 20 posts with and without them)."""

COMPILED_FROM_BYTES = 200_000
"""Bytes of text (UTF-8) from which `engine="auto"` takes the compiled path of a stage that
walks text (language identification, the lexicon scanner, the n-gram head), at any number of
rows: about where loading numba costs what the reference paths take (benchmarks/startup.py
times `moodcast tag` of LONG_POSTS long posts)."""


def use_compiled(engine: str, rows: int, *, text_bytes: int = 0) -> bool:
    """Whether `engine` takes the compiled path for an input of `rows` rows holding
    `text_bytes` bytes of text (for "auto", also whether this process has imported numba).
    Raises ValueError for an `engine` not in ENGINES, naming them."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine == "compiled" or (
        engine == "auto"
        and (rows >= COMPILED_FROM or text_bytes >= COMPILED_FROM_BYTES or "numba" in sys.modules)
    )
