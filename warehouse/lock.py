"""The run lock: one writer per data directory, and a clear message naming it to the next.

The lock is `fcntl.flock` on `data_dir/moodcast.lock`. The kernel drops it when the holding
process exits, crashed or not, so a stale lock file never blocks a later run. A child forked
while the lock is held (a forecasting worker) closes its copy of the lock's descriptor and is
killed when its parent dies (Linux `PR_SET_PDEATHSIG`), so the lock is free as soon as the
holder is gone and no worker outlives it. The file's contents name the holder (to explain a
refusal) and, once noted, the run it is doing: a later run that finds them left behind knows
that run was killed (`RunLock.stale`). `flock` is per open file, so a second `RunLock` in the
same process is refused too. A lock file removed while a process is taking it (a stream session
deleting its own) is not held: the taker checks, once it has the lock, that the path still
names the file it locked, and starts again on the new one if not. It is reliable on local file
systems; on NFS use a data directory on local disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shlex
import signal
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from warehouse.errors import RunLocked

LOCK_NAME = "moodcast.lock"
_PR_SET_PDEATHSIG = 1
_HELD: dict[int, int] = {}
"""Descriptor → pid of the process that acquired it, for every RunLock held in this process."""


def _after_fork_in_child() -> None:
    """In a child forked while a RunLock is held: drop the inherited descriptors (the lock
    stays the parent's) and ask to be killed when the parent dies."""
    if not _HELD:
        return
    parent = next(iter(_HELD.values()))
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass(frozen=True)
class Holder:
    """Who holds the run lock: process id, host name, command line, start time (ISO, UTC), and
    `run`, what the holder noted about the run it is doing (RunLock.note), or None."""

    pid: int
    host: str
    command: str
    started_at: str
    run: dict | None = None

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
            run=fields.get("run") if isinstance(fields.get("run"), dict) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
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
        self._me: Holder | None = None
        self.stale: Holder | None = None

    @property
    def held(self) -> bool:
        """True between a successful `acquire()` and `release()`."""
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock and write this process in the lock file; return self.

        Raises RunLocked when it is held elsewhere, and RuntimeError when this object
        already holds it. Creates the data directory if it does not exist. A holder left in
        the file by a process that died without releasing the lock becomes `stale`.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = self._locked_file()
        self.stale = _parse_holder(os.pread(fd, 64 * 1024, 0))
        self._fd = fd
        _HELD[fd] = os.getpid()
        self._me = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=self.command,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._write(self._me)
        return self

    def _locked_file(self) -> int:
        """A descriptor of the file at `path`, locked. A file removed (or replaced) between
        its opening and its locking is not the lock any more: it is let go and the file now
        at `path` is opened and locked instead."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                with contextlib.suppress(FileNotFoundError):
                    if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                        return fd
            except BlockingIOError:
                holder = _parse_holder(os.pread(fd, 64 * 1024, 0))
                os.close(fd)
                raise RunLocked(self._refusal(holder), holder=holder) from None
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def note(self, run: dict) -> None:
        """Record `run` (JSON-serialisable facts about the run under way) in the lock file,
        for the next run to find if this process is killed before it releases the lock."""
        if self._fd is None or self._me is None:
            raise RuntimeError(f"{self.path} is not held by this RunLock")
        self._me = Holder(**{**asdict(self._me), "run": run})
        self._write(self._me)

    def _write(self, holder: Holder) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (json.dumps(asdict(holder)) + "\n").encode("utf-8"), 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """Clear the lock file and drop the lock. Does nothing when not held. A `stale` holder
        not yet dealt with (warehouse.writing clears it once it has recorded the killed run)
        is put back, for the next holder to find."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _HELD.pop(fd, None)
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                if self.stale is not None:
                    os.pwrite(fd, (json.dumps(asdict(self.stale)) + "\n").encode("utf-8"), 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def abandon(self) -> None:
        """Drop the lock and leave the file as it is (holder and note), as a process killed
        while holding it does: the next acquirer finds them `stale`. Does nothing when not
        held."""
        fd, self._fd = self._fd, None
        if fd is not None:
            _HELD.pop(fd, None)
            os.close(fd)

    def taken(self) -> bool:
        """Whether a process holds the lock now (this object excepted), tested with a shared
        lock on the file taken and let go at once: the file is neither created nor written."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

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
            f"finish, then run again. The lock frees itself when that process and its workers "
            f"have exited; if pid {holder.pid} is gone from {holder.host} and this persists, a "
            f"process started by it still holds {self.path} (`fuser {self.path}` names it)."
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
