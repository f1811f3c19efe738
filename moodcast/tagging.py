"""Per-post marker output for inspection (`moodcast tag`); its reading of labelled texts is
shared with `moodcast markers evaluate` (moodcast.calibration). Nothing here writes to the
data directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ingest.files import CHUNK_RECORDS, ParsedChunk, read_file
from transforms.contracts import MAX_TEXT_CHARS
from transforms.errors import InputError
from transforms.markers import Marker, compile_markers
from transforms.model_markers import ModelConfig, classify
from transforms.presets import InputMapping
from transforms.records import LOCATED_SCHEMA, validate
from transforms.text import LanguageRule, complete_languages, stated_languages


class TaggingError(InputError):
    """An input or label file cannot be used; the message says what to change."""


TAG_BATCH = 100_000
"""Records `moodcast tag` reads, validates and tags at a time (tag_file): memory holds one batch."""


@dataclass(frozen=True)
class ReadPosts:
    """What became of every record of one input: `read` records, the valid posts by `languages`
    (`lang` completed), `dead_letters` by reason (parse and validation failures, as
    `moodcast run` counts them). `valid + dead = read`."""

    languages: dict[str, int]
    read: int
    dead_letters: dict[str, int]

    @property
    def valid(self) -> int:
        """How many records were valid posts."""
        return sum(self.languages.values())

    def describe(self) -> str:
        """One line for stderr: records read, valid, dead-lettered by reason, languages."""
        dead = sum(self.dead_letters.values())
        reasons = ", ".join(f"{n:,} {r}" for r, n in sorted(self.dead_letters.items()))
        langs = ", ".join(f"{n:,} {lang}" for lang, n in sorted(self.languages.items()))
        return (
            f"read {self.read:,} records: {self.valid:,} valid, {dead:,} dead-lettered"
            f"{f' ({reasons})' if reasons else ''}; languages: {langs or 'none'}"
        )


def tag_file(
    path: str | Path,
    out: Path,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: str | None = None,
    explain: bool = False,
    keep_text: bool = False,
    source_tz: str = "UTC",
    mapping: InputMapping | None = None,
    max_text_chars: int = MAX_TEXT_CHARS,
    rule: LanguageRule | None = None,
) -> ReadPosts:
    """Tag the valid posts of one file into Parquet `out` (tag_posts' columns), TAG_BATCH
    records at a time. The file is read by the job's own reader (ingest.files.read_file:
    every format and compression `moodcast run` reads, through `mapping` when given) and
    validated as the job validates it, `lang` completed by `rule` (see with_languages).
    `out` appears only once every batch is written (nothing is written when no record is a
    valid post). `markers` are compiled once for every batch (compile_markers). Raises
    InputError for a path that matches no file or is a directory."""
    languages: Counter[str] = Counter()
    dead_letters: Counter[str] = Counter()
    read = 0
    writer: pq.ParquetWriter | None = None
    partial = out.with_name(f"{out.name}.partial")
    markers = compile_markers(markers)
    try:
        chunks = read_file(str(path), mapping=mapping, chunk_records=min(TAG_BATCH, CHUNK_RECORDS))
        for records, dead in _batches(chunks):
            valid, invalid = validate(
                records.cast(LOCATED_SCHEMA), source_tz=source_tz, max_text_chars=max_text_chars
            )
            refused = pl.concat([dead, invalid])
            read += valid.height + refused.height
            dead_letters.update(dict(refused.get_column("reason").value_counts().iter_rows()))
            if valid.is_empty():
                continue
            posts = with_languages(valid, text="text", rule=rule)
            languages.update(dict(posts.get_column("lang").value_counts().iter_rows()))
            tagged = tag_posts(
                posts, markers, config=config, source=source, explain=explain, keep_text=keep_text
            ).to_arrow()
            if writer is None:
                out.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(partial, tagged.schema)
            writer.write_table(tagged.cast(writer.schema))
    except BaseException:
        if writer is not None:
            writer.close()
            partial.unlink(missing_ok=True)
        raise
    if writer is not None:
        writer.close()
        partial.replace(out)
    return ReadPosts(dict(languages), read, dict(dead_letters))


def _batches(chunks: Iterable[ParsedChunk]) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """ParsedChunks joined into (records, dead letters) of at least TAG_BATCH records (the
    last may be smaller)."""
    held: list[ParsedChunk] = []
    size = 0
    for chunk in chunks:
        held.append(chunk)
        size += chunk.records.height + chunk.dead.height
        if size >= TAG_BATCH:
            yield _joined(held)
            held, size = [], 0
    if held:
        yield _joined(held)


def _joined(chunks: list[ParsedChunk]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.concat([c.records for c in chunks]), pl.concat([c.dead for c in chunks])


def with_languages(
    frame: pl.DataFrame, *, text: str, rule: LanguageRule | None = None
) -> pl.DataFrame:
    """`frame` with `lang` as a primary subtag: stated, else identified from `text` by `rule`
    (transforms.text.LanguageRule), or without a rule the likeliest of every language."""
    frame = frame.with_columns(_stated(frame))
    if rule is not None:
        return frame.with_columns(
            complete_languages(frame.get_column("lang"), frame.get_column(text), rule)
        )
    missing = frame.get_column("lang").is_null().arg_true()
    if missing.is_empty():
        return frame
    from transforms.langid import identify_series

    detected = identify_series(frame.get_column(text).gather(missing))
    return frame.with_columns(frame.get_column("lang").scatter(missing, detected))


def _stated(frame: pl.DataFrame) -> pl.Series | pl.Expr:
    """`frame`'s `lang` as transforms.text.stated_languages reads it; nulls without a column."""
    if "lang" not in frame.columns:
        return pl.lit(None, pl.String).alias("lang")
    return stated_languages(frame.get_column("lang"))


def tag_posts(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: str | None = None,
    explain: bool = False,
    keep_text: bool = False,
) -> pl.DataFrame:
    """`id`, `lang`, then for each marker `<marker>` and `<marker>__score` (and `<marker>__terms` with
    `explain`), then `text` only with `keep_text`. Never an author column. Decisions and scores:
    transforms.model_markers.classify."""
    scored = classify(posts, markers, config=config, source=source, explain=explain)
    columns = [
        c
        for name in markers
        for c in (name, f"{name}__score", f"{name}__terms")
        if c in scored.columns
    ]
    kept = ["id", *(["lang"] if "lang" in posts.columns else [])]
    out = pl.concat([posts.select(kept), scored.select(columns)], how="horizontal")
    return out.with_columns(posts.get_column("text")) if keep_text else out
