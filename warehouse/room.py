"""The one wording of a write refused for want of room, by its errno: a full disk (ENOSPC),
the user's disk quota used up (EDQUOT), a file past the largest size allowed (EFBIG). A run's
error (moodcast.run_stops, and warehouse.store for DuckDB's own writes) and the dashboard's
events (warehouse.annotations) say it alike."""

from __future__ import annotations

import errno
import os
from pathlib import Path

ROOM_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def out_of_room(exc: OSError, where: Path | str) -> str | None:
    """What stopped a write at `where` for want of room and what to do about it, a sentence
    without its full stop; None when `exc` is not such an error."""
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {where} is full ({exc.strerror}): free some disk space on it"
    if exc.errno == errno.EDQUOT:
        return (
            f"the user running moodcast has used up their disk quota on the file system "
            f"holding {where} ({exc.strerror}), though the disk itself may have room: delete "
            "some of that user's files there, or ask the system's administrator for a larger "
            "quota (`quota -s` shows it)"
        )
    if exc.errno == errno.EFBIG:
        return (
            f"{where} would grow past the largest file allowed ({exc.strerror}): the process's "
            "file-size limit (`ulimit -f`, a service's LimitFSIZE) or the file system's own; "
            "raise that limit"
        )
    return None


def out_of_room_in_words(message: str, where: Path | str) -> str | None:
    """out_of_room for an error that carries no errno, only the operating system's words of
    it in `message` (a DuckDB IOException: `…: File too large`); None when they are not
    those of ROOM_ERRNOS."""
    for code in ROOM_ERRNOS:
        if os.strerror(code) in message:
            return out_of_room(OSError(code, os.strerror(code)), where)
    return None
