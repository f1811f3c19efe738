"""Shared fixtures: one small sample corpus and one published run, reused across test modules."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from benchmarks.small_run import AS_OF, LEXICON_ONLY, SMALL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MOODCAST_SECRET", "test-secret-not-for-production-use-only")


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A 12,000-post, 70-day sample corpus directory (posts.jsonl, waves.csv)."""
    from moodcast.sample import generate_sample

    out = tmp_path_factory.mktemp("corpus")
    generate_sample(out, **SMALL)
    return out


@pytest.fixture(scope="session")
def published_run(small_corpus, tmp_path_factory):
    """A data directory after one `moodcast run` of the small corpus (LEXICON_ONLY), and the
    run's summary. Tests that change the directory work on a copy."""
    from moodcast.config import load_settings
    from moodcast.run import daily_run

    data_dir = tmp_path_factory.mktemp("data")
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    summary = daily_run(
        [str(small_corpus / "posts.jsonl")],
        settings=load_settings(data_dir),
        as_of=AS_OF,
        beam_args=[],
    )
    return data_dir, summary


FORUM = {"days": 63, "start": date(2025, 1, 6), "profile": "forum", "authors_per_day": 150}
"""A sparse forum sample (150 authors a day, 63 days): its rarest markers fall below k in most
weeks and are published by 8-week periods."""
FORUM_AS_OF = date(2025, 3, 10)


@pytest.fixture(scope="session")
def forum_run(tmp_path_factory):
    """A data directory after one `moodcast run` of the FORUM sample with the default settings,
    and the run's summary. Tests only read it."""
    from moodcast.config import load_settings
    from moodcast.run import daily_run
    from moodcast.sample import generate_sample

    corpus = tmp_path_factory.mktemp("forum")
    generate_sample(corpus, **FORUM)
    data_dir = tmp_path_factory.mktemp("forum-data")
    summary = daily_run(
        [str(corpus / "posts.jsonl")],
        settings=load_settings(data_dir),
        as_of=FORUM_AS_OF,
        beam_args=[],
    )
    return data_dir, summary
