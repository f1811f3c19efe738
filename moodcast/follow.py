"""Follow mode: the daily run as an incremental micro-batch over a spool directory.

Each cycle lists the spool, keeps the files whose content the warehouse's run ledger has not
seen, and hands them to `daily_run`, which recomputes the days they touch (within the lateness
horizon) from every ledgered input and publishes atomically. The ledger is the warehouse's own
(`run_inputs` of `ok` runs), so a cycle that dies, even by SIGKILL, published nothing and its
files are simply pending again at the next start: follow mode can be stopped and restarted at
any point. Writers put files into the spool whole: write `name.tmp` (or a dotfile), then rename
it; names ending in `.tmp`, `.part` or `.partial` and hidden files are not read.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import warehouse
from ingest.inputs import InputFileError, file_sha256, literal_pattern
from moodcast.config import Settings
from moodcast.run import daily_run
from moodcast.run_summary import RunSummary
from transforms.errors import InputError

log = logging.getLogger(__name__)

IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """`30s`, `5m`, `1h` or `2d` as a timedelta; raises ValueError saying the accepted form."""
    found = _DURATION.match(text)
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h or 2d")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def format_duration(every: timedelta) -> str:
    """`every` in parse_duration's short form, in its largest whole unit: `5m`, `90s`, `1h`."""
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def require_spool(spool: Path) -> None:
    """Raise InputError when `spool` is not a directory."""
    if not spool.is_dir():
        raise InputError(f"--follow {spool}: no such directory; create it or point at the spool")


def spool_files(spool: Path) -> list[Path]:
    """The complete files under `spool` (recursively), sorted: no hidden or in-progress ones;
    raises InputError when `spool` is not a directory (require_spool)."""
    require_spool(spool)
    return sorted(
        path
        for path in spool.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(spool).parts)
        and not path.name.endswith(IN_PROGRESS_SUFFIXES)
    )


@dataclass
class Spool:
    """A spool directory and the content hashes of its files, each hashed once per version,
    and the contents set aside as unusable (`set_aside`)."""

    root: Path
    _hashes: dict[tuple[str, int, int], str] = field(default_factory=dict)
    _listed: dict[Path, str] = field(default_factory=dict)
    _aside: set[str] = field(default_factory=set)

    def pending(self, ledgered: set[str]) -> list[Path]:
        """Files whose content is not among `ledgered` nor set aside (one path per content).
        What it knew of files no longer in the spool is forgotten: a file set aside, taken out
        and put back as it was is tried again."""
        found: dict[str, Path] = {}
        hashes: dict[tuple[str, int, int], str] = {}
        for path in spool_files(self.root):
            try:
                stat = path.stat()
                version = (str(path), stat.st_size, stat.st_mtime_ns)
                hashes[version] = self._hashes.get(version) or file_sha256(str(path))
            except FileNotFoundError:
                continue  # removed since it was listed
            sha = hashes[version]
            if sha not in ledgered and sha not in self._aside:
                found.setdefault(sha, path)
        self._hashes, self._aside = hashes, self._aside & set(hashes.values())
        self._listed = {path: sha for sha, path in found.items()}
        return sorted(found.values())

    def set_aside(self, files: list[Path], error: InputFileError) -> list[Path]:
        """`files` (of the last `pending`) less those `error` names, whose contents `pending`
        skips from now on: a file put in again with other content is read again. Raises `error`
        when it names none of `files` (an input loaded before, say: no file here is at fault)."""
        named = {os.path.abspath(p) for p in error.paths}
        bad = [
            p
            for p in files
            if {os.path.abspath(p), os.path.abspath(literal_pattern(str(p)))} & named
        ]
        if not bad:
            raise error
        log.error(
            "follow: %s Leaving %s aside until its content changes, it is put in the spool "
            "again or follow mode restarts.",
            error,
            ", ".join(str(p) for p in bad),
        )
        self._aside |= {self._listed[p] for p in bad}
        return [p for p in files if p not in bad]


def ledgered_contents(data_dir: Path) -> set[str]:
    """Content hashes the published warehouse has ledgered (none before the first run)."""
    try:
        con = warehouse.open_published(data_dir)
    except warehouse.NoWarehouse:
        return set()
    try:
        return warehouse.ledgered_sha256s(con)
    finally:
        con.close()


@dataclass(frozen=True)
class FollowSummary:
    """What a follow session did: cycles that ran a job, files loaded, and the last run."""

    cycles: int
    files: int
    last: RunSummary | None


@contextmanager
def stop_on_signals(stop: threading.Event, *, name: str) -> Iterator[None]:
    """SIGTERM or SIGINT set `stop`: the cycle under way finishes and publishes, then the
    command `name` returns. A second signal interrupts at once (nothing half-written is
    published)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("%s: %s received; stopping after this cycle", name, signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def follow(
    spool: Path,
    *,
    settings: Settings,
    every: timedelta,
    allowed_lateness: timedelta,
    as_of: date | None,
    beam_args: list[str],
    stop: threading.Event | None = None,
    max_cycles: int | None = None,
) -> FollowSummary:
    """Load new spool files every `every` until `stop` is set (SIGTERM/SIGINT set it) or
    `max_cycles` cycles have run (checks that find nothing new count too).

    Each cycle is one `daily_run` of the pending files with `allowed_lateness`; a cycle that
    finds the data directory locked by another run waits for the next. A run refused for some
    of its files (InputFileError: damaged, not UTF-8, no usable post, changed or gone, or
    covering the periods of an earlier input that is gone or changed since it was loaded) is
    logged, and run again at once without them; they stay aside until their content changes
    (Spool.set_aside), so one bad file never holds up the others. Raises InputError, before
    logging anything, when `spool` is not a directory, and what daily_run raises otherwise.
    """
    require_spool(spool)
    stop = stop or threading.Event()
    source = Spool(spool)
    cycles = files = checks = 0
    last: RunSummary | None = None
    with stop_on_signals(stop, name="follow"):
        log.info("follow: watching %s every %s", spool, format_duration(every))
        while not stop.is_set():
            checks += 1
            new = source.pending(ledgered_contents(settings.data_dir))
            while new:
                log.info("follow: %d new file(s)", len(new))
                try:
                    last = daily_run(
                        [literal_pattern(str(p)) for p in new],
                        settings=settings,
                        as_of=as_of,
                        beam_args=beam_args,
                        allowed_lateness=allowed_lateness,
                    )
                except warehouse.RunLocked as exc:
                    log.warning("follow: %s; trying again next cycle", exc)
                except InputFileError as exc:
                    new = source.set_aside(new, exc)
                    continue
                else:
                    cycles, files = cycles + 1, files + len(new)
                    log.info("follow: %s", last.describe())
                break
            if max_cycles is not None and checks >= max_cycles:
                break
            stop.wait(every.total_seconds())
    log.info("follow: stopped after %d cycle(s), %d file(s)", cycles, files)
    return FollowSummary(cycles=cycles, files=files, last=last)
