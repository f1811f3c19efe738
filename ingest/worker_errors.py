"""What failed on a Beam worker, read from the runner's failure, as one error the CLI reports.

Beam's DoFnRunner re-raises an error of a step as the same kind with ` [while running '<step>']`
appended to its message or, where the kind cannot be rebuilt so (an OSError, a MemoryError, an
error with keyword-only arguments), as a RuntimeError `<Class>: <message> [while running
'<step>']`, raised while handling the worker's own error. An in-process runner (FnApiRunner, the
DirectRunner) raises that error itself; a remote runner raises its own failure holding the
worker's traceback as text (Beam's PortableRunner a RuntimeError, Dataflow a
DataflowRuntimeException), whose last chained exception ends with that line, after the
worker's own exception. `worker_error` reads either. `ours_ungrouped`, around the code of
ingest's steps, is the worker's side: an exception group of moodcast's errors leaves a step as
its first error.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import inspect
import re
from collections.abc import Callable
from typing import NoReturn, TypeVar

from transforms.errors import MoodcastError, WorkerError, WorkerOSError

Step = TypeVar("Step", bound=Callable)

PACKAGES = frozenset({"transforms", "ingest", "warehouse", "forecasting", "moodcast"})
"""moodcast's own packages whose code runs on a worker: a worker's error class named in one of
them is imported by name, as unpickling would, where the submitting process has not imported it.
Not `dashboard`, which no worker runs and whose Streamlit pages run when imported."""

_STEP = re.compile(r" \[while running '((?:(?! \[while running ')[^\n])*)'\]")
"""The step Beam appends to the first argument of a step's error, the last one where a message
holds the same words (a file name). It ends that argument, which is the message or, for an
error whose text puts it within a line (a UnicodeDecodeError: `'utf-8 [while running 'Step']'
codec can't decode…`), a part of it."""
_FRAME = re.compile(r'  File "')
"""How a traceback's frame line begins; its source and caret lines are indented further."""
_EXCEPTION = re.compile(r"(?P<name>(?:[A-Za-z_]\w*\.)*[A-Z]\w*)(?:: (?P<message>.*))?", re.DOTALL)
"""A traceback's exception text: its class and its message, which may span lines."""
_RAISED = re.compile(r"(?:RuntimeError: )?" + _EXCEPTION.pattern, re.DOTALL)
"""A traceback's exception text, the worker's own or Beam's RuntimeError naming its class."""
VERBOSE_HINT = " (moodcast --verbose shows the worker's traceback)"
"""How a WorkerError's message ends."""
_CHAINED = re.compile(
    r"^(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)$",
    re.MULTILINE,
)
"""The line Python's traceback puts between a chained exception and the one raised from it or
while handling it."""
_HANDLING = re.compile(
    r"\n\nDuring handling of the above exception, another exception occurred:\n\n"
    r"Traceback \(most recent call last\):\n"
)
"""What Python's traceback puts between an exception and the one raised while handling it."""
_GROUP_TRACEBACK = "  + Exception Group Traceback (most recent call last):"
"""How Python's traceback of an exception group (ExceptionGroup) begins: its own frames and
exception text follow, each line after `  | `, then a box of its sub-exceptions."""
_SUB_EXCEPTIONS = re.compile(r"^  \+-\+-+ 1 -+\n(?: {4}.*(?:\n|$))*", re.MULTILINE)
"""The box of an exception group's sub-exceptions in its traceback: its first line, then every
line indented four spaces or more, nested groups included (a box whose last sub-exception is a
group ends with that group's box, not a line of its own)."""


