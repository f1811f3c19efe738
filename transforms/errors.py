"""The one family of errors moodcast raises on purpose.

Every package raises a subclass of one of the kinds below, with a message that says what
happened and what to do. Only the edges translate them: `moodcast.cli` turns each kind into a
one-paragraph message and its exit code (the table is there, and in the README), the dashboard
into a notice. Each kind is also a `ValueError` where the errors it replaced were, so existing
`except ValueError` handlers keep working.
"""

from __future__ import annotations


class MoodcastError(Exception):
    """Base of every error moodcast raises on purpose; its message is meant for the user."""


class ConfigError(MoodcastError, ValueError):
    """A setting (config.toml, an option, an environment variable, a mapping file, Beam's
    flags) is missing or invalid; the message names it, where it was set and the form it needs."""


class InputError(MoodcastError, ValueError):
    """An input cannot be used: it matches no file, is a directory, cannot be read, changed
    since it was loaded, or yields no usable post."""


class MarkerError(MoodcastError, ValueError):
    """A marker file or lexicon is malformed, or a marker cannot decide as asked; the message
    names the file and the field to fix."""


class ModelError(MoodcastError, ValueError):
    """A configured sentence model cannot be loaded or used."""


class WarehouseError(MoodcastError):
    """The warehouse cannot do what was asked (none published yet, another version's schema,
    rows that break a load's contract)."""


class BusyError(MoodcastError):
    """Another process holds what this one needs (the data directory's run lock): try later."""


class ContractError(MoodcastError, ValueError):
    """A frame does not follow its contract; the message names the missing or mistyped columns."""


class WorkerError(MoodcastError):
    """A step of a Beam job failed on a worker with an error moodcast did not raise on purpose
    (a MemoryError, a bug); the message names the step, the error's class and its message
    (ingest.worker_errors)."""


class WorkerOSError(WorkerError, OSError):
    """A WorkerError whose error was an OSError (a permission denied or a full disk on the
    worker): an OSError too, so it keeps an OSError's exit code."""
