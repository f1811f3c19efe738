"""Only a message that is not a post of the source's shape is skipped as malformed: an error
raised by our own mapping of a message that is (a bug) drops the connection with the error
named, and Jetstream's cursor never moves past the post, so fixing the bug loses nothing.
Before, any ValueError, TypeError, KeyError or AttributeError was counted as a malformed
message, named by its kind alone, and the cursor moved past the post at the next message.
A `time_us` that is no integer never becomes the cursor (it was saved as `None`)."""

from __future__ import annotations

import json
import logging
import threading

from moodcast.connect import SpoolSink, bluesky_source, run_connector
from tests.moodcast.connect_servers import stop_after, websocket_server
from tests.moodcast.test_connect import DID, _commit, _minutes


def _jetstream(messages: list[dict]):
    def handler(connection):
        for message in messages:  # every connection sends them all
            connection.send(json.dumps(message))
        for _ in connection:
            pass

    return websocket_server(handler)


def test_an_error_of_our_mapping_is_not_skipped_past_as_a_malformed_message(
    tmp_path, caplog, monkeypatch
):
    def mapping_with_a_bug(record, mapping):
        return record.no_such_attribute

    monkeypatch.setattr("moodcast.connect.map_record", mapping_with_a_bug)
    caplog.set_level(logging.INFO)
    later = {"did": DID, "time_us": _commit(0)["time_us"] + 5, "kind": "identity"}
    with _jetstream([_commit(0), later]) as url, stop_after(1) as stop:
        summary = run_connector(
            bluesky_source(url),
            SpoolSink(tmp_path, source="bluesky", rotate_every=_minutes(5), rotate_posts=1),
            cursor_file=tmp_path / "bluesky.cursor",
            stop=stop,
            backoff_s=0.05,
        )
    assert summary.malformed == 0
    assert "connection lost (AttributeError raised at test_connect_malformed_only_input.py" in (
        caplog.text
    )
    assert not (tmp_path / "bluesky.cursor").exists()


def test_a_time_us_that_is_no_integer_never_becomes_the_cursor(tmp_path):
    without_time = {**_commit(1), "time_us": None}
    with _jetstream([_commit(0), without_time]) as url:
        summary = run_connector(
            bluesky_source(url),
            SpoolSink(tmp_path, source="bluesky", rotate_every=_minutes(5), rotate_posts=10),
            cursor_file=tmp_path / "bluesky.cursor",
            stop=threading.Event(),
            max_posts=2,
        )
    assert summary.posts == 2
    assert (tmp_path / "bluesky.cursor").read_text().strip() == str(_commit(0)["time_us"])
