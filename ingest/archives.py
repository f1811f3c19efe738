"""Spreadsheets, archives and compressed streams that an input file may be instead of lines of
posts, known by their magic bytes (a spreadsheet by its name too): what each is and the command
that makes posts of it (ingest.inputs refuses
such a file before a run, refuse_unsplittable)."""

from __future__ import annotations

import re
import tarfile

ARCHIVES = (
    (b"PK\x03\x04", "a zip archive", "unzip IN -d DIR"),
    (b"PK\x05\x06", "a zip archive", "unzip IN -d DIR"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive", "7z x IN -oDIR"),
    (b"Rar!\x1a\x07", "a RAR archive", "unrar x IN DIR/"),
)
"""Magic bytes that open an archive moodcast does not read, what it is, and how to extract it.
A tar archive is known by its first header block (_opens_tar)."""

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
"""Names of spreadsheet files: a zip archive (or, for .xls, an OLE2 compound file) of XML or
binary sheets, which extracting does not make posts of."""

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPREADSHEET_MEMBERS = (b"xl/", b"opendocument.spreadsheet")
"""What the first bytes of an Excel or OpenDocument spreadsheet hold whatever its name: its
sheets' folder, or its mimetype member."""

COMPRESSED = (
    (b"\x1f\x8b", "gzip", ".gz", "gzip", "gunzip -c IN > OUT"),
    (b"\x28\xb5\x2f\xfd", "zstd", ".zst", "zstd", "zstd -dc IN > OUT"),
    (b"BZh", "bzip2", ".bz2", "bz2", "bunzip2 -c IN > OUT"),
    (b"\xfd7zXZ\x00", "xz", ".xz", "xz", "xz -dc IN > OUT"),
    (b"\x04\x22\x4d\x18", "lz4", None, None, "lz4 -d IN OUT"),
    (b"\x1f\x9d", "Unix compress (.Z)", None, None, "uncompress -c IN > OUT"),
)
"""Magic bytes of compressed streams: the compression's name, the suffix that makes moodcast
decompress it and its ingest.lines.compression kind (None: moodcast cannot), and the command
that decompresses it."""

_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")


def _opens_tar(head: bytes) -> bool:
    """Whether `head` opens with a tar header block: `ustar` at byte 257 and the block's
    checksum right (tarfile checks it). `ustar` alone is text too: a Spanish post's 'gustar'
    can fall there."""
    if head[257:262] != b"ustar":
        return False
    try:
        tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _spreadsheet(path: str, raw: bytes, head: bytes) -> bool:
    """Whether `path` is a spreadsheet: a zip or OLE2 file named as one (SPREADSHEET_SUFFIXES),
    or a zip whose first bytes name a spreadsheet's members."""
    if not raw.startswith((b"PK\x03\x04", _OLE2)):
        return False
    named = path.lower().endswith(SPREADSHEET_SUFFIXES)
    return named or (raw.startswith(b"PK") and any(m in head[:4096] for m in _SPREADSHEET_MEMBERS))


def archive_advice(
    path: str, raw: bytes, head: bytes, *, decompressed: str | None, posts: bool = True
) -> str:
    """What to do with a JSON Lines or CSV file `path` that is a spreadsheet (_spreadsheet:
    saved as CSV, not extracted), or whose first stored bytes `raw` open an archive (ARCHIVES),
    or whose first bytes as read, `head` (after the decompression its name asks for,
    `decompressed`: an ingest.lines.compression kind or None), a tar archive; or whose `raw`
    opens a compressed stream (COMPRESSED) that `decompressed` does not undo. Read as lines,
    such a file gives a few dead letters, or is refused as binary data. Without `posts`, the
    file is a CSV of another kind (a labelled file), and the advice says nothing of the
    formats, names and column mappings of posts, nor of renaming a compressed file (a labelled
    file is read as gzip or zstd by its content, moodcast.label_files). Empty for any other
    file."""
    if _spreadsheet(path, raw, head):
        return (
            f"{path} is a spreadsheet (Excel or OpenDocument), not "
            f"{'a file of posts: moodcast reads JSON Lines, CSV and Parquet' if posts else 'CSV'}"
            ". Save it as CSV from the spreadsheet program "
            "(Excel: Save As, CSV UTF-8), or convert it, e.g. with pandas (openpyxl reads .xlsx): "
            "python3 -c \"import pandas; pandas.read_excel('IN').to_csv('OUT.csv', index=False)\", "
            "and give moodcast the CSV"
            f"{' (--mapping names its columns, README: Inputs)' if posts else ''}"
        )
    archive = next(((what, how) for magic, what, how in ARCHIVES if raw.startswith(magic)), None)
    if archive is None and _opens_tar(head):
        archive = ("a tar archive", "tar -xf IN -C DIR")
    if archive is not None:
        what, how = archive
        if not posts:
            return (
                f"{path} is {what}, not CSV: extract it first, e.g. {how}, and give the CSV in it"
            )
        return (
            f"{path} is {what}, not a file of posts: moodcast reads JSON Lines and CSV (plain, "
            ".gz, .zst, .bz2 or .xz) and Parquet files, not archives. Extract it first, e.g. "
            f"{how}, and give moodcast the files in it (e.g. 'DIR/*.jsonl')"
        )
    for magic, name, suffix, kind, how in COMPRESSED:
        if not raw.startswith(magic) or (kind is not None and decompressed == kind):
            continue
        if kind == "bz2" and not _BZIP2.match(raw):
            continue
        rename = (
            f"rename it to end in {suffix} (moodcast decompresses that) or "
            if suffix and posts
            else ""
        )
        return (
            f"{path} is {name}-compressed, and moodcast would read its compressed bytes as "
            f"text: {rename}decompress it first, e.g. {how}"
        )
    return ""
