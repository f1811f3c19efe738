"""Shared fixtures: one small sample corpus and one published run, reused across test modules;
the Pub/Sub emulator, one per module that asks for it."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

from benchmarks.small_run import AS_OF, LEXICON_ONLY, SMALL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MOODCAST_SECRET", "test-secret-not-for-production-use-only")


def built_once(tmp_path_factory, name: str, build: Callable[[], object]):
    """`build()`, called once per test session however many xdist workers ask (pytest-xdist's
    "Making session-scoped fixtures execute only once"): the first worker to ask builds it and
    pickles its result beside every worker's base temporary folder; the others wait on its lock
    and read the result back. So whatever it builds is read by the other worker's tests at the
    same time: a test that changes it works on a copy. In one process, `build()`."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return build()
    shared = tmp_path_factory.getbasetemp().parent
    done = shared / f"{name}.pickle"
    with FileLock(shared / f"{name}.lock"):
        if done.is_file():
            return pickle.loads(done.read_bytes())
        result = build()
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A 12,000-post, 70-day sample corpus directory (posts.jsonl, waves.csv); built once per
    session (`built_once`)."""
    from moodcast.sample import generate_sample

    def build() -> Path:
        out = tmp_path_factory.mktemp("corpus")
        generate_sample(out, **SMALL)
        return out

    return built_once(tmp_path_factory, "small_corpus", build)


@pytest.fixture(scope="session")
def published_run(small_corpus, tmp_path_factory):
    """A data directory after one `moodcast run` of the small corpus (LEXICON_ONLY), and the
    run's summary; built once per session (`built_once`). Tests only read it: a test that
    changes the directory works on a copy."""
    from moodcast.config import load_settings
    from moodcast.run import daily_run

    def build():
        data_dir = tmp_path_factory.mktemp("data")
        (data_dir / "config.toml").write_text(LEXICON_ONLY)
        summary = daily_run(
            [str(small_corpus / "posts.jsonl")],
            settings=load_settings(data_dir),
            as_of=AS_OF,
            beam_args=[],
        )
        return data_dir, summary

    return built_once(tmp_path_factory, "published_run", build)


FORUM = {"days": 63, "start": date(2025, 1, 6), "profile": "forum", "authors_per_day": 150}
"""A sparse forum sample (150 authors a day, 63 days): its rarest markers fall below k in most
weeks and are published by 8-week periods."""
FORUM_AS_OF = date(2025, 3, 10)


@pytest.fixture(scope="session")
def forum_run(tmp_path_factory):
    """A data directory after one `moodcast run` of the FORUM sample with the default settings,
    and the run's summary; built once per session (`built_once`). Tests only read it."""
    from moodcast.config import load_settings
    from moodcast.run import daily_run
    from moodcast.sample import generate_sample

    def build():
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

    return built_once(tmp_path_factory, "forum_run", build)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """The Pub/Sub emulator on a free port of 127.0.0.1, one for the module (each test uses
    its own topic and subscription: tests/emulator.py); yields its host:port. Skipped where the
    emulator is not installed, failed in CI."""
    from benchmarks.servers import emulator_missing, pubsub_emulator

    if (missing := emulator_missing()) is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    with pubsub_emulator(tmp_path_factory.mktemp("emulator")) as server:
        yield f"127.0.0.1:{server.port}"
