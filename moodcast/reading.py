"""How to read a file of which no record was a usable post: the one rule `moodcast run`, `tag`
and `markers adapt` give their advice by."""

from __future__ import annotations

from collections.abc import Mapping

from ingest.sources import json_document_advice, peek_record
from transforms.presets import suggest_reading
from transforms.timestamp_forms import timestamps_alone


def reading_advice(path: str, dead_letters: Mapping[str, int], *, read_with: str | None) -> str:
    """One sentence on how to read the file at `path`, judging its first record
    (transforms.presets.suggest_reading: a separator, a preset other than `read_with`, the
    preset it was read with, or a mapping), or, where no record with a field can be read, the
    `jq` line that makes JSON Lines of one JSON document (ingest.sources.json_document_advice).
    Empty where no record was a dead letter (`dead_letters`: count by reason; the posts were
    read, then filtered) or every dead letter is a timestamp not read (their fields were read),
    and where nothing applies."""
    if not any(dead_letters.values()) or timestamps_alone(dead_letters):
        return ""
    if record := peek_record(path):
        return suggest_reading(record, read_with=read_with)
    return json_document_advice(path)
