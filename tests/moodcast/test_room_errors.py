"""A write refused for want of room says which room: a full disk (ENOSPC), the user's disk
quota used up (EDQUOT: the disk may have space), a file past the file-size limit (EFBIG), each
with what to do (warehouse.room.out_of_room), in a run's error and in the dashboard's events."""

from __future__ import annotations

import errno
import os
import resource
import signal
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from moodcast.run_stops import clean_os_errors
from warehouse.annotations import AnnotationError, add_annotation
from warehouse.errors import WarehouseError


def _run_error(exc: OSError, data_dir: Path) -> str:
    """The message of a run whose write failed with `exc`."""
    with pytest.raises(WarehouseError) as refused, clean_os_errors(data_dir):
        raise exc
    return str(refused.value)


def test_a_used_up_quota_is_worded_as_a_quota_not_a_full_disk(tmp_path):
    """Regression: EDQUOT read 'ran out of disk space … Free some space', though the disk
    may have room and only the user's quota is used up."""
    landing = tmp_path / "landing" / "part-0.parquet"
    message = _run_error(OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(landing)), tmp_path)
    assert "disk quota" in message and "larger quota" in message, message
    assert f"could not write {landing}" in message
    assert "disk space" not in message and "is full" not in message
    assert "Nothing was published" in message


def test_a_full_disk_is_still_worded_as_a_full_disk(tmp_path):
    message = _run_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "x.parquet"), tmp_path)
    assert "the disk holding x.parquet is full" in message and "free some disk space" in message
    assert "quota" not in message


@contextmanager
def _file_size_limit(limit_bytes: int):
    """Writes past `limit_bytes` fail with EFBIG (SIGXFSZ ignored) in this process, for the
    block only."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_file_size_limit_is_worded_as_that_limit_in_a_run(tmp_path):
    """Regression: a real EFBIG (the process's file-size limit) read 'ran out of disk
    space'."""
    big = tmp_path / "big.bin"
    with (
        pytest.raises(WarehouseError) as refused,
        clean_os_errors(tmp_path),
        _file_size_limit(64),
    ):
        big.write_bytes(b"x" * 4096)
    message = str(refused.value)
    assert "largest file allowed" in message and "ulimit -f" in message, message
    assert "disk space" not in message


def test_a_file_size_limit_is_worded_as_that_limit_for_events(tmp_path):
    """Regression: the dashboard's events had no words for EFBIG (the operating system's
    alone) and worded EDQUOT as a full device."""
    with pytest.raises(AnnotationError) as refused, _file_size_limit(16):
        add_annotation(tmp_path, day=date(2025, 3, 1), label="Heatwave")
    message = str(refused.value)
    assert "largest file allowed" in message and "add the event again" in message, message
