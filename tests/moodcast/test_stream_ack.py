"""A stopping stream loses no message the DirectRunner's Pub/Sub read acknowledged: the read
acknowledges each pull's messages as soon as the pull returns, before any step of the job ran,
so the loader must not cancel the job while the steps after the read still hold them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

import warehouse
from tests.moodcast.stream_stops import (
    PARSE,
    PARSING,
    assert_published,
    broken_parse,
    stream_stopped_while_parsing,
)
from transforms.errors import WorkerError
from warehouse import queries

pytestmark = pytest.mark.slow

SLOW_PARSE_S = 10
"""How long the job's parse step takes: the loader decides to stop meanwhile."""


def _slow_parse(messages, **kwargs):
    """parse_messages, SLOW_PARSE_S late: it signals PARSING first (a module function, so
    that the runner's copy of the job calls this one)."""
    PARSING.set()
    time.sleep(SLOW_PARSE_S)
    return PARSE(messages, **kwargs)


def test_a_message_pulled_as_the_stream_stops_is_counted_and_published(
    emulator, tmp_path, monkeypatch
):
    """Before, the stop was decided while the job parsed the message its read had already
    acknowledged: the drain saw no post read and not published (the counts file of the message's
    bundle was not written yet), the job was cancelled, the bundle dropped, and Pub/Sub did not
    deliver the message again. Now the stream stops reading first, then waits until the job has
    processed every message it pulled, and drains those too before it cancels the job."""
    data_dir, now = tmp_path / "data", datetime.now(UTC)
    summary = stream_stopped_while_parsing(
        emulator, data_dir, monkeypatch, parse=_slow_parse, now=now
    )
    assert (summary.counts["read"], summary.counts["valid"]) == (1, 1)
    assert_published(data_dir, now.date(), [("ok", 1)])


def test_a_job_failing_on_what_it_pulled_as_the_stream_stops_fails_the_stream(
    emulator, tmp_path, monkeypatch
):
    """Before, a job whose step failed on the message it held while the stream stopped still
    asked its cut read to pull (the runner schedules the read before it shuts down for the
    failure): the drain took that as caught up, found nothing read and not published, and
    cancelled the job, whose failure it then ignored; the stream run was recorded `ok` and
    the message was lost without an error. Now the drain waits for a pull made while the job
    has no failure recorded (the failure is recorded as the step reports it, before the runner
    schedules the read), and raises the job's failure, recorded `failed`."""
    data_dir = tmp_path / "data"
    with pytest.raises(WorkerError, match="the parse step broke"):
        stream_stopped_while_parsing(emulator, data_dir, monkeypatch, parse=broken_parse)
    con = warehouse.open_published(data_dir)
    try:
        assert queries.runs(con).get_column("status").to_list() == ["failed"]
    finally:
        con.close()
