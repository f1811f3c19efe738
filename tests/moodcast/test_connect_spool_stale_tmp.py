"""A hidden `.tmp` file that a failed flush left in `moodcast connect`'s spool is removed when
the connector starts again, once it is older than STALE_TMP; a fresh one (a flush in progress),
another source's and any other file stay. Before, such files stayed forever."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from moodcast.connect import STALE_TMP, SpoolSink


def test_a_stale_temporary_file_of_the_connectors_own_is_removed_at_start(tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    old = time.time() - STALE_TMP.total_seconds() - 60
    names = {
        "stale": ".mastodon-20261207T101500123456-000003.jsonl.tmp",
        "fresh": ".mastodon-20261208T000000000000-000001.jsonl.tmp",
        "other source": ".bluesky-20261207T101500123456-000003.jsonl.tmp",
        "other writer": ".mastodon-export.jsonl.tmp",
        "spooled": "mastodon-20261207T101500123456-000002.jsonl",
    }
    for kind, name in names.items():
        (spool / name).write_text('{"id": "p1"}\n')
        if kind != "fresh":
            os.utime(spool / name, (old, old))
    SpoolSink(spool, source="mastodon", rotate_every=timedelta(minutes=1), rotate_posts=10)
    left = {path.name for path in spool.iterdir()}
    assert left == {name for kind, name in names.items() if kind != "stale"}
