"""The streaming job `moodcast stream` builds keeps posts as a run keeps a file's: the input's
default language, the published regions, the text length and the plausible-date window of the
settings (moodcast.stream.stream_job), run under TestStream."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import apache_beam as beam
import orjson
import polars as pl
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream

from ingest.stream import build_stream
from moodcast.config import load_settings
from moodcast.stream import stream_job
from transforms.markers import parse_marker
from transforms.windows import day_bounds

TZ = "Europe/Madrid"
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=ZoneInfo(TZ))
MARKERS = {
    "sad": parse_marker(
        {"name": "sad", "lang": {"en": {"terms": ["sad"]}, "es": {"terms": ["triste", "😢"]}}},
        origin="t",
    )
}


def _message(i: int, when: datetime, text: str, **fields) -> bytes:
    post = {"id": f"p{i}", "created_at": when.isoformat(), "text": text, "author_id": f"u{i}"}
    return orjson.dumps(post | fields)


def _last_pane(job, messages: list[bytes], landing: Path) -> pl.DataFrame:
    """Run `job` (its clock at NOW) under TestStream over `messages`, the watermark from the
    start of NOW's day to infinity, and read the last pane it landed in `landing`."""
    stream = (
        BeamTestStream()
        .advance_watermark_to(day_bounds(NOW.date(), tz=TZ)[0])
        .add_elements(messages)
        .advance_watermark_to_infinity()
    )
    options = PipelineOptions(["--streaming"])
    options.view_as(StandardOptions).runner = "BundleBasedDirectRunner"
    with beam.Pipeline(options=options) as p:
        build_stream(p | stream, replace(job, clock=NOW.timestamp), str(landing))
    last = max(
        (landing / "panes").rglob("*.parquet"), key=lambda path: int(path.stem.split("-")[0])
    )
    return pl.read_parquet(last)


def test_the_stream_keeps_posts_by_the_settings_a_run_keeps_them_by(tmp_path):
    """Regression: `moodcast stream` built its job without the settings' `--lang`/default_lang
    (an emoji-only post was filtered as undetermined, not counted in es), `regions` (a region
    outside the list was published), `max_text_chars` and `earliest_date`."""
    (tmp_path / "config.toml").write_text(
        f'tz = "{TZ}"\nregions = ["north"]\nmax_text_chars = 50\n'
        f"earliest_date = {NOW.date().isoformat()}\n",
        encoding="utf-8",
    )
    settings = load_settings(tmp_path, default_lang="spa")
    landing = tmp_path / "landing"
    job = stream_job(
        settings, MARKERS, source="pubsub:test", run_id="stream-test", landing=str(landing),
        key=b"k",
    )  # fmt: skip
    today = NOW.date()
    messages = [
        _message(1, NOW, "😢😢", region="north"),
        _message(2, NOW, "so sad", lang="en", region="south"),
        _message(3, NOW, "so sad " * 12, lang="en", region="north"),
        _message(4, NOW - timedelta(days=1), "so sad", lang="en", region="north"),
    ]
    kept = (
        _last_pane(job, messages, landing)
        .filter((pl.col("region") != "all") & (pl.col("lang") != "all") & (pl.col("n_posts") > 0))
        .select("region", "lang", "n_posts", "n_marked")
        .sort("region")
    )
    assert kept.rows() == [("north", "es", 1, 1), ("unknown", "en", 1, 1)]
    counts = pl.concat([pl.read_parquet(p) for p in (landing / "counts").glob("*.parquet")])
    dead = counts.filter(pl.col("category") == "dead_letter").group_by("reason").agg(pl.sum("n"))
    assert dict(dead.rows()) == {"oversized text": 1, f"timestamp before {today}": 1}


