"""`moodcast connect … --topic` naming a topic the Pub/Sub service does not have (or lets this
client publish to) stops with an error naming the topic and what to check, exit 3. Before, the
publish's NotFound escaped as a traceback (exit 1) once the first flush waited for it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moodcast.cli import main
from tests.emulator import PROJECT
from tests.moodcast.connect_servers import websocket_server
from tests.moodcast.test_connect import _commit


def test_a_topic_that_does_not_exist_is_a_clear_error(tmp_path, emulator, monkeypatch):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator)

    def handler(connection):
        for i in range(3):
            connection.send(json.dumps(_commit(i)))
        for _ in connection:
            pass

    topic = f"projects/{PROJECT}/topics/no-such-topic"
    with websocket_server(handler) as url:
        result = CliRunner().invoke(
            main,
            ["connect", "bluesky", "--jetstream", url, "--topic", topic]
            + ["--max-posts", "3", "--data-dir", str(tmp_path / "data")],
            obj={},
        )
    assert result.exit_code == 3, result.output
    assert topic in result.output and "not found" in result.output.lower()
    assert not (tmp_path / "data" / "connect" / "bluesky.cursor").exists()
