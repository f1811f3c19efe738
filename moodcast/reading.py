"""How to read a file of which no record was a usable post: the one rule `moodcast run`, `tag`
and `markers adapt` give their advice by."""

from __future__ import annotations

from collections.abc import Mapping

from ingest.sources import json_document_advice, peek_record
from transforms.presets import suggest_reading
from transforms.timestamp_forms import timestamps_alone


def reading_advice(path: str, dead_letters: Mapping[str, int], *, read_with: str | None) -> str:
    """How to read the file at `path`: where it is one JSON document, the `jq` line that makes
    JSON Lines of it (ingest.sources.json_document_advice); then what its first record
    (ingest.sources.peek_record, a document's first item included) needs,
    transforms.presets.suggest_reading: a separator, a preset other than `read_with`, or a
    mapping. Empty where no record was a dead letter (`dead_letters`: count by reason; the
    posts were read, then filtered) or every dead letter is a timestamp not read (their fields
    were read), and where nothing applies."""
    if not any(dead_letters.values()) or timestamps_alone(dead_letters):
        return ""
    record = peek_record(path)
    advice = (
        json_document_advice(path),
        suggest_reading(record, read_with=read_with) if record else "",
    )
    return " ".join(part for part in advice if part)