def test_the_stream_builds_its_job_as_a_run_does_but_for_the_runs_own_arguments(tmp_path):
    """Regression: moodcast.stream and moodcast.run each built the job from the settings field
    by field, and differed: the stream carried `--lang` in its options, not in its input's
    mapping as a run does, and no DP budget. One builder (moodcast.jobs.ingest_job) now serves
    both; the run's as-of, lateness and inputs are its arguments."""
    from moodcast.jobs import ingest_job

    (tmp_path / "config.toml").write_text('privacy = "dp"\n', encoding="utf-8")
    settings = load_settings(tmp_path, default_lang="spa", input_preset="mastodon")
    source = "pubsub:projects/p/subscriptions/s"
    stream = stream_job(settings, MARKERS, source=source, run_id="r", landing="l", key=b"k").ingest
    run = ingest_job(settings, MARKERS, key=b"k", run_id="r", landing="l", sources=[source])
    assert stream == run
    assert stream.mappings[source].key == "preset:mastodon#lang=es"
    assert stream.options.default_lang is None and stream.dp_budget == settings.dp_budget


def test_a_stream_in_dp_mode_is_refused_before_anything_starts(tmp_path, monkeypatch):
    """Regression: `moodcast stream` with privacy = "dp" ran with no DP budget: it loaded the
    exact counts of its panes, which DP mode never shows, and so published nothing, exit 0. Its
    panes release a day again and again, each noisy release spending the day's budget anew, so
    it refuses DP mode and names follow mode, which releases each day once."""
    from click.testing import CliRunner

    from benchmarks.servers import free_port
    from moodcast.cli import main

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('privacy = "dp"\nmodels = {}\n', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["stream", "--subscription", "projects/project-p/subscriptions/s", "--duration", "1s",
         "--load-every", "1s", "--data-dir", str(data)],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    message = " ".join(result.output.split())
    assert 'privacy = "dp" is not published by moodcast stream' in message
    assert "moodcast run --follow DIR" in message and "Traceback" not in message
    assert sorted(p.name for p in data.iterdir()) == ["config.toml"]


def test_a_stream_recovery_in_dp_mode_is_refused_as_the_stream_is(tmp_path):
    """Regression: `moodcast stream --recover` with privacy = "dp" loaded what killed sessions
    left, exact counts of panes that DP mode never shows, and exited 0, where `moodcast stream`
    refuses DP mode: it now refuses it too, with the same message and exit code."""
    from click.testing import CliRunner

    from moodcast.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('privacy = "dp"\nmodels = {}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["stream", "--recover", "--data-dir", str(data)])
    assert result.exit_code == 3, result.output
    message = " ".join(result.output.split())
    assert 'privacy = "dp" is not published by moodcast stream' in message
    assert "moodcast stream --recover needs" in message and "Traceback" not in message
    assert sorted(p.name for p in data.iterdir()) == ["config.toml"]


def test_a_stream_with_a_default_language_reads_its_messages_as_a_run_reads_a_file(tmp_path):
    """Regression: with `--lang` and no preset the stream read each message through the mapping
    that only carries the language, which reads an empty string as missing, where a run's file
    reader (and the stream without `--lang`) reads the fields as they are: posts by the author
    id "" counted towards no author, so the published day's n_authors fell from 1 to 0. The
    language given must not change how a message's fields are read; an empty author id is now
    no author in every reader (transforms.posts.prepare), with or without it."""
    (tmp_path / "config.toml").write_text(f'tz = "{TZ}"\n', encoding="utf-8")
    messages = [_message(i, NOW, "so sad", lang="en", author_id="") for i in (1, 2)]
    authors = {}
    for lang in (None, "en"):
        landing = tmp_path / f"landing-{lang}"
        job = stream_job(
            load_settings(tmp_path, default_lang=lang), MARKERS, source="pubsub:test",
            run_id="stream-test", landing=str(landing), key=b"k",
        )  # fmt: skip
        cell = _last_pane(job, messages, landing).filter(
            (pl.col("region") == "all") & (pl.col("lang") == "en")
        )
        authors[lang] = cell.select("n_posts", "n_authors").rows()
    assert authors[None] == [(2, 0)]
    assert authors["en"] == authors[None]
