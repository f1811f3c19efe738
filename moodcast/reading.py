"""What a file of which no record was a usable post holds, and how to read it: the one rule
`moodcast run`, `tag` and `markers adapt` give their advice by."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from ingest.lines import split_compression
from ingest.peek import (
    JsonDocument,
    looks_like_csv,
    peek_document,
    peek_fields,
    peek_record,
    peek_records,
)
from transforms.contracts import POST_OPTIONAL
from transforms.presets import (
    InputMapping,
    lookup,
    preset,
    preset_name,
    reads,
    suggest_reading,
    suggested_preset,
)
from transforms.timestamp_forms import timestamp_advice, timestamps_alone


def file_reading(
    path: str, dead_letters: Mapping[str, int], *, mapping: InputMapping | None
) -> str:
    """What the file at `path`, of which no record was a usable post, holds, and how to read
    it: where it is one JSON document (ingest.peek.peek_document), what it is (an array or
    pretty-printed objects, how many items, the first one's fields), else the fields of its
    first record (ingest.peek.peek_fields), else, where a file named as JSON Lines looks like
    CSV (ingest.peek.looks_like_csv), the name to rename it to (csv_name); and how it was read (`mapping`: an InputMapping;
    None, or one that only carries a default language, reads the Post field names); then
    reading_advice, and the timestamp forms read where a timestamp was not
    (transforms.timestamp_forms.timestamp_advice). `dead_letters` counts its dead letters by
    reason."""
    read_with = preset_name(mapping)
    if mapping is None or mapping.reads_post_fields:
        how = "read with the Post field names (id, created_at, text, …)"
    elif read_with:
        how = f"read with --preset {read_with}"
    else:
        how = "read through your mapping file"
    document = peek_document(path)
    if document is not None:
        held = f"{_described(path, document)}, and was {how}."
    elif fields := peek_fields(path):
        held = f"{path} has the fields {', '.join(fields)} and was {how}."
    elif looks_like_csv(path):
        held = (
            f"No field could be read from {path} (it was {how}, as JSON Lines, by its name): its "
            f"first line holds commas and no {{, so it looks like CSV; rename it "
            f"{csv_name(path)} (moodcast reads a file as its name says) and read it again."
        )
    else:
        held = f"No field could be read from {path} (it was {how})."
    advice = reading_advice(path, dead_letters, read_with=read_with)
    return " ".join(part for part in [held, advice, *timestamp_advice(dead_letters)] if part)


def csv_name(path: str) -> str:
    """The name of the file at `path` with its format's suffix (`.jsonl`, `.json`, any other, or
    none) made `.csv`, a compression suffix kept: `posts.jsonl.gz` → `posts.csv.gz`."""
    name, squeezed = split_compression(PurePosixPath(path).name)
    return f"{PurePosixPath(name).stem}.csv{squeezed}"


def _described(path: str, document: JsonDocument) -> str:
    """What a JSON document at `path` is, in words: an array or pretty-printed objects, how many
    items its first PEEK_CHARS hold, and its first item's fields, not JSON Lines. An array
    whose first line runs past what was read may be the first of one a line: it is said to
    start the file, not to be one JSON document."""
    some = "" if document.whole else "at least "
    plural = "s" * (document.items != 1 or not document.whole)
    first, which = document.first, "the first " if plural else ""
    if isinstance(first, dict) and first:
        fields = f" ({which}with the fields {', '.join(list(first)[:40])})"
    else:
        fields = f" ({which}holding no field)" if document.items else ""
    if not document.array:
        shape = f"holds {some}{document.items} pretty-printed JSON object{plural}"
    elif document.one_line and not document.whole:
        shape = f"starts with a JSON array of at least {document.items} item{plural}"
    else:
        shape = f"is one JSON document, an array of {some}{document.items} item{plural}"
    return f"{path} {shape}{fields}, not JSON Lines (one object per line)"


def document_advice(document: JsonDocument, *, read_with: str | None) -> str:
    """How to read a JSON Lines input that is one JSON document (`document`, as
    ingest.peek.peek_document found it): where it is written on one line and the preset its
    first item suggests (transforms.presets.suggested_preset) reads such a line as it is (a
    preset that expands a list: `reddit`, for a thread's Listings or an array of comments), that
    preset, or nothing where it is `read_with`; else the `jq` line that makes JSON Lines of it,
    then what its first item needs (transforms.presets.suggest_reading)."""
    first = document.first if isinstance(document.first, dict) else {}
    name = suggested_preset(first) if first else None
    if document.one_line and name and reads([first], preset(name)):
        return (
            ""
            if name == read_with
            else f"These look like {name} exports, which --preset {name} reads as they are: "
            f"read the file with --preset {name}."
        )
    convert = "jq -c '.[]' IN > OUT.jsonl" if document.array else "jq -c . IN > OUT.jsonl"
    then = suggest_reading(first, read_with=read_with) if first else ""
    return " ".join(
        part for part in (f"Convert it to JSON Lines first, e.g. {convert}.", then) if part
    )


def reading_advice(path: str, dead_letters: Mapping[str, int], *, read_with: str | None) -> str:
    """How to read the file at `path`: where it is one JSON document, document_advice; else what
    its first record (ingest.peek.peek_record) needs, transforms.presets.suggest_reading: a
    separator, a preset other than `read_with`, or a mapping. Empty where no record was a dead
    letter (`dead_letters`: count by reason; the posts were read, then filtered) or every dead
    letter is a timestamp not read (their fields were read), and where nothing applies."""
    if not any(dead_letters.values()) or timestamps_alone(dead_letters):
        return ""
    document = peek_document(path)
    if document is not None:
        return document_advice(document, read_with=read_with)
    record = peek_record(path)
    return suggest_reading(record, read_with=read_with) if record else ""


def unread_mapped_fields(path: str, mapping: InputMapping | None) -> list[str]:
    """The optional Post fields (POST_OPTIONAL) that `mapping`, a user's mapping file, reads
    from source paths of which none of the first records of the file at `path`
    (ingest.peek.peek_records: up to 100) holds any (`_holds`: a path there with an empty value,
    as a post that is no reply has `"in_reply_to_id": null` or a CSV a blank cell, is held; a
    key only some posts carry, as `referenced_tweets` on replies, is held where one of them
    does), each as `field = "path"` (paths joined by `or`); where no record holds them, no post
    has that field (a `region` mapped to nowhere counts every post as `unknown`). Empty for a
    preset, for fields read under their own names or as constants, and where no record can be
    read."""
    if mapping is None or mapping.reads_post_fields or preset_name(mapping):
        return []
    records = peek_records(path)
    return [
        f"{field} = " + " or ".join(f'"{p}"' for p in paths)
        for field, paths in mapping.paths.items()
        if field in POST_OPTIONAL
        and paths not in ((), (field,))
        and records
        and not any(_holds(record, p) for record in records for p in paths)
    ]


def _holds(record: Mapping, path: str) -> bool:
    """Whether `record` has the dotted `path` (as transforms.presets.lookup reads it), whatever
    its value, None included."""
    if path in record:
        return True
    parent_path, _, last = path.rpartition(".")
    parent = lookup(record, parent_path) if parent_path else record
    if isinstance(parent, Mapping):
        return last in parent
    return isinstance(parent, list) and last.isdigit() and int(last) < len(parent)
