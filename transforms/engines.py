"""The two paths of a function with a compiled fast path (numba kernels) and the reference path
it is tested against (polars, orjson or py3langid), both giving the same results, and how
`engine="auto"` chooses between them by the size of the input: its rows and, for the stages that
walk text, its bytes of text.

Importing numba and loading a module's cached kernels costs about a CPU second on the first call
of a process, more than the reference paths take for COMPILED_FROM tiny rows or
COMPILED_FROM_BYTES of text, so a `moodcast tag` below both (thousands of posts of a few words,
about 3,000 tweet-length or 500 Reddit-length ones) never loads numba
(benchmarks/engine_threshold.py times a fresh `tag` of tiny, typical and long posts both ways).
The reference paths' cost grows with the text (py3langid's walk, the n-gram head's character
n-grams hashed in Python), so for the stages that walk it the bytes decide first: a few hundred
long posts take the compiled paths. Once a process has loaded numba, that cost is paid and `auto`
takes the compiled paths at any size: a stream's chunks (at most
ingest.stream.MESSAGES_PER_CHUNK messages) never reach COMPILED_FROM, and `moodcast run` and
`demo` load numba with their imports (statsforecast's utilsforecast), so their Beam job takes
the compiled paths from its first chunk. A Beam worker of its own process takes the reference
paths only on a first chunk below COMPILED_FROM rows (ingest.files.CHUNK_RECORDS, 50,000, for a
big input's chunks) and, in the stages that walk text, COMPILED_FROM_BYTES, until its lexicon
`tag`, which always runs compiled, loads numba.
docs/markers.md lists the functions with the two paths.
"""

from __future__ import annotations

import sys
from typing import Literal

Engine = Literal["auto", "compiled", "reference"]

ENGINES = ("auto", "compiled", "reference")
"""The settings of `engine`: "auto" (the compiled path from COMPILED_FROM rows, from
COMPILED_FROM_BYTES of text, or once the process has loaded numba, else the reference path), or
either path whatever the size."""

COMPILED_FROM = 20_000
"""Rows (lines, values, texts, posts) from which `engine="auto"` takes the compiled path: the
reference paths cost 30-40 µs a tiny row, all stages of a `tag` together, so a fresh `moodcast
tag` of 15,000 posts of 12 bytes took 1.75 CPU s by them against 2.10 compiled, numba's import
and kernel load included, and 30,000 took 2.45 against 2.30 (RESULTS.md `engine-threshold`; at
1,000 rows, the threshold until then, 1.33 against 2.24). The JSON Lines check and timestamps
count rows only; the stages that walk text usually reach COMPILED_FROM_BYTES first."""

COMPILED_FROM_BYTES = 400_000
"""Bytes of text (UTF-8) from which `engine="auto"` takes the compiled path of a stage that
walks text (language identification, the lexicon scanner, the n-gram head), at any number of
rows: about where loading numba costs what the reference paths take (a fresh `moodcast tag` of
posts of 780 or 130 bytes broke even between about 390 and 600 KB, RESULTS.md
`engine-threshold`; benchmarks/startup.py times a `tag` of LONG_POSTS long posts)."""


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
