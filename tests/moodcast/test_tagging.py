"""`moodcast tag` in batches: the output and the account do not depend on the batch size, and
a failed batch leaves no output behind."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodcast import tagging
from moodcast.tagging import tag_file
from transforms.markers import load_markers
from transforms.model_markers import ModelConfig
from transforms.text import LanguageRule, primary_subtag

TEXTS = ["I feel so sad and alone tonight", "Me siento muy triste esta noche", "😢😢",
         "great day at the beach with friends", "no puedo dormir, otra vez ansiedad"]  # fmt: skip


def _write_posts(path, n: int = 23) -> None:
    lines = []
    for i in range(n):
        post = {"id": str(i), "created_at": f"2025-03-0{1 + i % 5}T10:00:00Z",
                "text": TEXTS[i % len(TEXTS)], "author_id": f"a{i % 4}"}  # fmt: skip
        lines.append("{broken" if i % 7 == 3 else json.dumps(post))
        if i % 9 == 4:
            lines.append(json.dumps({**post, "created_at": "not a time"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _tag(path, out):
    markers = load_markers(names=["sadness", "anxiety"])
    rule = LanguageRule(languages=("en", "es"), default="en")
    return tag_file(path, out, markers, config=ModelConfig(models={}), rule=rule)


def test_the_batch_size_changes_neither_the_output_nor_the_account(tmp_path, monkeypatch):
    path = tmp_path / "posts.jsonl"
    _write_posts(path)
    whole = _tag(path, tmp_path / "whole.parquet")
    monkeypatch.setattr(tagging, "TAG_BATCH", 2)
    batched = _tag(path, tmp_path / "batched.parquet")
    assert batched == whole
    assert whole.read == 23 + 3 and whole.valid == 23 - 3
    assert whole.dead_letters == {"invalid JSON": 3, "unparseable timestamp": 3}
    expected = pl.read_parquet(tmp_path / "whole.parquet")
    assert expected.height == whole.valid
    assert pl.read_parquet(tmp_path / "batched.parquet").equals(expected)


def test_no_valid_post_writes_nothing(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text("{broken\n", encoding="utf-8")
    read = _tag(path, tmp_path / "out.parquet")
    assert (read.read, read.valid, read.dead_letters) == (1, 0, {"invalid JSON": 1})
    assert not (tmp_path / "out.parquet").exists()


def test_a_failed_batch_leaves_no_partial_output(tmp_path, monkeypatch):
    path = tmp_path / "posts.jsonl"
    _write_posts(path)
    monkeypatch.setattr(tagging, "TAG_BATCH", 2)
    calls = []

    def fail_on_second(posts, markers, **kwargs):
        calls.append(posts.height)
        if len(calls) == 2:
            raise RuntimeError("model failed")
        return original(posts, markers, **kwargs)

    original = tagging.tag_posts
    monkeypatch.setattr(tagging, "tag_posts", fail_on_second)
    with pytest.raises(RuntimeError):
        _tag(path, tmp_path / "out.parquet")
    assert list(tmp_path.glob("out.parquet*")) == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["en", "EN", "en-US", " es ", "es-419", "", " ", "-", "-en", "pt-BR-x"]
            ),
            st.text(max_size=6),
            st.none(),
        ),
        max_size=20,
    )
)
def test_stated_languages_are_the_primary_subtag_of_each_value(langs):
    frame = pl.DataFrame(
        {"lang": langs, "text": [""] * len(langs)}, schema_overrides={"lang": pl.String}
    )
    stated = tagging.with_languages(frame, text="text", rule=LanguageRule(default="und"))
    expected = frame.select(primary_subtag(pl.col("lang"))).to_series()
    assert stated.get_column("lang").to_list() == expected.fill_null("und").to_list()
