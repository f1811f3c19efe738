"""How a run stops cleanly: a write refused for want of room or an unwritable data directory
as one error, SIGTERM unwound like Ctrl-C, and a failed run recorded in the ledger."""

from __future__ import annotations

import errno
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import warehouse
from warehouse.room import out_of_room

log = logging.getLogger("moodcast.run")  # the run's log lines keep their name on stderr

_ACCESS_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextmanager
def clean_os_errors(data_dir: Path) -> Iterator[None]:
    """A write refused for want of room (warehouse.room.out_of_room: a full disk, a used-up
    quota, a file-size limit) or an unwritable data directory as one WarehouseError paragraph."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or data_dir
        if room := out_of_room(exc, where):
            raise warehouse.WarehouseError(
                f"moodcast could not write {where}: {room} (or point --data-dir at another "
                f"disk), and run again. Nothing was published: the warehouse and the exports in "
                f"{data_dir} are as they were, and the run's temporary files were removed."
            ) from exc
        if exc.errno in _ACCESS_ERRNOS:
            raise warehouse.WarehouseError(
                f"moodcast cannot write {where} ({exc.strerror}): the data directory must be "
                f"writable by the user running moodcast. Nothing was published. Fix its "
                f"permissions or mount, or point --data-dir at a writable directory, and run "
                f"again."
            ) from exc
        raise


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """While the run holds its lock, SIGTERM unwinds it like Ctrl-C, so the failure is
    ledgered, workers are stopped and temporary files removed; the process then exits with
    status 143 (whatever a stage made of the interruption on its way out). A caller that has
    its own SIGTERM handler (follow mode finishes the cycle under way) keeps it."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(
        signal.SIGTERM
    ) not in (signal.SIG_DFL, None):
        yield
        return
    received: list[int] = []

    def stop(signum, frame):
        received.append(signum)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except BaseException:
        if received:
            log.warning("run stopped by SIGTERM; recorded as failed, nothing published")
            raise SystemExit(128 + received[0]) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Attempt:
    """The run's ledger row, known once the run has its id: status `failed` (what a failed
    run leaves) until the run succeeds."""

    row: warehouse.RunRecord | None = None


@contextmanager
def ledgered_if_it_fails(
    data_dir: Path, lock: warehouse.RunLock, attempt: Attempt
) -> Iterator[None]:
    """On an exception (Ctrl-C and SIGTERM included), publish the run ledger with `attempt.row`
    added (nothing else of the run is kept), so the dashboard shows the failure; then
    re-raise. A failure to record it is logged, never raised over the run's own error."""
    try:
        yield
    except BaseException:
        if attempt.row is not None:
            try:
                with warehouse.writing(data_dir, lock=lock) as con:
                    warehouse.record_run(con, replace(attempt.row, finished_at=datetime.now(UTC)))
            except Exception:
                log.warning("run: could not record the failed run in the ledger", exc_info=True)
        raise
