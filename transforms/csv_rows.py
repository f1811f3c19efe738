"""CSV records from physical lines, one bad record at a time.

Python's csv module reads a quoted field across lines until its closing quote, so one unclosed
quote swallows every following row, and a field over the module's limit (131,072 characters)
raises for the whole file. `csv_rows` reads with the same module but checks each record: a
record whose quotes never close, whose multi-line read has the wrong number of fields, or with
a field over the limit becomes a problem row for its first physical line, and reading starts
again on the next physical line. Nothing here reads files: lines come in, rows come out.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Iterator
from typing import NamedTuple


class CsvRow(NamedTuple):
    """One record: its first physical `line` (1-based, the header is line 1), `values` by
    header name (empty cells are None; missing trailing cells too), or the `problem` that made
    it unusable (then `values` is None), and its `raw` text (to hash, never to keep)."""

    line: int
    values: dict[str, str | None] | None
    problem: str | None
    raw: str


class _Feed:
    """Numbered physical lines for csv.reader, replaying lines handed back by a restart and
    remembering those taken since `mark()`."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._number = 0
        self.replay: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.replay:
            item = self.replay.popleft()
        else:
            text = next(self._lines)
            self._number += 1
            item = (self._number, text)
        self.taken.append(item)
        return item[1]

    def mark(self) -> None:
        self.taken = []

    def restart_after_first(self) -> tuple[int, str]:
        """Give back every taken line but the first, and return that first line."""
        first, *rest = self.taken
        self.replay.extendleft(reversed(rest))
        self.taken = []
        return first


def csv_rows(lines: Iterable[str]) -> Iterator[CsvRow]:
    """The records of a CSV text given as physical lines (each with its line ending; the first
    line is the header, without a byte-order mark). Blank lines are skipped; the header is the
    first well-formed record (csv_header).

    Problems: `unclosed quote` (a quoted field runs past its line and the record it makes is
    not a well-formed row), `oversized field`, `more fields than the header`, `malformed CSV`.
    """
    for line, fields, problem, raw, header in _records(lines):
        if problem:
            yield CsvRow(line, None, problem, raw)
        elif header is None:
            continue
        elif len(fields) > len(header):
            yield CsvRow(line, None, "more fields than the header", raw)
        else:
            values = {name: None for name in header}
            values.update(
                (name, v if v != "" else None) for name, v in zip(header, fields, strict=False)
            )
            yield CsvRow(line, values, None, raw)


def csv_header(lines: Iterable[str]) -> list[str]:
    """The header csv_rows reads the CSV text of `lines` by: its first well-formed record that
    is not blank (a quoted name's newline kept; a malformed record before it passed over, as the
    job passes it over). Empty where there is none."""
    for _, fields, problem, _, header in _records(lines):
        if not problem and header is None:
            return fields
    return []


def _records(
    lines: Iterable[str],
) -> Iterator[tuple[int, list[str], str | None, str, list[str] | None]]:
    """Each non-blank record of a CSV text as (first physical line, fields, problem, raw text,
    header): fields empty where a problem made it unusable, the reading then started again on
    the line after its first. The header is the first record without a problem; `header` is
    None for it and for the problems before it, else the header's fields. A multi-line record
    whose quotes are odd, or whose field count differs from the header's, is an `unclosed
    quote`."""
    feed = _Feed(lines)
    reader = csv.reader(feed)
    header: list[str] | None = None
    while True:
        feed.mark()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            multi = len(feed.taken) > 1
            line, text = feed.restart_after_first()
            reason = (
                "unclosed quote"
                if multi
                else "oversized field"
                if "field larger" in str(exc)
                else "malformed CSV"
            )
            yield line, [], reason, text, header
            reader = csv.reader(feed)
            continue
        taken = feed.taken
        raw = "".join(text for _, text in taken)
        if len(taken) > 1 and (
            raw.count('"') % 2 or (header is not None and len(fields) != len(header))
        ):
            line, text = feed.restart_after_first()
            yield line, [], "unclosed quote", text, header
            reader = csv.reader(feed)
            continue
        if not fields:
            continue
        yield taken[0][0], fields, None, raw, header
        header = fields if header is None else header
