"""Finding and checking input files before a run, and noticing when they change: patterns
expanded into hashed files (any filesystem Beam supports), files that cannot be read as posts
refused with what to do (ingest.file_checks), and files that moved since they were hashed
named. Reads no posts (ingest.files does).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from typing import BinaryIO, NamedTuple

from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems

from ingest.file_checks import InputFileError as InputFileError
from ingest.file_checks import refuse_irregular, refuse_unsplittable_bytes, unmatched

log = logging.getLogger(__name__)


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
    [1].jsonl`) is that file, not the glob. A glob leaves hidden files aside as a shell does
    (hidden_by_glob), with a log line saying how many. `*` matches within one folder; `**`
    also matches across folders (`posts/**.jsonl`: the files under posts/ and its subfolders).
    Raises InputError naming a pattern that matches no file, a match that is not a regular file
    (a directory's message says how to give the files in it; refuse_irregular), or, with
    `check_text`, one whose text cannot be split into UTF-8 lines (refuse_unsplittable).
    """
    found: dict[str, FileMetadata] = {}
    exact = [literal_pattern(p) if _names_a_file(p) else p for p in patterns]
    for pattern, given, result in zip(patterns, exact, FileSystems.match(exact), strict=True):
        metas = [m for m in result.metadata_list if not hidden_by_glob(given, m.path)]
        if hidden := len(result.metadata_list) - len(metas):
            log.info(
                "%s: left aside %d hidden file(s) (a name starting with '.'), as a shell does; "
                "a pattern whose part starts with '.' matches them",
                pattern,
                hidden,
            )
        if not metas:
            raise unmatched(pattern)
        for meta in metas:
            refuse_irregular(meta.path)
            if check_text:
                refuse_unsplittable(meta.path)
            found[meta.path] = meta
    return [found[path] for path in sorted(found)]


def hidden_by_glob(pattern: str, path: str) -> bool:
    """Whether `path`, matched by Beam glob `pattern`, is hidden from it by the shell's rule
    (which Python's glob follows too): a name starting with `.` where the pattern's part for it
    does not start with `.`, or anywhere `**` spans. Parts are compared from the start up to the
    first part holding `**`, and from the end after the last. Beam's own match has no such rule:
    `posts/*` matches `posts/.DS_Store`."""
    pattern_parts, path_parts = pattern.split("/"), path.split("/")
    spans = [i for i, part in enumerate(pattern_parts) if "**" in part]
    head = pattern_parts[: spans[0]] if spans else pattern_parts
    tail = pattern_parts[spans[-1] + 1 :] if spans else []
    rest = path_parts[len(head) :]
    aligned = [
        *zip(head, path_parts, strict=False),
        *zip(reversed(tail), reversed(rest), strict=False),
    ]
    spanned = rest[: len(rest) - len(tail)] if spans else []
    hidden_part = any(name.startswith(".") and not part.startswith(".") for part, name in aligned)
    return hidden_part or any(name.startswith(".") for name in spanned)


def _names_a_file(pattern: str) -> bool:
    """Whether `pattern` holds glob characters and is itself the name of an existing path."""
    return bool(re.search(r"[*?[]", pattern)) and FileSystems.exists(pattern)


def refuse_unsplittable(path: str) -> None:
    """Raise InputError when the first bytes of a JSON Lines or CSV file on any filesystem Beam
    supports show text that cannot be split into UTF-8 lines
    (ingest.file_checks.refuse_unsplittable_bytes)."""
    with open_input(path) as handle:
        refuse_unsplittable_bytes(path, handle)


def open_input(path: str) -> BinaryIO:
    """A file's stored bytes (compressed ones as stored), open for reading from its start (any
    filesystem Beam supports)."""
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def file_sha256(path: str) -> str:
    """SHA-256 of a file's stored bytes, streamed (any filesystem Beam supports)."""
    digest = hashlib.sha256()
    with open_input(path) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
