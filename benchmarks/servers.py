"""Servers that tests and benchmarks start on a free port of 127.0.0.1 (Streamlit, the Pub/Sub
emulator), through one helper, `serving`, that retries on a new port when the first is taken."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STREAMLIT_READY = b"You can now view your Streamlit app"
"""What Streamlit logs once it listens (`streamlit run`, `moodcast dashboard`)."""
EMULATOR = Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator")
"""The Pub/Sub emulator (gcloud's `pubsub-emulator` component; it needs java)."""
EMULATOR_READY = b"Server started"
"""What the Pub/Sub emulator logs once it listens."""


@dataclass(frozen=True)
class Server:
    """A started server: its process (the leader of its own process group), port and log."""

    process: subprocess.Popen
    port: int
    log: Path


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now. Another process may take it before a server
    binds it: start servers with `serving`, which retries."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serving(
    command: Callable[[int], Sequence[str]],
    *,
    ready: bytes,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    ports: Iterable[int] | None = None,
    attempts: int = 5,
    timeout_s: float = 90,
) -> contextlib.AbstractContextManager[Server]:
    """Start `command(port)` (stdout and stderr to a new `log_dir/server-PORT-*.log`, in a
    process group of its own), yield it once its log shows `ready`, and stop the group after
    the block; its logs are removed when the block ends without an error, kept otherwise.

    A port is free when `free_port` returns it, but another process can take it before the
    server binds it. When the log says so (`port_taken`) before `ready`, the server is stopped
    and started again on the next port: of `ports` (default: a new free port each time), at
    most `attempts` in all. Raises ValueError at the call when there is no port to try (an
    empty `ports`, `attempts` below 1); on entering the block, RuntimeError, naming the log,
    when every port tried was taken, when the server exits before `ready`, or when it shows
    neither in `timeout_s`."""
    if attempts < 1:
        raise ValueError(f"serving needs at least 1 attempt, not attempts={attempts}")
    if ports is None:
        tried = iter(free_port, None)
    else:
        ports = iter(ports)
        first = next(ports, None)
        if first is None:
            raise ValueError(
                "serving got no port to try: `ports` is empty; give at least one port, or "
                "leave `ports` out for a new free port on each attempt"
            )
        tried = itertools.chain([first], ports)
    return _serving(
        command,
        ready=ready,
        log_dir=log_dir,
        env=env,
        ports=itertools.islice(tried, attempts),
        timeout_s=timeout_s,
    )


@contextlib.contextmanager
def _serving(
    command: Callable[[int], Sequence[str]],
    *,
    ready: bytes,
    log_dir: Path,
    env: Mapping[str, str] | None,
    ports: Iterator[int],
    timeout_s: float,
) -> Iterator[Server]:
    """`serving` on each of `ports` in turn (at least one), until one is not taken."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logs = []
    for port in ports:
        with tempfile.NamedTemporaryFile(
            dir=log_dir, prefix=f"server-{port}-", suffix=".log", delete=False
        ) as out:
            process = subprocess.Popen(
                command(port), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        logs.append(log := Path(out.name))
        try:
            if _started(process, log, ready, port, timeout_s):
                yield Server(process, port, log)
                break
        finally:
            _stop(process)
    else:
        raise RuntimeError(
            f"every port tried was taken ({len(logs)} tries); see the logs in {log_dir}"
        )
    for log in logs:
        log.unlink()


def _started(
    process: subprocess.Popen, log: Path, ready: bytes, port: int, timeout_s: float
) -> bool:
    """True once `log` shows `ready`; False when it says first that `port` is taken."""
    deadline = time.monotonic() + timeout_s
    while True:
        exited = process.poll() is not None
        text = log.read_bytes()
        if ready in text:
            return True
        if port_taken(text, port):
            return False
        if exited:
            raise RuntimeError(f"the server exited ({process.returncode}) before ready; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not ready in {timeout_s:g} s; see {log}")
        time.sleep(0.2)


def port_taken(log: bytes, port: int) -> bool:
    """Whether a server's `log` says that its `port` is taken: `Address already in use` (the
    Pub/Sub emulator, which then hangs; Python's servers), `Port N is not available`
    (Streamlit, which exits), `port N of HOST is already in use` (`moodcast dashboard`)."""
    said = rb"Address already in use|\bPort %d is not available|\bport %d of \S+ is already in use"
    return re.search(said % (port, port), log) is not None


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then, once the server has exited or after 30 s,
    SIGKILL to what is left of the group (a child that outlived SIGTERM); a group already
    gone is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def emulator_missing() -> str | None:
    """Why the Pub/Sub emulator cannot start on this machine, or None."""
    if EMULATOR.exists() and shutil.which("java") is not None:
        return None
    return f"needs the Pub/Sub emulator ({EMULATOR}) and java"


def pubsub_emulator(log_dir: Path, **options) -> contextlib.AbstractContextManager[Server]:
    """The Pub/Sub emulator on a free port of 127.0.0.1 for a block (`serving`, with `options`
    such as `ports`); clients reach it through `PUBSUB_EMULATOR_HOST=127.0.0.1:PORT`."""
    return serving(
        lambda port: [str(EMULATOR), "--host=127.0.0.1", f"--port={port}"],
        ready=EMULATOR_READY,
        log_dir=log_dir,
        **options,
    )
