"""`moodcast stream` on a Pub/Sub it cannot reach (no emulator where PUBSUB_EMULATOR_HOST points,
a host that does not resolve, no credentials for Google Cloud) stops before its job starts, with
an error naming the subscription and what to check (exit 4, an input that cannot be used).
Before, the job started and its pull retried quietly: a `--duration 60s` session ended `ok`,
exit 0, "read 0 posts", which an operator reads as a quiet hour, not as a broken feed."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

import moodcast.stream
from moodcast.cli import main

SUBSCRIPTION = "projects/moodcast-test/subscriptions/posts"


def closed_port() -> str:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{closed.getsockname()[1]}"


def stream_for_seconds(data_dir, monkeypatch):
    monkeypatch.setattr(moodcast.stream, "REACH_TIMEOUT", timedelta(seconds=1), raising=False)
    args = ["stream", "--subscription", SUBSCRIPTION, "--duration", "4s"]
    args += ["--early-every", "1s", "--load-every", "1s", "--data-dir", str(data_dir), "--json"]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("host", ["a closed port", "moodcast-no-such-host.invalid:8085"])
def test_a_pubsub_nobody_answers_is_an_error_naming_the_subscription(tmp_path, monkeypatch, host):
    host = closed_port() if host == "a closed port" else host
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
    result = stream_for_seconds(tmp_path / "data", monkeypatch)
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert SUBSCRIPTION in said and f"PUBSUB_EMULATOR_HOST={host}" in said
    assert '"status": "ok"' not in result.output
    assert not (tmp_path / "data" / "stream").exists()


def test_google_cloud_without_credentials_is_an_error_naming_them(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    result = stream_for_seconds(tmp_path / "data", monkeypatch)
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert SUBSCRIPTION in said and "credentials" in said
    assert not (tmp_path / "data" / "stream").exists()


@pytest.mark.slow
def test_the_check_passes_a_subscription_pubsub_holds_and_names_one_it_lacks(emulator, monkeypatch):
    from ingest.running_stream import SubscriptionUnreachable, check_reachable
    from tests.emulator import topic_and_subscription

    _, _, subscription = topic_and_subscription(emulator, monkeypatch, "reachable")
    check_reachable(subscription)
    missing = subscription + "-missing"
    with pytest.raises(SubscriptionUnreachable) as raised:
        check_reachable(missing)
    assert missing in str(raised.value) and "exists" in str(raised.value)


@pytest.mark.slow
def test_a_session_that_read_nothing_and_lost_pubsub_is_failed_not_quiet(tmp_path, monkeypatch):
    """Pub/Sub answered as the session started, then stopped answering: the session read no
    post, so it is recorded `failed` and raises, not `ok` with 0 posts."""
    import warehouse
    from benchmarks.servers import emulator_missing, pubsub_emulator
    from benchmarks.small_run import LEXICON_ONLY
    from ingest.running_stream import SubscriptionUnreachable
    from moodcast.config import load_settings
    from moodcast.stream import stream_run
    from tests.emulator import topic_and_subscription
    from warehouse import queries

    if (missing := emulator_missing()) is not None:
        pytest.skip(missing)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    monkeypatch.setattr(moodcast.stream, "REACH_TIMEOUT", timedelta(seconds=1))
    stop = threading.Event()
    with contextlib.ExitStack() as emulator:
        server = emulator.enter_context(pubsub_emulator(tmp_path / "emulator"))
        _, _, subscription = topic_and_subscription(f"127.0.0.1:{server.port}", monkeypatch, "lost")

        def stop_once_the_emulator_is_gone() -> None:
            deadline = time.monotonic() + 240
            while not any(data_dir.glob("stream/*")) and time.monotonic() < deadline:
                time.sleep(0.1)
            emulator.close()
            stop.set()

        stopper = threading.Thread(target=stop_once_the_emulator_is_gone, daemon=True)
        stopper.start()
        with pytest.raises(SubscriptionUnreachable) as raised:
            stream_run(
                subscription,
                settings=load_settings(data_dir),
                early_every=timedelta(seconds=1),
                allowed_lateness=timedelta(days=2),
                load_every=timedelta(seconds=1),
                duration=timedelta(seconds=300),
                beam_args=[],
                stop=stop,
            )
        stopper.join(timeout=30)
    assert subscription in str(raised.value) and "read no post" in str(raised.value)
    con = warehouse.open_published(data_dir)
    try:
        assert queries.runs(con).get_column("status").to_list() == ["failed"]
    finally:
        con.close()
