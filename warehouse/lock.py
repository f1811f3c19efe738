"""The run lock: one writer per data directory, and a clear message naming it to the next.

The lock is `fcntl.flock` on `data_dir/moodcast.lock`. The kernel drops it when the holding
process exits, crashed or not, so a stale lock file never blocks a later run: its contents
(the holder) are only ever read to explain a refusal. `flock` is per open file, so a second
`RunLock` in the same process is refused too. It is reliable on local file systems; on NFS
use a data directory on local disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from warehouse.errors import RunLocked

LOCK_NAME = "moodcast.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds the run lock: process id, host name, command line, start time (ISO, UTC)."""

    pid: int
    host: str
    command: str
    started_at: str

    def describe(self) -> str:
        """One line for a person: `pid 4242 on host-a, started …, running: moodcast run …`."""
        return f"pid {self.pid} on {self.host}, started {self.started_at}, running: {self.command}"


def lock_path(data_dir: Path | str) -> Path:
    """The lock file of a data directory."""
    return Path(data_dir) / LOCK_NAME


def _parse_holder(raw: bytes) -> Holder | None:
    try:
        fields = json.loads(raw.decode("utf-8"))
        return Holder(
            pid=int(fields["pid"]),
            host=str(fields["host"]),
            command=str(fields["command"]),
            started_at=str(fields["started_at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


class RunLock:
    """Exclusive, non-blocking lock on a data directory, held by one run at a time.

    Use as a context manager or call `acquire()` / `release()`. `acquire` never waits: it
    raises RunLocked, naming the holder, when another process (or another RunLock in this
    one) has it. `command` is recorded for that message; it defaults to this process's
    command line.
    """

    def __init__(self, data_dir: Path | str, *, command: str | None = None) -> None:
        self.path = lock_path(data_dir)
        self.command = command if command is not None else shlex.join(sys.argv)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True between a successful `acquire()` and `release()`."""
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock and write this process in the lock file; return self.

        Raises RunLocked when it is held elsewhere, and RuntimeError when this object
        already holds it. Creates the data directory if it does not exist.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _parse_holder(os.pread(fd, 64 * 1024, 0))
            os.close(fd)
            raise RunLocked(self._refusal(holder), holder=holder) from None
        except BaseException:
            os.close(fd)
            raise
        me = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=self.command,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(asdict(me)) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Clear the lock file and drop the lock. Does nothing when not held."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def holder(self) -> Holder | None:
        """The holder recorded in the lock file, without locking: None when empty or unreadable.

        A recorded holder whose process has exited no longer holds the lock.
        """
        try:
            return _parse_holder(self.path.read_bytes())
        except FileNotFoundError:
            return None

    def _refusal(self, holder: Holder | None) -> str:
        where = self.path.parent
        if holder is None:
            return (
                f"Another moodcast run is writing to {where} (it has not recorded itself in "
                f"{self.path} yet). Wait for it to finish, then run again."
            )
        return (
            f"Another moodcast run is writing to {where}: {holder.describe()}. Wait for it to "
            f"finish, then run again. The lock frees itself when that process exits; if pid "
            f"{holder.pid} is no longer running on {holder.host}, just run again."
        )

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
