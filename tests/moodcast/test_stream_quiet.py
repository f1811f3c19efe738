"""A quiet session, on a subscription the Pub/Sub emulator holds and answers for, that reads
no post, ends `ok` with 0 posts, exit 0, recorded `ok`: the check a session that read nothing
makes as it stops (moodcast.stream._check_still_reachable) fails only a session whose Pub/Sub
is gone, never a quiet hour."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import warehouse
from moodcast.cli import main
from tests.emulator import topic_and_subscription
from warehouse import queries

pytestmark = pytest.mark.slow


def test_a_session_that_reads_nothing_from_a_reachable_pubsub_ends_ok(
    emulator, tmp_path, monkeypatch
):
    _, _, subscription = topic_and_subscription(emulator, monkeypatch, "quiet")
    data_dir = tmp_path / "data"
    args = ["stream", "--subscription", subscription, "--duration", "3s", "--early-every", "1s"]
    args += ["--load-every", "1s", "--data-dir", str(data_dir), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["read"]) == ("ok", 0)
    con = warehouse.open_published(data_dir)
    try:
        assert queries.runs(con).select("status", "read").rows() == [("ok", 0)]
    finally:
        con.close()
