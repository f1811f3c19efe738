"""The one family of errors moodcast raises on purpose.

Every package raises a subclass of one of the kinds below, with a message that says what
happened and what to do. Only the edges translate them: `moodcast.cli` turns each kind into a
one-paragraph message and its exit code (the table is there, and in the README), the dashboard
into a notice. Each kind is also a `ValueError` where the errors it replaced were, so existing
`except ValueError` handlers keep working.
"""

from __future__ import annotations

import re


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


_RAISED = re.compile(
    r"^(?:RuntimeError: )?((?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*): (.*?)(?: \[while running '[^\n]*'\])?$",
    re.MULTILINE,
)
"""A traceback's last line, `<module>.<Class>: <message>`, without the step Beam appends, or
Beam's RuntimeError holding that line (a worker's error that Beam could not rebuild with the
step appended)."""
_CHAINED = re.compile(
    r"^(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)$",
    re.MULTILINE,
)
"""The line Python's traceback puts between a chained exception and the one raised from it or
while handling it."""


def raised_remotely(error: BaseException) -> MoodcastError | None:
    """The error of this family that a remote runner's worker raised, found in the text of
    `error`, the runner's own failure (Beam's PortableRunner raises a RuntimeError holding the
    worker's traceback, Dataflow a DataflowRuntimeException), as its kind (the first class of
    this module in its class's method resolution order: a TaggingError is an InputError) with
    its message, so the CLI gives the kind's exit code and message, not exit 1 and a
    traceback. The last traceback line naming a subclass of MoodcastError that this process
    knows, after the text's last chained exception (Python's `The above exception was the
    direct cause…` or `During handling of the above exception…`), decides: an error of this
    family that another error was raised from, or while handling, is not the failure. Only
    that line of its message is kept, without Beam's ` [while running '<step>']`. None when
    `error` is of this family already (an in-process runner raises the worker's own error) or
    that part of its text names none."""
    if isinstance(error, MoodcastError):
        return None
    family = _family()
    failure = _CHAINED.split(str(error))[-1]
    raised = [m for m in _RAISED.finditer(failure) if m.group(1) in family]
    if not raised:
        return None
    name, message = raised[-1].groups()
    kind = next(c for c in family[name].__mro__ if c.__module__ == __name__)
    return kind(message)


def _family() -> dict[str, type[MoodcastError]]:
    """MoodcastError and its subclasses defined so far, by `<module>.<qualified name>`."""
    found, todo = {}, [MoodcastError]
    while todo:
        kind = todo.pop()
        found[f"{kind.__module__}.{kind.__qualname__}"] = kind
        todo.extend(kind.__subclasses__())
    return found
