"""Finding and checking input files before a run, and noticing when they change: patterns
expanded into hashed files (any filesystem Beam supports), files that cannot be read as posts
refused with what to do, and files that moved since they were hashed named. Reads no posts
(ingest.sources does).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Sequence
from typing import NamedTuple

from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems

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


class InputFile(NamedTuple):
    """One matched input: its path, size in bytes, the SHA-256 of its bytes (as stored), and
    when it was last changed (seconds since the epoch, as its filesystem tells), read before
    the hash."""

    path: str
    bytes: int
    sha256: str
    modified: float


def match_inputs(patterns: Sequence[str], *, check_text: bool = True) -> list[InputFile]:
    """Expand file patterns (any filesystem Beam supports) into hashed inputs, sorted by path.

    Raises InputError as matched_files does (`check_text`: its text checked).
    """
    return [
        InputFile(
            meta.path, meta.size_in_bytes, file_sha256(meta.path), meta.last_updated_in_seconds
        )
        for meta in matched_files(patterns, check_text=check_text)
    ]


def changed_inputs(files: Sequence[InputFile]) -> list[str]:
    """The paths of `files` that are gone, whose size is no longer what match_inputs saw, or
    whose modification time moved and whose bytes no longer hash to the SHA-256 it computed:
    what was read of them may match neither their hashed content nor their present one. A
    file only touched (same bytes, a new modification time) is unchanged."""
    now = FileSystems.match([literal_pattern(f.path) for f in files])
    changed = []
    for f, result in zip(files, now, strict=True):
        seen = [
            (m.size_in_bytes, m.last_updated_in_seconds)
            for m in result.metadata_list
            if m.path == f.path
        ]
        if seen == [(f.bytes, f.modified)]:
            continue
        if len(seen) != 1 or seen[0][0] != f.bytes or not _same_bytes(f):
            changed.append(f.path)
    return changed


def _same_bytes(f: InputFile) -> bool:
    """Whether `f`'s bytes still hash to its SHA-256 (False when it cannot be read now)."""
    try:
        return file_sha256(f.path) == f.sha256
    except OSError:
        return False


def literal_pattern(path: str) -> str:
    """A pattern that Beam's FileSystems.match (and fileio.MatchAll) match to `path`: its glob
    characters `*` and `?` each in a bracket of its own, `[` as `[\\[]` (Beam's brackets hold no
    lone `[` without a warning; this one also matches a backslash in its place). A matched file
    named `posts [1].jsonl`, given back as it is, is a glob that matches `posts 1.jsonl`."""
    escaped = {"*": "[*]", "?": "[?]", "[": "[\\[]"}
    return re.sub(r"[*?[]", lambda glob: escaped[glob.group()], path)


def matched_files(patterns: Sequence[str], *, check_text: bool = True) -> list[FileMetadata]:
    """Expand file patterns (any filesystem Beam supports) into the files' metadata, sorted by
    path, each file once.

    A pattern with glob characters that is itself the name of an existing file (`posts
    [1].jsonl`) is that file, not the glob. Raises InputError naming a pattern that matches no
    file, a match that is not a regular file (a directory's message says how to give the files
    in it; refuse_irregular), or, with `check_text`, one whose text cannot be split into UTF-8
    lines (refuse_unsplittable).
    """
    found: dict[str, FileMetadata] = {}
    exact = [literal_pattern(p) if _names_a_file(p) else p for p in patterns]
    for pattern, result in zip(patterns, FileSystems.match(exact), strict=True):
        if not result.metadata_list:
            raise InputFileError(
                f"no input file matches {pattern!r}: check the path (relative paths start from "
                "the current directory) and quote a glob, e.g. 'posts/*.jsonl'",
                paths=[pattern],
            )
        for meta in result.metadata_list:
            if os.path.isdir(meta.path):
                raise InputFileError(
                    f"{meta.path} is a directory: give the files in it, e.g. "
                    f"'{meta.path.rstrip('/')}/*.jsonl' (quoted, so that moodcast expands it)",
                    paths=[meta.path],
                )
            refuse_irregular(meta.path)
            if check_text:
                refuse_unsplittable(meta.path)
            found[meta.path] = meta
    return [found[path] for path in sorted(found)]


def _names_a_file(pattern: str) -> bool:
    """Whether `pattern` holds glob characters and is itself the name of an existing path."""
    return bool(re.search(r"[*?[]", pattern)) and FileSystems.exists(pattern)


def refuse_irregular(path: str) -> None:
    """Raise InputError when a local `path` is not a regular file (a FIFO, a device such as
    /dev/zero, a directory, a socket): reading one could wait or run forever. Paths on other
    filesystems (a scheme such as gs://) hold only files."""
    if "://" in path:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(
            f"cannot read input {path}: {exc.strerror or exc}", paths=[path]
        ) from exc
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


def refuse_unsplittable(path: str) -> None:
    """Raise InputError when the first bytes of a JSON Lines or CSV file (decompressed) show text
    that cannot be split into UTF-8 lines: UTF-16 or UTF-32 (their byte-order marks), lines
    ended by carriage returns alone, or lines mostly in another 8-bit encoding such as Latin-1
    or Windows-1252 or binary data (at least MIN_FOREIGN_LINES of the complete lines are not
    UTF-8 or hold a NUL byte, and more than hold UTF-8 beyond ASCII; a line the block cuts is
    left out). Read, every line of such a file (of an 8-bit one, every line with an accent)
    would be a dead letter. Archives and compressed streams it cannot read are refused first
    (ingest.archives.archive_advice)."""
    if file_format(path) == "parquet":
        return
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        raw = handle.read(16)
        handle.seek(0)
        head = next(FileLines(handle, compression(path), block_bytes=1 << 16).blocks(), b"")
    if advice := archive_advice(path, raw, head, decompressed=compression(path)):
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
        raise InputFileError(
            f"{path} holds NUL bytes on {foreign} of its first {len(lines)} lines: it is binary "
            "data (or UTF-16/UTF-32 text without a byte-order mark), not lines of posts. moodcast "
            "reads JSON Lines and CSV in UTF-8 (plain, .gz, .zst, .bz2 or .xz) and Parquet: leave "
            "it out of the inputs (a narrower pattern, e.g. 'DIR/*.jsonl') or convert it",
            paths=[path],
        )
    if foreign >= MIN_FOREIGN_LINES and foreign > beyond_ascii:
        raise InputFileError(
            f"{path} is not UTF-8: {foreign} of its first {len(lines)} lines are not (and "
            f"{beyond_ascii} hold UTF-8 beyond ASCII), so it is likely Latin-1 or Windows-1252 "
            "text, whose every line with an accent would be a dead letter; moodcast reads UTF-8: "
            "convert it first, e.g. iconv -f CP1252 -t UTF-8 IN > OUT (or from its own encoding)",
            paths=[path],
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


def file_sha256(path: str) -> str:
    """SHA-256 of a file's stored bytes, streamed (any filesystem Beam supports)."""
    digest = hashlib.sha256()
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
