"""How `moodcast sample` writes its planned posts as lines of posts.jsonl.

The field formats a real feed mixes (timestamps in six forms, language tags, optional fields,
reposts), the malformed variants of a valid line, and the chunked writer that keeps memory flat.
Who posts what and when is drawn by `moodcast.sample`; this module only turns those arrays
into bytes, drawing the per-line format choices from the same generator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

from moodcast import sample_phrases as phrases
from moodcast.sample_waves import Wave
from transforms.contracts import MAX_TEXT_CHARS

LANG_TAGS = {"en": "en-US", "es": "es-US"}
TAGGED_LANG_SHARE = 0.10
TIMESTAMP_FORMATS = ("iso_z", "iso_z_ms", "iso_offset", "iso_naive", "epoch_s", "epoch_ms")
TIMESTAMP_SHARES = (0.25, 0.15, 0.20, 0.15, 0.15, 0.10)
UTC_OFFSETS_MINUTES = (-480, -420, -360, -300, -240, 0, 60, 120, 330)
PLATFORMS = ("x", "mastodon", "bluesky", "reddit", "threads")
MALFORMED_KINDS = ("truncated_json", "not_an_object", "missing_field", "unparseable_timestamp",
                   "future_timestamp", "invalid_utf8", "oversized_text")  # fmt: skip
MAX_PROSE_WORDS = 55
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
_BAD_BYTES_TOKEN = "QQBADBYTESQQ"
CHUNK_POSTS = 10_000
_PLAN_COLUMNS = ("author", "region", "lang", "lang_field", "has_author", "parent", "malformed_kind")


def write_posts(
    path: Path,
    rng: np.random.Generator,
    millis: np.ndarray,
    plan: dict[str, np.ndarray],
    *,
    markers: tuple[str, ...],
    regions: tuple[str, ...],
    waves: tuple[Wave, ...],
    dup_after: dict[int, list[int]],
    progress: Callable[[int, int], None] | None,
) -> None:
    """Compose every post's text and write posts.jsonl, repeated lines included. `plan` holds
    the per-post arrays drawn by `moodcast.sample.generate_sample` (`marks` in the order of
    `markers`, `region` indexing `regions`; the region `unknown` is written as a missing field).

    All random draws are made up front as arrays; posts are then written in chunks of
    CHUNK_POSTS so that memory stays flat however many posts are asked for."""
    n = len(millis)
    total = n + sum(len(sources) for sources in dup_after.values())
    columns = _line_columns(rng, millis, plan, markers=markers, waves=waves, dup_after=dup_after)
    ids = columns["id"]
    author_ids = [str(a) for a in plan["author_id"].tolist()]
    platforms = [PLATFORMS[p] for p in plan["platform"].tolist()]
    composer = phrases.Composer(
        markers,
        [phrases.WAVE_CONTEXT.get((w.marker, w.lang), ()) for w in waves],
        max_words=MAX_PROSE_WORDS,
    )
    texts: dict[int, tuple[str, int]] = {}
    lines: dict[int, bytes] = {}
    written = 0
    with path.open("wb") as handle:
        for lo in range(0, n, CHUNK_POSTS):
            hi = min(n, lo + CHUNK_POSTS)
            c = {name: values[lo:hi].tolist() for name, values in columns.items()}
            created = _timestamps(
                millis[lo:hi], columns["time_kind"][lo:hi], columns["offset"][lo:hi],
                columns["spaced"][lo:hi],
            )  # fmt: skip
            buffer: list[bytes] = []
            for j in range(hi - lo):
                i = lo + j
                p = c["parent"][j]
                if p >= 0:
                    text_of_parent, author_of_parent = texts[p]
                    prefix = phrases.RETWEET_PREFIX.format(handle=phrases.handle(author_of_parent))
                    text = prefix + text_of_parent
                else:
                    text = composer.text(
                        c["draws"][j], c["flags"][j], c["lang"][j], c["mask"][j],
                        c["n_neutral"][j], c["context"][j],
                    )  # fmt: skip
                record: dict = {"id": str(c["id"][j]), "created_at": created[j], "text": text}
                if c["has_author"][j]:
                    record["author_id"] = author_ids[c["author"][j]]
                if c["lang_field"][j]:
                    code = phrases.LANGS[c["lang"][j]]
                    record["lang"] = LANG_TAGS[code] if c["lang_tag"][j] else code
                if c["region"][j] >= 0 and regions[c["region"][j]] != "unknown":
                    record["region"] = regions[c["region"][j]]
                if c["platform_field"][j]:
                    record["platform"] = platforms[c["author"][j]]
                if p >= 0:
                    record["is_repost"], record["parent_id"] = True, str(ids[p])
                elif c["repost_false"][j]:
                    record["is_repost"] = False
                line = orjson.dumps(record)
                if c["malformed_kind"][j] >= 0:
                    line = _corrupt(MALFORMED_KINDS[c["malformed_kind"][j]], record, line, i)
                buffer.append(line)
                if c["keep_text"][j]:
                    texts[i] = (text, c["author"][j])
                if c["keep_line"][j]:
                    lines[i] = line
                buffer.extend(lines.pop(source) for source in dup_after.get(i, ()))
            handle.write(b"\n".join(buffer) + b"\n")
            written += len(buffer)
            if progress is not None:
                progress(written, total)


def _line_columns(
    rng: np.random.Generator,
    millis: np.ndarray,
    plan: dict[str, np.ndarray],
    *,
    markers: tuple[str, ...],
    waves: tuple[Wave, ...],
    dup_after: dict[int, list[int]],
) -> dict[str, np.ndarray]:
    """Every per-line array `write_posts` reads: the `plan` columns it needs, snowflake ids,
    the marker bit mask, the text composer's draws and the field-format choices (drawn here, in
    a fixed order), and which posts' texts and lines must be kept for reposts and repeats."""
    n = len(millis)
    epoch = _SNOWFLAKE_EPOCH_MS if millis[0] > _SNOWFLAKE_EPOCH_MS else int(millis[0])
    ids = ((millis - epoch) << 22) | (np.arange(n) & 0x3FFFFF)
    parent, in_wave = plan["parent"], plan["in_wave"]
    mask = plan["marks"].astype(np.int64) @ (1 << np.arange(len(markers)))
    n_neutral = np.where(
        mask > 0,
        rng.choice(3, size=n, p=(0.3, 0.5, 0.2)),
        rng.choice(4, size=n, p=(0.45, 0.30, 0.17, 0.08)) + 1,
    )
    n_neutral = np.where(plan["lang_field"], n_neutral, np.maximum(n_neutral, 2 - (mask > 0)))
    wave_bit = np.asarray([markers.index(w.marker) for w in waves] + [0])[in_wave]
    context = np.where((in_wave >= 0) & ((mask >> wave_bit) & 1 == 1), in_wave, -1)
    columns = {
        "id": ids,
        "draws": rng.integers(0, 2**31 - 1, size=(n, 6), dtype=np.int64),
        "flags": rng.random((n, 7)) < np.asarray(phrases.Composer.FLAG_SHARES),
        "time_kind": rng.choice(len(TIMESTAMP_FORMATS), size=n, p=TIMESTAMP_SHARES),
        "offset": np.asarray(UTC_OFFSETS_MINUTES)[rng.integers(0, len(UTC_OFFSETS_MINUTES), n)],
        "spaced": rng.random(n) < 0.3,
        "platform_field": rng.random(n) < 0.7,
        "repost_false": rng.random(n) < 0.35,
        "lang_tag": rng.random(n) < TAGGED_LANG_SHARE,
        "mask": mask,
        "n_neutral": n_neutral,
        "context": context,
    }
    columns |= {name: plan[name] for name in _PLAN_COLUMNS}
    columns["keep_text"] = np.isin(np.arange(n), parent[parent >= 0])
    columns["keep_line"] = np.isin(np.arange(n), [s for group in dup_after.values() for s in group])
    return columns


