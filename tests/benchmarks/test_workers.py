"""The line-boundary split benchmarks/workers.py runs the job on."""

from __future__ import annotations

from benchmarks.workers import split_lines


def test_split_lines_keeps_every_line_whole_and_in_order(tmp_path):
    lines = [b'{"id":"%d","text":"%s"}\n' % (n, b"x" * (n * 7 % 50)) for n in range(200)]
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b"".join(lines))
    (tmp_path / "parts").mkdir()

    parts = [path.read_bytes() for path in split_lines(posts, tmp_path / "parts", 3)]

    assert len(parts) == 3
    assert b"".join(parts) == posts.read_bytes()
    assert all(part.endswith(b"\n") and len(part) > len(posts.read_bytes()) // 4 for part in parts)
