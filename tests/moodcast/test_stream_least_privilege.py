"""A stream whose account may consume the subscription but not read its settings (Google
Cloud's roles/pubsub.subscriber grants pubsub.subscriptions.consume, not
pubsub.subscriptions.get) starts, and a quiet session on it ends `ok` with 0 posts. Before, the
reachability check asked only GetSubscription, took its PERMISSION_DENIED for a refusal and
stopped every least-privileged deployment that could pull (exit 4).

Pub/Sub here is a gRPC server of the test's own on 127.0.0.1 (PUBSUB_EMULATOR_HOST names it),
answering as Google Cloud answers such an account: GetSubscription denied, TestIamPermissions
granting what `granted` holds, Pull with no message."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from click.testing import CliRunner
from google.iam.v1 import iam_policy_pb2

from ingest.running_stream import SubscriptionUnreachable, check_reachable
from moodcast.cli import main

SUBSCRIPTION = "projects/moodcast-test/subscriptions/posts"
CONSUME = "pubsub.subscriptions.consume"


@contextlib.contextmanager
def subscriber_only_pubsub(granted: list[str]) -> Iterator[str]:
    """A Pub/Sub that denies GetSubscription, grants `granted` to TestIamPermissions and answers
    each Pull with no message after a second (a long poll); yields its host:port."""

    def denied(request: bytes, context: grpc.ServicerContext) -> bytes:
        context.abort(
            grpc.StatusCode.PERMISSION_DENIED, "User not authorized to perform this action."
        )

    def permissions(request: bytes, context: grpc.ServicerContext) -> bytes:
        asked = iam_policy_pb2.TestIamPermissionsRequest.FromString(request).permissions
        held = [permission for permission in asked if permission in granted]
        return iam_policy_pb2.TestIamPermissionsResponse(permissions=held).SerializeToString()

    def nothing(request: bytes, context: grpc.ServicerContext) -> bytes:
        time.sleep(1)
        return b""  # an empty PullResponse

    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "google.pubsub.v1.Subscriber",
                {
                    "GetSubscription": grpc.unary_unary_rpc_method_handler(denied),
                    "Pull": grpc.unary_unary_rpc_method_handler(nothing),
                },
            ),
            grpc.method_handlers_generic_handler(
                "google.iam.v1.IAMPolicy",
                {"TestIamPermissions": grpc.unary_unary_rpc_method_handler(permissions)},
            ),
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def test_an_account_that_may_consume_but_not_get_passes_the_check(monkeypatch, caplog):
    with subscriber_only_pubsub([CONSUME]) as host:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        with caplog.at_level(logging.INFO, logger="ingest.running_stream"):
            check_reachable(SUBSCRIPTION)
    said = " ".join(caplog.text.split())
    assert SUBSCRIPTION in said and "pubsub.subscriptions.get" in said


def test_an_account_that_may_not_consume_either_is_refused(monkeypatch):
    with subscriber_only_pubsub([]) as host:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        with pytest.raises(SubscriptionUnreachable) as raised:
            check_reachable(SUBSCRIPTION)
    said = " ".join(str(raised.value).split())
    assert SUBSCRIPTION in said and "not authorized" in said and CONSUME in said
    assert "action.," not in said  # Google's message ends with a full stop: not doubled


@pytest.mark.slow
def test_a_quiet_session_of_a_subscriber_only_account_ends_ok_with_no_post(tmp_path, monkeypatch):
    """The check at start and the one a session that read no post makes as it stops both
    pass: Pub/Sub answered, so the session is a quiet one, `ok`, exit 0."""
    with subscriber_only_pubsub([CONSUME]) as host:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        args = ["stream", "--subscription", SUBSCRIPTION, "--duration", "3s", "--early-every"]
        args += ["1s", "--load-every", "1s", "--data-dir", str(tmp_path / "data"), "--json"]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["read"]) == ("ok", 0)
