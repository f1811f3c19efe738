"""Per-post marker output for inspection (`moodcast tag`) and validation on labelled texts
(`moodcast markers evaluate`). Nothing here writes to the data directory."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from transforms.contracts import RAW_POST_SCHEMA
from transforms.errors import InputError
from transforms.markers import Marker
from transforms.model_markers import ModelConfig, classify
from transforms.presets import InputMapping
from transforms.records import map_rows, parse_json_lines, validate
from transforms.text import detect_language, primary_subtag


class TaggingError(InputError):
    """An input or label file cannot be used; the message says what to change."""


def read_valid_posts(
    path: Path, *, source_tz: str = "UTC", mapping: InputMapping | None = None
) -> pl.DataFrame:
    """The valid posts of one JSON Lines (plain or .gz), CSV or Parquet file, with `lang`
    completed (stated, else detected from the text). Invalid records are skipped. With a
    `mapping` (a preset or user mapping), records are mapped onto the Post fields first."""
    name = path.name.lower()
    if not path.is_file():
        raise TaggingError(f"{path}: no such file")
    tabular = name.endswith((".parquet", ".pq", ".csv"))
    if name.endswith((".parquet", ".pq")):
        raw = pl.read_parquet(path)
    elif name.endswith(".csv"):
        raw = pl.read_csv(path, infer_schema=False)
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            raw, _ = parse_json_lines(
                handle.read().splitlines(), source=str(path), first_line=1, mapping=mapping
            )
    if mapping is not None and tabular:
        rows = enumerate(raw.iter_rows(named=True), start=1)
        raw, _ = map_rows(rows, mapping, source=str(path))
    missing = sorted({"id", "created_at", "text"} - set(raw.columns))
    if missing:
        raise TaggingError(f"{path}: missing column(s) {', '.join(missing)}")
    records = raw.select(
        *(
            pl.col(c).cast(t, strict=False) if c in raw.columns else pl.lit(None, t).alias(c)
            for c, t in RAW_POST_SCHEMA.items()
        )
    ).with_columns(pl.lit(str(path)).alias("source"), pl.int_range(1, raw.height + 1).alias("line"))
    valid, _ = validate(records, source_tz=source_tz)
    return with_languages(valid, text="text")


def with_languages(frame: pl.DataFrame, *, text: str) -> pl.DataFrame:
    """`frame` with `lang` as a primary subtag, detected from `text` where absent or empty."""
    stated = primary_subtag(pl.col("lang")) if "lang" in frame.columns else pl.lit(None, pl.String)
    frame = frame.with_columns(stated.alias("lang"))
    missing = frame.get_column("lang").is_null().arg_true()
    if missing.is_empty():
        return frame
    detected = [detect_language(t or "") for t in frame.get_column(text).gather(missing)]
    return frame.with_columns(
        frame.get_column("lang").scatter(missing, pl.Series(detected, dtype=pl.String))
    )


def tag_posts(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: str | None = None,
    explain: bool = False,
    keep_text: bool = False,
) -> pl.DataFrame:
    """`id`, then for each marker `<marker>` and `<marker>__score` (and `<marker>__terms` with
    `explain`), then `text` only with `keep_text`. Never an author column. Decisions and scores:
    transforms.model_markers.classify."""
    scored = classify(posts, markers, config=config, source=source, explain=explain)
    columns = [
        c
        for name in markers
        for c in (name, f"{name}__score", f"{name}__terms")
        if c in scored.columns
    ]
    out = pl.concat([posts.select("id"), scored.select(columns)], how="horizontal")
    return out.with_columns(posts.get_column("text")) if keep_text else out


def evaluate_labels(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    text_col: str = "text",
    source: str | None = None,
) -> dict:
    """Precision, recall, F1 and support of each marker with a 0/1 label column of its name,
    and their macro-F1: `{"markers": {name: {...}}, "macro_f1": …}`. Rows whose language has
    no source for a marker (with `source`, or under its rule) are left out of its scores."""
    if text_col not in labels.columns:
        raise TaggingError(f"no text column {text_col!r}; name it with --text-col")
    labelled = [name for name in markers if name in labels.columns]
    if not labelled:
        raise TaggingError(
            f"no label column is named after a marker; known markers: {', '.join(markers)}"
        )
    frame = with_languages(labels.with_columns(pl.col(text_col).cast(pl.String)), text=text_col)
    hits = classify(
        frame, {n: markers[n] for n in labelled}, config=config, source=source, text=text_col
    )
    result = {}
    for name in labelled:
        pair = pl.DataFrame(
            {"gold": labels.get_column(name).cast(pl.Int8) == 1, "hit": hits.get_column(name)}
        ).drop_nulls()
        tp = (pair["gold"] & pair["hit"]).sum()
        fp = (~pair["gold"] & pair["hit"]).sum()
        fn = (pair["gold"] & ~pair["hit"]).sum()
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(pair["gold"].sum()),
        }
    macro = sum(m["f1"] for m in result.values()) / len(result)
    return {"markers": result, "macro_f1": macro}
