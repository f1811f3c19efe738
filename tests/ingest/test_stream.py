"""The streaming job under TestStream: panes, lateness, DST days, dedupe expiry, accounting."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import apache_beam as beam
import orjson
import polars as pl
import pytest
from apache_beam.io.gcp.pubsub import parse_subscription
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window
from apache_beam.utils.timestamp import Timestamp

from ingest.job import IngestJob
from ingest.stream import (
    SUBSCRIPTION_ADVICE,
    DropRepeatedIdsFn,
    LocalDayWindows,
    PostRow,
    StreamJob,
    build_stream,
    check_subscription,
    pane_files,
)
from transforms.markers import parse_marker
from transforms.posts import PostOptions
from transforms.windows import day_bounds

TZ = "Europe/Madrid"
MARKERS = {
    "sad": parse_marker(
        {"name": "sad", "lang": {"en": {"terms": ["sad"]}, "es": {"terms": ["triste"]}}}, origin="t"
    )
}
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=ZoneInfo(TZ))
"""The processing-time clock of these tests: the day after the spring-forward day (23 h)."""


def test_clock() -> float:
    return NOW.timestamp()


test_clock.__test__ = False


def _options() -> PipelineOptions:
    options = PipelineOptions(["--streaming"])
    options.view_as(StandardOptions).runner = "BundleBasedDirectRunner"
    return options


def _message(i: int, when: datetime, *, text: str = "so sad", author: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "id": f"p{i}",
            "created_at": when.isoformat(),
            "text": text,
            "lang": "en",
            "region": "north",
            "author_id": author or f"u{i}",
        }
    )


def _job(tmp_path: Path, markers=MARKERS, options: PostOptions | None = None) -> StreamJob:
    ingest = IngestJob(
        inputs=[],
        landing_dir=str(tmp_path),
        markers=markers,
        key=b"k",
        run_id="stream-test",
        options=options or PostOptions(tz=TZ),
    )
    return StreamJob(ingest=ingest, source="pubsub:test", clock=test_clock)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TZ))


def _panes(landing: Path) -> pl.DataFrame:
    rows = []
    for path in sorted((landing / "panes").rglob("*.parquet")):
        index, timing, _, posts = path.stem.split("-")
        table = pl.read_parquet(path).filter(
            (pl.col("region") == "all") & (pl.col("lang") == "all")
        )
        rows.append(
            {
                "day": date.fromisoformat(path.parent.name),
                "index": int(index),
                "timing": timing,
                "n_posts": int(table.get_column("n_posts").sum()),
                "posts": int(posts),
            }
        )
    return pl.DataFrame(rows).sort("day", "index")


def _counts(landing: Path) -> dict[tuple[str, str], int]:
    frame = pl.concat([pl.read_parquet(p) for p in (landing / "counts").glob("*.parquet")])
    summed = frame.group_by("category", "reason").agg(pl.col("n").sum())
    return {(c, r): n for c, r, n in summed.iter_rows()}


def test_local_day_windows_follow_daylight_saving():
    fn = LocalDayWindows(TZ)
    lengths = {}
    for day in (date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 25)):
        start, _ = day_bounds(day, tz=TZ)
        late_evening = start + 22.5 * 3600
        (assigned,) = fn.assign(window.WindowFn.AssignContext(Timestamp(late_evening)))
        lengths[day] = (assigned.end - assigned.start).micros / 3.6e9
        assert assigned.start == Timestamp(start)
    assert lengths == {date(2026, 3, 29): 23, date(2026, 3, 30): 24, date(2026, 10, 25): 25}


def test_panes_early_on_time_and_late_with_too_late_posts_accounted(tmp_path):
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    start_today, end_today = day_bounds(today, tz=TZ)
    old = today - timedelta(days=4)
    stream = (
        BeamTestStream()
        .advance_watermark_to(start_today)
        .add_elements([_message(i, _local(today, 8, i)) for i in range(3)])
        .advance_processing_time(61)
        .add_elements(
            [
                _message(10, _local(yesterday, 23, 30)),  # the 23-hour day, its last hour
                _message(11, _local(old, 12)),  # closed for more than two days: too late
                _message(1, _local(today, 8, 1)),  # a repeated id
                b"{not json",
            ]
        )
        .advance_processing_time(61)
        .advance_watermark_to(end_today + 60)
        .add_elements([_message(20, _local(today, 23, 50))])  # late for today
        .advance_processing_time(61)
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=_options()) as p:
        build_stream(p | stream, _job(tmp_path), str(tmp_path))
    panes = _panes(tmp_path)
    today_panes = panes.filter(pl.col("day") == today)
    assert today_panes.get_column("timing").to_list()[0] == "early"
    assert "on_time" in today_panes.get_column("timing").to_list()
    assert today_panes.row(-1, named=True)["timing"] == "late"
    assert today_panes.get_column("n_posts").to_list()[-1] == 4  # accumulating: 3 + the late one
    assert today_panes.get_column("n_posts").is_sorted()
    assert today_panes.get_column("posts").to_list()[-1] == 4
    assert panes.filter(pl.col("day") == yesterday).get_column("n_posts").max() == 1
    assert old not in panes.get_column("day").to_list()
    counts = _counts(tmp_path)
    assert counts[("read", "")] == 8
    assert counts[("valid", "")] == 5
    assert counts[("duplicate", "repeated id")] == 1
    assert counts[("filtered", "too late")] == 1
    assert counts[("dead_letter", "invalid JSON")] == 1
    dead = pl.concat([pl.read_parquet(p) for p in (tmp_path / "dead").glob("*.parquet")])
    assert dead.columns == ["source", "line", "reason", "record_sha256"]


def _row(post_id: str) -> PostRow:
    return PostRow(post_id, date(2026, 3, 30), "north", "en", "u", (True,))


@pytest.mark.parametrize(("gap_s", "kept"), [(600, ["a"]), (7200, ["a", "a"])])
def test_ids_are_forgotten_after_the_horizon(gap_s, kept):
    events = (
        BeamTestStream()
        .advance_watermark_to(1000)
        .add_elements([window.TimestampedValue(("a", _row("a")), 1000)])
        .advance_watermark_to(1000 + gap_s)
        .add_elements([window.TimestampedValue(("a", _row("a")), 1000 + gap_s)])
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=_options()) as p:
        outputs = (
            p
            | events
            | beam.ParDo(DropRepeatedIdsFn(timedelta(hours=1))).with_outputs("counts", main="kept")
        )
        assert_that(outputs.kept | beam.Map(lambda post: post.id), equal_to(kept))


def test_a_stream_decided_by_an_ngram_head_loads_no_sentence_model(tmp_path):
    from moodcast.training import train_heads
    from transforms.markers import load_markers
    from transforms.model_markers import ModelConfig, classify

    texts = ["I cried all night and I feel empty", "so sad about everything lately",
             "went for a run by the river", "lunch with the team was nice"]  # fmt: skip
    labels = pl.DataFrame({"text": texts * 2, "lang": ["en"] * 8, "sad": [1, 1, 0, 0] * 2})
    heads = tmp_path / "heads"
    train_heads(
        labels, markers={}, config=ModelConfig(models={}), out_dir=heads, origin="t", family="ngram"
    )
    markers = load_markers(heads, names=["sad"])
    unloadable = ModelConfig(models={"en": str(tmp_path / "no-such-model")})
    landing = tmp_path / "landing"
    job = _job(landing, markers, PostOptions(tz=TZ, models=unloadable))
    today = NOW.date()
    stream = (
        BeamTestStream()
        .advance_watermark_to(day_bounds(today, tz=TZ)[0])
        .add_elements([_message(i, _local(today, 8, i), text=t) for i, t in enumerate(texts)])
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=_options()) as p:
        build_stream(p | stream, job, str(landing))
    expected = classify(
        pl.DataFrame({"text": texts, "lang": ["en"] * 4}), markers, config=unloadable
    )["sad"].sum()
    last = max(
        (landing / "panes").rglob("*.parquet"), key=lambda path: int(path.stem.split("-")[0])
    )
    final = pl.read_parquet(last).filter(
        (pl.col("region") == "all") & (pl.col("lang") == "all") & (pl.col("marker") == "sad")
    )
    assert expected > 0
    assert final.get_column("n_marked").to_list() == [expected]


def test_a_stray_parquet_file_in_the_landing_panes_is_skipped_with_a_warning(tmp_path, caplog):
    """A `.parquet` file not named like a pane raised ValueError out of pane_files, which
    stopped every stream start's recovery and every live load."""
    day = tmp_path / "panes" / "2026-01-05"
    day.mkdir(parents=True)
    pane = day / "000001-early-1767571200000000-3.parquet"
    for path in (pane, day / "notes.parquet", day / "1-soon-2-3.parquet"):
        path.write_bytes(b"")
    (tmp_path / "panes" / "copied").mkdir()
    (tmp_path / "panes" / "copied" / "000001-early-1767571200000000-3.parquet").write_bytes(b"")

    found = pane_files(str(tmp_path))

    assert [(f.path, f.day, f.index, f.timing, f.posts) for f in found] == [
        (str(pane), date(2026, 1, 5), 1, "early", 3)
    ]
    assert sum("is not a pane file" in r.getMessage() for r in caplog.records) == 3


@pytest.mark.parametrize(
    "path",
    [
        "projects/local-dev/subscriptions/posts",
        "projects/local-dev-X/subscriptions/posts",
        "projects/local-dev-/subscriptions/posts",
        "projects/local-/subscriptions/posts",
        f"projects/{'a' * 70}/subscriptions/posts",
        "projects/l.o:c-a1/subscriptions/a/b",
        "projects/local/subscriptions/posts",
        "projects/Local-dev/subscriptions/posts",
        "projects/1ocal-dev/subscriptions/posts",
        "projects/local-dev/topics/posts",
        "subscriptions/posts",
    ],
)
def test_a_subscription_is_checked_as_beam_checks_it(path):
    """Our check takes exactly what Beam's Pub/Sub source takes; its advice said a project id
    must be 6 to 63 characters ending in a letter or digit, which Beam does not require (it
    matches the id's beginning only: `local-dev-X`, `local-dev-`, a 70-character id pass)."""
    try:
        parse_subscription(path)
    except ValueError:
        with pytest.raises(ValueError, match=re.escape(SUBSCRIPTION_ADVICE)):
            check_subscription(path)
    else:
        assert check_subscription(path) == path
