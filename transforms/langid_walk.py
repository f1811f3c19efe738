"""py3langid's byte DFA walked for many texts in one compiled loop (numba): the compiled path
of transforms.langid.feature_counts, which imports this module on its first call that takes it."""

from __future__ import annotations

import numba
import numpy as np

from transforms.kernel_cache import use_kernel_cache

use_kernel_cache()


LANES = 8
"""Texts whose DFA walks `_walk` interleaves: one walk is a chain of dependent loads from a
~40 MB table, so walking several at once lets their cache misses overlap."""


def visits(data, starts, nextmove, rowbase, output):
    """The DFA walked over each text (bytes `data[starts[i]:starts[i + 1]]`) → CSR arrays
    (`indptr`, `features` ascending per text, `counts`) of the features of the states each
    text visits and how often it visits them (py3langid's `visit_counts`, text by text)."""
    found, found_counts = _walk(data, starts, nextmove, rowbase, output)
    return _tallied(found, found_counts, starts)


@numba.njit(cache=True, nogil=True)
def _walk(data, starts, nextmove, rowbase, output):  # pragma: no cover
    """The features of the states each text visits, in visiting order: text `i`'s are
    `found[starts[i]:starts[i] + counts[i]]` (a byte visits at most one). LANES walks go on
    side by side, each taking the next text when its own ends."""
    n = starts.size - 1
    found = np.empty(data.size, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    text = np.full(LANES, -1, dtype=np.int64)
    position = np.zeros(LANES, dtype=np.int64)
    state = np.zeros(LANES, dtype=np.int64)
    following = 0
    for lane in range(LANES):
        text[lane], position[lane], following = _next_text(starts, following)
    while True:
        walking = False
        for lane in range(LANES):
            t = text[lane]
            if t < 0:
                continue
            walking = True
            s = nextmove[rowbase[state[lane]] + data[position[lane]]]
            state[lane] = s
            if output[s] >= 0:
                found[starts[t] + counts[t]] = output[s]
                counts[t] += 1
            position[lane] += 1
            if position[lane] == starts[t + 1]:
                text[lane], position[lane], following = _next_text(starts, following)
                state[lane] = 0
        if not walking:
            return found, counts


@numba.njit(cache=True, nogil=True)
def _next_text(starts, following):  # pragma: no cover
    """The first text from `following` with a byte (-1 when none), its first byte, and the
    text after it."""
    n = starts.size - 1
    while following < n and starts[following] == starts[following + 1]:
        following += 1
    if following == n:
        return -1, 0, n
    return following, starts[following], following + 1


@numba.njit(cache=True, nogil=True)
def _tallied(found, found_counts, starts):  # pragma: no cover
    """CSR arrays (`indptr`, distinct features ascending per text, `counts`) of `_walk`'s
    features."""
    n = starts.size - 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    features = np.empty(found.size, dtype=np.int64)
    counts = np.empty(found.size, dtype=np.int64)
    nnz = 0
    for i in range(n):
        m = found_counts[i]
        ordered = np.sort(found[starts[i] : starts[i] + m])
        j = 0
        while j < m:
            c = 1
            while j + c < m and ordered[j + c] == ordered[j]:
                c += 1
            features[nnz], counts[nnz] = ordered[j], c
            nnz += 1
            j += c
        indptr[i + 1] = nnz
    return indptr, features[:nnz], counts[:nnz]