def worker_error(failure: BaseException) -> BaseException | None:
    """The error to report for `failure`, a Beam runner's failure caused by a step's error on a
    worker, or None where it names no step (a failure of the runner itself: the job service
    unreachable, a subscription missing).

    An error of moodcast's family is reported as itself where the runner ran in this process,
    and as its kind (the first class of transforms.errors in its class's method resolution
    order: a TaggingError is an InputError) with its message otherwise (the traceback's text
    after its last frame, without the step), its class imported by name where this process has
    not (PACKAGES). Any other error becomes a WorkerError naming the step, the error's class
    and its message (a WorkerOSError, which is an OSError, for an OSError: a permission denied
    or a full disk under a model or staging folder); a stop the user asked for (SystemExit,
    KeyboardInterrupt) raised inside a step in this process is returned as itself, and so is
    the first error of an exception group whose every error is of the family (which ingest's
    steps raise themselves, ours_ungrouped; a group that reaches here unconverted in process,
    _ours_in_group). A remote group is read as its own text (_ungrouped): a WorkerError naming
    it, never from the text of its sub-exceptions, which a message quoting a traceback can
    forge. A remote
    traceback decides by the worker's own exception: the one Beam's error was raised while
    handling, whose text Beam's error repeats with the step (_handled), so a message that holds
    a traceback's text, chain lines and our classes included, is that message. A text without
    it decides by its last chained exception (Python's `The above exception was the direct
    cause…` or `During handling of the above exception…`). Either way an error of the family
    that the worker's failure was raised from, or while handling, is not the failure."""
    if getattr(failure, "_tagged_with_step", False) and failure.__context__ is not None:
        own = failure.__context__
        tags = list(_STEP.finditer(str(failure.args[0]) if failure.args else ""))
        step = tags[-1] if tags and tags[-1].end() == len(str(failure.args[0])) else None
        if not isinstance(own, Exception) or isinstance(own, MoodcastError):
            return own
        if (ours := _ours_in_group(own)) is not None:
            return ours
        kind = type(own)
        name = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
        return _not_ours(kind, name, str(own), step.group(1) if step else None)
    if isinstance(failure, MoodcastError):
        return None
    text = _ungrouped(str(failure))
    failed = _CHAINED.split(text)[-1]
    tags = list(_STEP.finditer(failed))
    if not tags:
        return None
    step, rest = tags[-1].group(1), failed[tags[-1].end() :].partition("\n")[0]
    own = _handled(text[: len(text) - len(failed) + tags[-1].start()] + rest)
    if own is not None:
        raised = _EXCEPTION.fullmatch(own)
        if raised is None:
            return _not_ours(None, own, "", step)
        return _reported(raised.group("name"), raised.group("message") or "", step)
    text = _after_frames(failed[: tags[-1].start()].splitlines())
    raised = _RAISED.fullmatch(text)
    if raised is None:
        return _not_ours(None, text, "", step)
    name, message = _raised_class(raised)
    message = repr(message[1:]) if rest in ("'", '"') else message + rest
    return _reported(name, message, step)


def _after_frames(lines: list[str]) -> str:
    """A traceback's exception text: its `lines` after its last frame (and that frame's source
    and caret lines), without a `Traceback (most recent call last):` line."""
    frames = max((i for i, line in enumerate(lines) if _FRAME.match(line)), default=-1)
    while 0 <= frames < len(lines) - 1 and lines[frames + 1].startswith("    "):
        frames += 1
    return "\n".join(lines[frames + 1 :]).removeprefix("Traceback (most recent call last):\n")


DOFN_METHODS = ("setup", "start_bundle", "process", "finish_bundle")
"""The methods of a DoFn class that ours_ungrouped wraps (where the class defines them)."""


