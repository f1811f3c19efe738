"""`benchmarks.servers.serving` retries on a new port only when the server's log says that its
own port is taken, and counts the ports it really tried."""

from __future__ import annotations

import sys

import pytest

from benchmarks.servers import free_port, serving

READY = b"listening now"
WAITS_READY = ["sh", "-c", f"echo {READY.decode()}; exec sleep 600"]
"""A server that says READY, then waits to be stopped."""


@pytest.mark.parametrize(
    "said",
    [
        "CUDA is not available",
        "Port {other} is not available",
        "port {other} of ::1 is already in use",
    ],
)
def test_a_server_that_exits_saying_something_else_is_taken_is_not_retried(said, tmp_path):
    """Regression: any `is not available` in the log before the ready line (a library, a
    device, another port) counted as its port taken: the server was retried on the next port
    instead of its exit being reported."""
    ports = iter([free_port(), free_port()])

    def command(port: int) -> list[str]:
        line = said.format(other=port + 1)
        return [sys.executable, "-c", f"print({line!r}); raise SystemExit(3)"]

    started = serving(command, ready=READY, log_dir=tmp_path, ports=ports)
    with pytest.raises(RuntimeError, match=r"exited \(3\) before ready"), started:
        pytest.fail("no server can have started")
    assert next(ports, None) is not None, "it tried a second port"


@pytest.mark.parametrize(
    "said",
    [
        "Port {port} is not available",
        "OSError: [Errno 98] Address already in use",
        "Error: port {port} of 127.0.0.1 is already in use, by another server",
    ],
)
def test_its_own_port_taken_is_retried_on_the_next(said, tmp_path):
    first, second = free_port(), free_port()

    def command(port: int) -> list[str]:
        if port == first:
            return [sys.executable, "-c", f"print({said.format(port=port)!r}); raise SystemExit(1)"]
        return WAITS_READY

    with serving(command, ready=READY, log_dir=tmp_path, ports=[first, second]) as server:
        assert server.port == second


def test_every_port_taken_counts_the_ports_tried_not_the_attempts_allowed(tmp_path):
    """Regression: with fewer `ports` than `attempts` it said `(5 tries)` after one."""
    taken = ["sh", "-c", "echo 'Address already in use'; exit 1"]
    started = serving(lambda p: taken, ready=READY, log_dir=tmp_path, ports=[free_port()])
    with pytest.raises(RuntimeError, match=r"every port tried was taken \(1 tries\)"), started:
        pytest.fail("no server can have started")
