"""Refusing an input file that cannot be read as posts, before any of it is read: no such file,
not a regular file, or text that cannot be split into UTF-8 lines. Imports no Beam: the callers
open the files (ingest.inputs on any filesystem Beam supports, ingest.files a local file
directly). The same checks refuse the other text files moodcast reads (a labelled CSV, a
lexicon) in words of their own (`posts=False`, not_utf8).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import BinaryIO

from ingest.archives import archive_advice
from ingest.lines import FileLines, compression, file_format
from transforms.errors import InputError


class InputFileError(InputError):
    """An InputError about particular input files, `paths` (as matched): refused before a run
    (not a regular file, not UTF-8 text), damaged, changed while a run read them, or new files
    whose periods an earlier input covers that is gone or changed since it was loaded. A
    caller can leave those files aside and go on with the others (follow mode does)."""

    def __init__(self, message: str, *, paths: Sequence[str]):
        super().__init__(message)
        self.paths = tuple(paths)


def unmatched(pattern: str) -> InputFileError:
    """The error for a file pattern (or path) that matches no file."""
    return InputFileError(
        f"no input file matches {pattern!r}: check the path (relative paths start from "
        "the current directory) and quote a glob, e.g. 'posts/*.jsonl'",
        paths=[pattern],
    )


def refuse_irregular(path: str) -> None:
    """Raise InputError when a local `path` is not a regular file (a FIFO, a device such as
    /dev/zero, a directory, a socket): reading one could wait or run forever. A directory's
    message says how to give the files in it. Paths on other filesystems (a scheme such as
    gs://) hold only files."""
    if "://" in path:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(
            f"cannot read input {path}: {exc.strerror or exc}", paths=[path]
        ) from exc
    if stat.S_ISDIR(mode):
        raise InputFileError(
            f"{path} is a directory: give the files in it, e.g. "
            f"'{path.rstrip('/')}/*.jsonl' (quoted, so that moodcast expands it)",
            paths=[path],
        )
    if not stat.S_ISREG(mode):
        raise InputFileError(
            f"{path} is not a regular file (a directory, pipe or device); give moodcast files "
            f"of posts, e.g. posts/*.jsonl",
            paths=[path],
        )


MIN_FOREIGN_LINES = 3
"""Lines of a file's first block that must fail to decode as UTF-8 (and outnumber the lines
of UTF-8 beyond ASCII) before the file is refused as text in another encoding: fewer are stray
bytes, each a dead letter of its own."""


def refuse_unsplittable_bytes(
    path: str, handle: BinaryIO, *, posts: bool = True, kind: str | None = None
) -> None:
    """Raise InputError when the first bytes of JSON Lines or CSV file `path`, read (then
    decompressed) from `handle` open at its start, show text that cannot be split into UTF-8
    lines: UTF-16 or UTF-32 (their byte-order marks), lines ended by carriage returns alone, or
    lines mostly in another 8-bit encoding such as Latin-1 or Windows-1252 or binary data (at
    least MIN_FOREIGN_LINES of the complete lines are not UTF-8 or hold a NUL byte, and more
    than hold UTF-8 beyond ASCII; a line the block cuts is left out). Read, every line of such
    a file (of an 8-bit one, every line with an accent) would be a dead letter. Archives and
    compressed streams it cannot read are refused first (ingest.archives.archive_advice).
    Without `posts`, the file is a CSV of another kind (a labelled file), and the messages say
    nothing of dead letters nor of the formats and patterns of inputs. `kind` is the
    compression it is read with (an ingest.lines.compression kind), by default its name's.
    `handle` is left where the check stopped reading."""
    if file_format(path) == "parquet":
        return
    kind = kind or compression(path)
    raw = handle.read(16)
    handle.seek(0)
    head = next(FileLines(handle, kind, block_bytes=1 << 16).blocks(), b"")
    if advice := archive_advice(path, raw, head, decompressed=kind, posts=posts):
        raise InputFileError(advice, paths=[path])
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise InputFileError(
            f"{path} is UTF-16 or UTF-32 text (it starts with that byte-order mark); moodcast "
            "reads UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8 IN > OUT",
            paths=[path],
        )
    if head.count(b"\r") > 1 and b"\n" not in head:
        raise InputFileError(
            f"{path} ends its lines with carriage returns alone, so it would read as one line; "
            "convert them to line feeds first, e.g. tr '\\r' '\\n' < IN > OUT",
            paths=[path],
        )
    lines = head.split(b"\n")[:-1]
    foreign, beyond_ascii = _foreign_lines(lines)
    if foreign >= MIN_FOREIGN_LINES and foreign > beyond_ascii and b"\x00" in head:
        instead = (
            "not lines of posts. moodcast reads JSON Lines and CSV in UTF-8 (plain, .gz, .zst, "
            ".bz2 or .xz) and Parquet: leave it out of the inputs (a narrower pattern, e.g. "
            "'DIR/*.jsonl') or convert it"
            if posts
            else "not CSV: give the CSV in UTF-8, or convert it"
        )
        raise InputFileError(
            f"{path} holds NUL bytes on {foreign} of its first {len(lines)} lines: it is binary "
            f"data (or UTF-16/UTF-32 text without a byte-order mark), {instead}",
            paths=[path],
        )
    if foreign >= MIN_FOREIGN_LINES and foreign > beyond_ascii:
        raise InputFileError(
            f"{path} is not UTF-8: {foreign} of its first {len(lines)} lines are not (and "
            f"{beyond_ascii} hold UTF-8 beyond ASCII), so it is likely Latin-1 or Windows-1252 "
            f"text{', whose every line with an accent would be a dead letter' if posts else ''}; "
            "moodcast reads UTF-8: "
            "convert it first, e.g. iconv -f CP1252 -t UTF-8 IN > OUT (or from its own encoding)",
            paths=[path],
        )


def not_utf8(path: str, data: bytes) -> str:
    """What to do about file `path` whose text `data` (decompressed, without a byte-order mark)
    is not all UTF-8, naming the line of its first byte that is not; empty for UTF-8 text.
    Where another line holds UTF-8 beyond ASCII, the file is UTF-8 with stray bytes, to be
    corrected on that line: converting the whole file from another encoding would garble its
    UTF-8 accents. Else it is in another encoding, to be converted."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    else:
        return ""
    if _foreign_lines(data.split(b"\n"))[1]:
        return (
            f"{path} is UTF-8 but line {line} holds a byte that is not (pasted from text in "
            "another encoding?): correct that line; converting the whole file from another "
            "encoding would garble its UTF-8 accents"
        )
    return (
        f"{path} is not UTF-8 (line {line}): convert it first, e.g. iconv -f CP1252 -t UTF-8 "
        "IN > OUT (or from its own encoding)"
    )


def _foreign_lines(lines: list[bytes]) -> tuple[int, int]:
    """How many of `lines` are not UTF-8 text (or hold a NUL byte, which no text line of posts
    does), and how many are UTF-8 with bytes beyond ASCII."""
    foreign = beyond_ascii = 0
    for line in lines:
        if b"\x00" in line:
            foreign += 1
            continue
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            foreign += 1
        else:
            beyond_ascii += 1
    return foreign, beyond_ascii