def ours_ungrouped(step: Step) -> Step:
    """`step`, code a Beam step runs on a worker (a function, generator function, or a DoFn
    class, whose own DOFN_METHODS are wrapped), raising, in place of an exception group whose
    every error is of moodcast's family (_ours_in_group), the first of those errors, the group
    its cause. So the failure leaves the worker as that error: a remote runner's text then ends
    with it and is read as any other error's (the driver never reads a remote group's
    sub-exceptions: a message quoting a traceback would read as another error). Any other
    exception, groups holding an error not of the family included, as it is."""
    if inspect.isclass(step):
        for name in DOFN_METHODS:
            if name in vars(step):
                setattr(step, name, ours_ungrouped(vars(step)[name]))
        return step
    if inspect.isgeneratorfunction(step):

        @functools.wraps(step)
        def generating(*args, **kwargs):
            try:
                yield from step(*args, **kwargs)
            except BaseExceptionGroup as group:
                _raise_first_of_ours(group)

        return generating  # type: ignore[return-value]

    @functools.wraps(step)
    def returning(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except BaseExceptionGroup as group:
            _raise_first_of_ours(group)

    return returning  # type: ignore[return-value]


def _raise_first_of_ours(group: BaseExceptionGroup) -> NoReturn:
    """Raise the first error of `group` from it where every error it holds is of moodcast's
    family (_ours_in_group), else `group` itself. ours_ungrouped's wrappers call it from a plain
    try/except: they run once per element of every step, where a context manager cost 1.5-2 µs
    more a call."""
    ours = _ours_in_group(group)
    if ours is None:
        raise group
    raise ours from group


def _ours_in_group(error: BaseException) -> MoodcastError | None:
    """The first error of exception group `error` whose every error (nested groups looked
    through) is of moodcast's family: a ModelError gathered by a group is reported as itself.
    None for a group that holds any other error (a bug), and for anything else."""
    if not isinstance(error, BaseExceptionGroup):
        return None
    ours, others = error.split(MoodcastError)
    if ours is None or others is not None:
        return None
    first: BaseException = ours
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


def _ungrouped(text: str) -> str:
    """A remote traceback `text` with each exception group's traceback written as any other
    exception's: `Traceback (most recent call last):`, its frames and its text unprefixed, the
    box of its sub-exceptions left out (its text counts them: `ExceptionGroup: two chunks
    failed (2 sub-exceptions)`, as in process). Any other text as it is."""
    if _GROUP_TRACEBACK not in text:
        return text
    text = _SUB_EXCEPTIONS.sub("", text).replace(
        _GROUP_TRACEBACK, "Traceback (most recent call last):"
    )
    return re.sub(r"^  \| ", "", text, flags=re.MULTILINE)


def _reported(name: str, message: str, step: str) -> BaseException:
    """What to report for a remote worker's error of class `name` with `message` in `step`: its
    kind in moodcast's family, else a WorkerError (_not_ours)."""
    kind = _error_class(name)
    if kind is not None and issubclass(kind, MoodcastError):
        return next(c for c in kind.__mro__ if c.__module__ == MoodcastError.__module__)(message)
    return _not_ours(kind, name, message, step)


def _handled(text: str) -> str | None:
    """The worker's own exception's text (`<class>: <message>`) in a remote traceback `text`, which
    ends where its step ends the text of Beam's error (the rest of that line kept). Beam raises
    its error while handling the worker's, with the same text and the step (after
    `RuntimeError: ` where it cannot rebuild the kind): the worker's text is what ends both the
    exception before a `During handling…` line and the text after it, frames apart. A message
    may hold any traceback's text, chain lines included, and never decides. None where no such
    line has the worker's text on both sides."""
    for handling in reversed(list(_HANDLING.finditer(text))):
        before, after = text[: handling.start()], text[handling.end() :]
        own = None
        for line in reversed(list(re.finditer(r"^.", before, re.MULTILINE))):
            ending = before[line.start() :]
            if not after.endswith(ending):
                break
            if not ending.startswith(" ") and after[: -len(ending)].endswith(
                ("\n", "\nRuntimeError: ")
            ):
                own = ending
        if own is not None:
            return own
    return None


def _raised_class(raised: re.Match) -> tuple[str, str]:
    """The class and message of a traceback's exception text (_RAISED): the class Beam's
    RuntimeError names, or RuntimeError itself where the words after `RuntimeError: ` name no
    class (a RuntimeError whose own message is `Error: disk gone`)."""
    name, message = raised.group("name"), raised.group("message") or ""
    text = raised.group(0)
    if text.startswith("RuntimeError: ") and "." not in name and _error_class(name) is None:
        return "RuntimeError", text.removeprefix("RuntimeError: ")
    return name, message


def _not_ours(kind: type | None, name: str, message: str, step: str | None) -> WorkerError:
    """A WorkerError (a WorkerOSError for an OSError) naming `step`, the error's class and its
    message, and what to do about it."""
    where = f"step '{step}'" if step else "a step"
    error = f"{name}: {message}" if message else name
    wrapper, advice = WorkerError, "a bug of moodcast or of a library it uses: please report it"
    if kind is not None and issubclass(kind, OSError):
        wrapper, advice = (
            WorkerOSError,
            "check the permissions and free space of that path on the workers",
        )
    elif kind is MemoryError:
        advice = "the worker ran out of memory: give the workers more"
    return wrapper(
        f"{where} of the Beam job failed on a worker with {error}; {advice}{VERBOSE_HINT}"
    )


def _error_class(name: str) -> type | None:
    """The exception class `name` (`<module>.<qualified name>` or a builtin's name) names: a
    subclass of MoodcastError this process knows, a class of PACKAGES (its module imported if
    need be), or a builtin exception; None otherwise."""
    family = _family()
    if name in family:
        return family[name]
    if "." not in name:
        found = getattr(builtins, name, None)
        return found if isinstance(found, type) and issubclass(found, BaseException) else None
    module, _, qualname = name.rpartition(".")
    if module.split(".")[0] not in PACKAGES:
        return None
    try:
        found = getattr(importlib.import_module(module), qualname, None)
    except Exception:
        return None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _family() -> dict[str, type[MoodcastError]]:
    """MoodcastError and its subclasses defined so far, by `<module>.<qualified name>`."""
    found, todo = {}, [MoodcastError]
    while todo:
        kind = todo.pop()
        found[f"{kind.__module__}.{kind.__qualname__}"] = kind
        todo.extend(kind.__subclasses__())
    return found
