"""The warehouse's exceptions: one base class, a subclass per thing the caller can act on.

Messages say what happened and what to do; the CLI and the dashboard show them as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transforms import errors

if TYPE_CHECKING:
    from warehouse.lock import Holder


class WarehouseError(errors.WarehouseError):
    """Base class of every error the warehouse raises on purpose."""


class RunLocked(errors.BusyError, WarehouseError):
    """Another process holds the data directory's run lock.

    `holder` describes it (pid, host, command, start time), or is None when the lock file
    could not be read yet.
    """

    def __init__(self, message: str, *, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


class NoWarehouse(WarehouseError):
    """No published warehouse file exists in the data directory yet."""


class DamagedWarehouse(WarehouseError):
    """The published warehouse file cannot be read as a whole: cut short, not a DuckDB file, or
    a block whose checksum fails."""


class SchemaMismatch(WarehouseError):
    """The warehouse file was written by another, incompatible version of moodcast."""


class LoadError(WarehouseError):
    """Rows offered to a load break its contract (wrong days, duplicate keys, bad counts)."""


class ReleaseSettingsChanged(WarehouseError):
    """A reader's release settings (privacy, k, week grain) differ from those the last write
    that published chose its release with (table `release_settings`)."""
