import numpy as np
import orjson

from moodcast.sample_lines import PLATFORMS, write_posts

MARKERS = ("joy", "sadness")
REGIONS = ("us-ca", "unknown")


def _plan() -> dict[str, np.ndarray]:
    """Four posts by two authors: an original, its repost, a malformed one, a plain one."""
    return {
        "author": np.array([0, 1, 0, 1]),
        "author_id": np.array([1_000_000_001, 1_000_000_002]),
        "platform": np.array([0, 2]),
        "region": np.array([0, 0, 1, -1]),
        "lang": np.array([0, 0, 1, 0], dtype=np.int8),
        "lang_field": np.array([True, True, True, False]),
        "has_author": np.array([True, True, True, False]),
        "malformed_kind": np.array([-1, -1, 0, -1]),
        "parent": np.array([-1, 0, -1, -1]),
        "in_wave": np.full(4, -1),
        "marks": np.array([[True, False], [True, False], [False, False], [False, True]]),
    }


def _write(tmp_path, dup_after=None):
    path = tmp_path / "posts.jsonl"
    millis = np.array([1_735_000_000_000, 1_735_000_060_000, 1_735_000_120_000, 1_735_000_180_000])
    seen = []
    write_posts(
        path, np.random.default_rng(3), millis, _plan(), markers=MARKERS, regions=REGIONS,
        waves=(), dup_after=dup_after or {}, progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    return path.read_bytes().splitlines(), seen


def test_a_planned_post_becomes_one_line_with_its_planned_fields(tmp_path):
    lines, _ = _write(tmp_path)
    first, repost, broken, plain = lines
    post = orjson.loads(first)
    assert post["author_id"] == "1000000001"
    assert post["region"] == "us-ca"
    assert post["lang"] in ("en", "en-US")
    assert post.get("platform", PLATFORMS[0]) == PLATFORMS[0]
    shared = orjson.loads(repost)
    assert shared["is_repost"] is True and shared["parent_id"] == post["id"]
    assert shared["text"].endswith(post["text"])
    other = orjson.loads(plain)
    assert not {"author_id", "lang", "region"} & other.keys()
    try:
        orjson.loads(broken)
    except orjson.JSONDecodeError:
        pass
    else:
        raise AssertionError("the post planned as truncated_json must not parse")


def test_repeated_lines_are_written_again_after_their_target_and_counted(tmp_path):
    lines, seen = _write(tmp_path, dup_after={3: [0]})
    assert len(lines) == 5
    assert lines[4] == lines[0]
    assert seen == [(5, 5)]


def test_the_same_plan_and_seed_give_the_same_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _write(tmp_path / "a") == _write(tmp_path / "b")
