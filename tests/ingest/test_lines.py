"""Cutting a file's bytes into lines: line buffers against the lines cut one by one."""

import gzip
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.lines import FileLines


def _listed(stream: FileLines, size: int) -> list[list[bytes]]:
    """The lines of `stream` in lists of `size`, cut one by one (how JSON Lines were read)."""
    lines: list[bytes] = []
    for block, _ in stream.line_lists():
        lines += block
    if lines:
        lines[0] = lines[0].removeprefix(b"\xef\xbb\xbf")
    lines = [raw.removesuffix(b"\r") for raw in lines]
    return [lines[at : at + size] for at in range(0, len(lines), size)]


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"\n", b"\r\n", b"\r", b"{}", b"ab", b"\xef\xbb\xbf", b" "])
    ).map(b"".join),
    size=st.integers(1, 5),
    block=st.integers(1, 9),
    kind=st.sampled_from([None, "gzip"]),
    cut=st.booleans(),
)
def test_line_buffers_hold_the_lines_cut_one_by_one(data, size, block, kind, cut):
    raw = gzip.compress(data) if kind else data
    raw = raw[: len(raw) * 2 // 3] if cut else raw
    fast, listed = FileLines(io.BytesIO(raw), kind, block), FileLines(io.BytesIO(raw), kind, block)
    assert [list(lines) for lines in fast.line_buffers(size)] == _listed(listed, size)
    assert (fast.number, fast.rest, fast.problem) == (listed.number, listed.rest, listed.problem)
