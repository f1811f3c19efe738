"""`benchmarks.servers.serving`, the one way tests and benchmarks start a server on a free port:
a port taken between `free_port` and the server's bind (another process, another xdist worker)
is a retry on a new port, not a failed test."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.request

import pytest

from benchmarks.servers import (
    STREAMLIT_READY,
    emulator_missing,
    free_port,
    pubsub_emulator,
    serving,
)
from dashboard.serve import serve_command

HTTP_READY = b"Serving HTTP on"


def _http_server(port: int) -> list[str]:
    return [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def taken():
    """A port of 127.0.0.1 that this test holds bound and listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_taken_port_is_retried_on_a_new_one_and_the_server_answers_there(taken, tmp_path):
    with serving(
        _http_server, ready=HTTP_READY, log_dir=tmp_path, ports=[taken, taken, free_port()]
    ) as server:
        assert server.port != taken
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10) as response:
            assert response.status == 200
        refused = [log.read_bytes() for log in tmp_path.glob(f"server-{taken}-*.log")]
        assert len(refused) == 2 and all(b"Address already in use" in log for log in refused)
    assert not _listening(server.port), "the server outlived its block"


def test_when_every_port_tried_is_taken_it_says_so(taken, tmp_path):
    started = serving(
        _http_server, ready=HTTP_READY, log_dir=tmp_path, ports=[taken] * 5, attempts=2
    )
    with pytest.raises(RuntimeError, match=r"every port tried was taken \(2 tries\)"), started:
        pytest.fail("no server can have started")


def test_a_server_that_exits_for_another_reason_is_not_retried(tmp_path):
    ports = iter([free_port(), free_port()])
    exits = [sys.executable, "-c", "raise SystemExit(2)"]
    started = serving(lambda port: exits, ready=HTTP_READY, log_dir=tmp_path, ports=ports)
    with pytest.raises(RuntimeError, match=r"exited \(2\) before ready; see .*server-"), started:
        pytest.fail("no server can have started")
    assert next(ports, None) is not None, "it tried a second port"


def test_a_server_never_ready_is_an_error_naming_its_log(tmp_path):
    never = serving(lambda port: ["sleep", "600"], ready=HTTP_READY, log_dir=tmp_path, timeout_s=1)
    with pytest.raises(RuntimeError, match="not ready in 1 s"), never:
        pytest.fail("no server can have started")
    assert len(list(tmp_path.glob("server-*.log"))) == 1


@pytest.mark.slow
def test_streamlit_on_a_taken_port_is_started_on_another(taken, tmp_path):
    """Streamlit exits (`Port N is not available`) when its port is taken."""
    _, env = serve_command(tmp_path, k=11, tz="UTC")
    with serving(
        lambda port: serve_command(tmp_path, port=port, k=11, tz="UTC")[0],
        ready=STREAMLIT_READY,
        log_dir=tmp_path / "logs",
        env=env,
        ports=[taken, free_port()],
    ) as server:
        assert server.port != taken
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_stcore/health") as health:
            assert health.status == 200


@pytest.mark.slow
def test_the_pubsub_emulator_on_a_taken_port_is_started_on_another(taken, tmp_path):
    """The emulator logs `Address already in use` when its port is taken, and then hangs."""
    if (missing := emulator_missing()) is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    with pubsub_emulator(tmp_path, ports=[taken, free_port()]) as server:
        assert server.port != taken and _listening(server.port)
    assert not _listening(server.port), "the emulator outlived its block"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_child_left_in_the_group_when_the_server_exits_is_stopped_with_it(tmp_path):
    """Regression: `serving` stopped the group with SIGTERM and, once its leader had exited,
    no more: a child of the server that outlives SIGTERM kept running after the block."""
    stubborn = f"(trap '' TERM; exec sleep 600) & echo child $!; echo {HTTP_READY.decode()}; wait"
    with serving(lambda port: ["sh", "-c", stubborn], ready=HTTP_READY, log_dir=tmp_path) as server:
        child = int(server.log.read_text().split()[1])
    for _ in range(50):
        if _gone(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the server's child outlived its block")


def test_the_logs_of_a_server_stopped_after_its_block_are_removed(taken, tmp_path):
    """Regression: every server left its log, and every port found taken another, in
    `log_dir`: `served` writes under the temporary folder, where they piled up run after run."""
    with serving(_http_server, ready=HTTP_READY, log_dir=tmp_path, ports=[taken, free_port()]):
        assert len(list(tmp_path.glob("server-*.log"))) == 2
    assert list(tmp_path.glob("server-*.log")) == []
