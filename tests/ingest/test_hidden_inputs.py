"""A quoted glob that moodcast expands leaves hidden files aside as a shell does, and `**`
reaches into subfolders (bughunt5: `moodcast run 'dir/*'` matched `.DS_Store`)."""

import logging

import pytest

from ingest.inputs import match_inputs
from tests.ingest.posts import jsonl_posts
from transforms.errors import InputError

_DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(range(256)) * 8


@pytest.fixture
def posts_dir(tmp_path):
    (tmp_path / "posts.jsonl").write_bytes(jsonl_posts(3))
    (tmp_path / ".DS_Store").write_bytes(_DS_STORE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.jsonl").write_bytes(jsonl_posts(2))
    (tmp_path / "sub" / ".hidden.jsonl").write_bytes(jsonl_posts(1))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.jsonl").write_bytes(jsonl_posts(1))
    return tmp_path


def _names(files, root):
    return [f.path.removeprefix(f"{root}/") for f in files]


def test_a_star_glob_leaves_a_ds_store_aside_and_says_so(posts_dir, caplog):
    with caplog.at_level(logging.INFO, logger="ingest.inputs"):
        files = match_inputs([f"{posts_dir}/*"])
    assert _names(files, posts_dir) == ["posts.jsonl"]
    assert "left aside 1 hidden file(s)" in caplog.text


def test_a_double_star_glob_reaches_subfolders_and_a_dot_part_reaches_hidden_files(posts_dir):
    files = match_inputs([f"{posts_dir}/**.jsonl"])
    assert _names(files, posts_dir) == ["posts.jsonl", "sub/more.jsonl"]
    hidden = match_inputs([f"{posts_dir}/sub/.*.jsonl", f"{posts_dir}/.git/*"])
    assert _names(hidden, posts_dir) == [".git/HEAD.jsonl", "sub/.hidden.jsonl"]


def test_a_glob_that_matches_only_hidden_files_matches_nothing(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(_DS_STORE)
    with pytest.raises(InputError, match="no input file matches"):
        match_inputs([f"{tmp_path}/*"])
