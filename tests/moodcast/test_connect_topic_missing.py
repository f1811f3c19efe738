"""`moodcast connect … --topic` naming a topic the Pub/Sub service does not have (or lets this
client publish to) stops with an error naming the topic and what to check, exit 3. Before, the
publish's NotFound escaped as a traceback (exit 1) once the first flush waited for it."""

from __future__ import annotations

import json
import threading

from click.testing import CliRunner
from websockets.sync.server import serve

from moodcast.cli import main
from tests.emulator import PROJECT
from tests.moodcast.test_connect import _commit


def test_a_topic_that_does_not_exist_is_a_clear_error(tmp_path, emulator, monkeypatch):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator)

    def handler(connection):
        for i in range(3):
            connection.send(json.dumps(_commit(i)))
        for _ in connection:
            pass

    topic = f"projects/{PROJECT}/topics/no-such-topic"
    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        result = CliRunner().invoke(
            main,
            ["connect", "bluesky", "--jetstream"]
            + [f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe", "--topic", topic]
            + ["--max-posts", "3", "--data-dir", str(tmp_path / "data")],
            obj={},
        )
        server.shutdown()
    assert result.exit_code == 3, result.output
    assert topic in result.output and "not found" in result.output.lower()
    assert not (tmp_path / "data" / "connect" / "bluesky.cursor").exists()