def _timestamps(
    millis: np.ndarray, kind: np.ndarray, offset: np.ndarray, spaced: np.ndarray
) -> list[str | int]:
    """`created_at` values: `kind` indexes TIMESTAMP_FORMATS, `offset` is the minutes east of
    UTC used by `iso_offset`, `spaced` writes a naive time with a space instead of `T`."""
    utc = millis.astype("datetime64[ms]")
    seconds = np.datetime_as_string(utc.astype("datetime64[s]"), unit="s").tolist()
    with_ms = np.datetime_as_string(utc, unit="ms").tolist()
    local = (utc + offset.astype("timedelta64[m]")).astype("datetime64[s]")
    shifted = np.datetime_as_string(local, unit="s").tolist()
    millis_list, offsets, spaced_list = millis.tolist(), offset.tolist(), spaced.tolist()
    values: list[str | int] = []
    for i, k in enumerate(kind.tolist()):
        if k == 0:
            values.append(seconds[i] + "Z")
        elif k == 1:
            values.append(with_ms[i] + "Z")
        elif k == 2:
            sign, minutes = "-" if offsets[i] < 0 else "+", abs(offsets[i])
            values.append(f"{shifted[i]}{sign}{minutes // 60:02d}:{minutes % 60:02d}")
        elif k == 3:
            values.append(seconds[i].replace("T", " ") if spaced_list[i] else seconds[i])
        elif k == 4:
            values.append(millis_list[i] // 1000)
        else:
            values.append(millis_list[i])
    return values


def _corrupt(kind: str, record: dict, line: bytes, i: int) -> bytes:
    """A malformed variant of a valid record's line."""
    broken = dict(record)
    if kind == "truncated_json":
        decoded = line.decode("utf-8")
        return decoded[: max(8, len(decoded) // 2)].encode("utf-8")
    if kind == "not_an_object":
        return orjson.dumps(list(record.values()) if i % 2 else record["text"])
    if kind == "missing_field":
        del broken[("id", "created_at", "text")[i % 3]]
    elif kind == "unparseable_timestamp":
        broken["created_at"] = "yesterday-ish"
    elif kind == "future_timestamp":
        broken["created_at"] = f"2099-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:30:00Z"
    elif kind == "invalid_utf8":
        words = record["text"].split(" ")
        words.insert(len(words) // 2, _BAD_BYTES_TOKEN)
        broken["text"] = " ".join(words)
        return orjson.dumps(broken).replace(_BAD_BYTES_TOKEN.encode(), b"caf\xe9 \xff\xfe")
    elif kind == "oversized_text":
        text = record["text"]
        broken["text"] = " ".join([text] * ((MAX_TEXT_CHARS + 1) // (len(text) + 1) + 2))
    return orjson.dumps(broken)
