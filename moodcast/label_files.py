"""The labelled CSV file that `moodcast markers evaluate`, `train` and `calibrate` read, read
one way for all three: as other people write it (labels 0/1, 1.0/0.0, true/false or yes/no,
blanks for rows not labelled, a column of class names, label columns in any case, a
byte-order mark, CRLF line ends, posts without a `lang`, their languages decided as a run
decides them)."""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.archives import COMPRESSED
from ingest.file_checks import not_utf8, refuse_unsplittable_bytes
from ingest.lines import FileLines, compression
from moodcast.tagging import TaggingError, with_languages
from transforms.markers import NAME_PATTERN, marker_name
from transforms.presets import separator_advice
from transforms.text import UNDETERMINED, LanguageRule

RESERVED_COLUMNS = ("id", "lang")


def label_frame(
    labels: pl.DataFrame, *, text_col: str, label_cols: Sequence[str] | None
) -> pl.DataFrame:
    """`text`, `lang` and one 0/1 Int8 column per label: `label_cols`, or every column but the
    text, `id` and `lang`. A column of class names becomes one column per class (multi-class);
    several 0/1 columns are several labels of each text (multi-label).

    Raises TaggingError for a missing column, a class name that is not a valid marker name, or
    a 0/1 column with other values.
    """
    if text_col not in labels.columns:
        raise TaggingError(f"no text column {text_col!r}; name it with --text-col")
    wanted = (
        list(label_cols)
        if label_cols
        else [c for c in labels.columns if c not in (text_col, *RESERVED_COLUMNS)]
    )
    missing = sorted(set(wanted) - set(labels.columns))
    if missing or not wanted:
        raise TaggingError(
            f"no label column {', '.join(missing)}; columns: {', '.join(labels.columns)}"
            if missing
            else "no label columns: add 0/1 columns named after markers, or a column of classes"
        )
    frame = with_languages(
        labels.select(
            pl.col(text_col).cast(pl.String).alias("text"),
            *([pl.col("lang")] if "lang" in labels.columns else []),
        ),
        text="text",
    )
    columns = {}
    for column in wanted:
        values = labels.get_column(column).cast(pl.String).str.strip_chars()
        if set(values.drop_nulls().unique().to_list()) <= {"0", "1"}:
            columns[column] = values.cast(pl.Int8)
            continue
        for cls in sorted(values.drop_nulls().unique().to_list()):
            name = marker_name(cls)
            if not NAME_PATTERN.match(name):
                raise TaggingError(
                    f"column {column!r}: class {cls!r} does not make a marker name "
                    "(letters, digits and _, starting with a letter)"
                )
            columns[name] = (values == cls).cast(pl.Int8)
    for name in columns:
        if not NAME_PATTERN.match(name):
            raise TaggingError(f"label column {name!r} is not a valid marker name")
    return frame.with_columns(**columns)


POSITIVE = ("1", "1.0", "true", "t", "yes", "y")
NEGATIVE = ("0", "0.0", "false", "f", "no", "n")
"""Label values read as 1 and as 0, after stripping and lower-casing; a blank is no label."""

CLASS_COLUMN_WORDS = (
    "label", "labels", "class", "classes", "category", "categories", "emotion", "emotions",
    "mood", "moods", "sentiment", "sentiments", "feeling", "feelings", "marker", "markers",
    "topic", "topics", "y", "gold", "annotation", "annotations",
    "etiqueta", "etiquetas", "clase", "clases", "categoria", "categorias", "emocion",
    "emociones", "sentimiento", "sentimientos", "tema", "temas",
)  # fmt: skip
"""The words (English and Spanish) that say a column holds class names."""

CLASS_COLUMN_QUALIFIERS = (
    "name", "names", "text", "str", "string", "true", "human", "final", "majority", "primary",
    "main", "annotated", "manual",
)  # fmt: skip
"""The words that may stand beside CLASS_COLUMN_WORDS in such a column's name (`class_name`,
`label_text` as Hugging Face datasets write it, `gold_label`, `primary_emotion`)."""


NAMING_ADVICE = (
    "name a column of class names with words such as label, class, category, emotion or "
    "sentiment (etiqueta, clase, emoción, sentimiento; `y` and `gold` too), beside qualifiers "
    "such as name, text or true at most (`Emotion_Label`, `class_name`; not `author_label` or "
    "`target`), and write each class as the marker it labels (`sad` → `sadness`); name a 0/1 "
    "label column after its marker; or name the label columns with --label-cols in "
    "`markers train`"
)
"""What the notes and errors on label columns tell a user to do."""

MIXED_ADVICE = (
    "class names are read only from a file without 0/1 label columns: write each class as a 0/1 "
    "column named after the marker it labels (`sad` → `sadness`), or give the column of class "
    "names a file of its own"
)
"""What the note on a column of class names beside 0/1 label columns tells a user to do."""


def class_column_name(column: str) -> bool:
    """Whether `column`'s name says it holds class names: made a marker name after its accents
    are dropped (`Emoción` is `emocion`, `Emotion Label` is `emotion_label`) and split at `_`,
    its words other than numbers are CLASS_COLUMN_WORDS and CLASS_COLUMN_QUALIFIERS alone, one
    of them at least a class word. A column of words named otherwise (`author`, `author_label`,
    `source`, `split`, `predicted_label`, `target`) is not read as labels."""
    plain = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode()
    words = {w for w in marker_name(plain).split("_") if not w.isdigit()}
    return bool(words & set(CLASS_COLUMN_WORDS)) and words <= {
        *CLASS_COLUMN_WORDS,
        *CLASS_COLUMN_QUALIFIERS,
    }


@dataclass(frozen=True)
class LabelFile:
    """A labelled file read: `frame` (label_frame's output: `text`, `lang`,
    one 0/1 Int8 column per label, null where a row is not labelled) and `notes`, sentences
    for stderr about rows and columns left out or repeated."""

    frame: pl.DataFrame
    notes: tuple[str, ...]


def read_labels(
    path: Path,
    *,
    text_col: str,
    label_cols: Sequence[str] | None,
    rule: LanguageRule,
    markers: Collection[str] = (),
) -> LabelFile:
    """The labelled CSV at `path` (UTF-8, comma-separated, with or without a byte-order mark;
    plain, or compressed by gzip or zstd, known by its name or its first bytes: _compression),
    read as label_frame reads it after these steps. Rows whose `text_col` is blank are left
    out. Label columns: `label_cols`, else every column but the text, `id` and `lang` that
    holds 0/1 labels, or, in a file without 0/1 label columns, class names that make marker
    names in a column whose name says so (class_column_name); the others are left out and
    named in a note (a column of words such as authors' handles is not a label; a column of
    class names beside 0/1 label columns in a note of its own, MIXED_ADVICE). Label values
    POSITIVE are 1, NEGATIVE 0 (any case), blanks null (that row is not labelled for that
    column), except in a column of 1s and blanks alone, where a blank is a 0 (counted in a
    note); a column with other values is a column of class names, and a column of blanks alone
    is no label. A column named after one of `markers` (made a marker name), or of
    `label_cols` under a name that does not say it holds class names (class_column_name: a
    `label` column of class ids 0-5 is refused by label_frame as such), whose values are mostly
    labels but not all is refused (_refuse_typos). `ID` and
    `Lang` (any case) are `id` and `lang` where the file has no column of
    that exact name. A 0/1 label column's name is made a marker name
    (transforms.markers.marker_name: `Anger` is `anger`). A row's language is its `lang` read
    as a run reads it, else identified from its text by `rule` (moodcast.tagging.with_languages;
    transforms.model_markers.language_rule gives a run's); rows left UNDETERMINED are left out,
    counted in a note. A file of which no row is left with a text, a language and a label is
    refused saying why (so many rows without a text, so many UNDETERMINED, the others without
    a label), never read as nothing to score.

    Raises InputError (ingest.file_checks.refuse_unsplittable_bytes) for a file that is not
    UTF-8 text (UTF-16, Latin-1, lines ended by carriage returns alone, a spreadsheet or
    another archive), TaggingError for a file compressed other than by gzip or zstd
    (UNREAD_COMPRESSIONS), an empty file, one polars cannot read as CSV (_read_csv),
    a missing text or label column, a text column blank or of labels alone
    (_refuse_text_column: a `text_col` naming the wrong column), a `label_cols` naming the text
    column, `id` or `lang`, such a column with values that are no label, two label columns of
    one name, or what label_frame refuses.
    """
    with path.open("rb") as handle:
        refuse_unsplittable_bytes(str(path), handle, posts=False, kind=_compression(path))
    if how := UNREAD_COMPRESSIONS.get(compression(str(path))):
        raise TaggingError(
            f"{path} is compressed in a way a labelled file cannot be (gzip and zstd can, "
            f".gz and .zst): decompress it first, e.g. {how}"
        )
    header = _read_csv(path, n_rows=0).columns
    if text_col not in header:
        raise TaggingError(_no_text(path, text_col, header))
    raw = _read_csv(path).rename(_reserved_names(header, text_col))
    columns = raw.columns
    _refuse_text_column(path, raw.get_column(text_col), columns)
    text = pl.col(text_col).str.strip_chars()
    labelled = raw.with_row_index(ROW, offset=2).filter(text.is_not_null() & (text != ""))
    notes = []
    if blank := raw.height - labelled.height:
        notes.append(f"{blank} rows of {path} have no text and were left out")
    if missing := [c for c in label_cols or () if c not in columns]:
        raise TaggingError(
            f"no label column {', '.join(missing)} in {path} (its columns: {', '.join(columns)})"
        )
    if reserved := [c for c in label_cols or () if c in (text_col, *RESERVED_COLUMNS)]:
        raise TaggingError(
            f"--label-cols names {reserved[0]!r}, the text column or `id` or `lang` of {path}, "
            "which holds no labels: name only the label columns"
        )
    candidates = label_cols or [c for c in columns if c not in (text_col, *RESERVED_COLUMNS)]
    _refuse_typos(
        path,
        labelled,
        [
            c
            for c in candidates
            if marker_name(c) in markers or (c in (label_cols or ()) and not class_column_name(c))
        ],
    )
    labels = labelled.select(_label_values(c) for c in candidates)
    binary = [c for c in labels.columns if _binary(labels.get_column(c))]
    chosen = label_cols or binary or [c for c in labels.columns if _classes(labels, c)]
    if not chosen:
        raise TaggingError(
            f"no label columns in {path}: none of {', '.join(candidates) or 'its columns'} holds "
            f"0/1 labels or class names under a name that says so; {NAMING_ADVICE}"
        )
    left = [c for c in candidates if c not in chosen]
    if classes := [c for c in left if binary and _classes(labels, c)]:
        notes.append(
            f"columns of class names left out beside the 0/1 label columns: {', '.join(classes)} "
            f"({MIXED_ADVICE})"
        )
    if left := [c for c in left if c not in classes]:
        notes.append(
            f"columns left out, {'not 0/1 labels' if binary else 'neither 0/1 labels nor class names'}: "
            f"{', '.join(left)} ({NAMING_ADVICE})"
        )  # fmt: skip
    filled = labelled.select(_blank(c) & _ones_and_blanks(c) for c in chosen).sum()
    if counted := ", ".join(f"{c} {n}" for c, n in filled.row(0, named=True).items() if n):
        notes.append(
            f"blanks read as negatives in columns of 1s and blanks alone: {counted} (where a "
            "blank there means not labelled, write 0 for the negatives)"
        )
    renamed = {c: marker_name(c) for c in binary if c in chosen}
    named = [renamed.get(c, c) for c in chosen]
    if repeated := sorted({n for n in named if named.count(n) > 1}):
        raise TaggingError(f"two label columns of {path} make the name {', '.join(repeated)}")
    ids = labelled.get_column("id").drop_nulls() if "id" in columns else pl.Series([])
    if repeats := ids.len() - ids.n_unique():
        notes.append(f"{repeats} rows of {path} repeat an earlier row's id; each is counted")
    labelled = labelled.drop(ROW)
    posts = with_languages(
        labelled.select(
            pl.col(text_col).alias("text"), *([pl.col("lang")] if "lang" in columns else [])
        ),
        text="text",
        rule=rule,
    ).hstack(labels.select(chosen).rename(renamed))
    decided = posts.filter(pl.col("lang") != UNDETERMINED)
    undetermined = posts.height - decided.height
    unclear = (
        f"in a language that could not be told (no letters, or too short or unclear among "
        f"{', '.join(rule.languages) or 'any'})"
    )
    if not decided.select(pl.any_horizontal(pl.col(named).is_not_null()).any()).item():
        left = [
            f"{blank} rows have no text" if blank else "",
            f"{undetermined} rows are {unclear}: give their language with --lang or a `lang` "
            "column" if undetermined else "",
            f"the {decided.height} others have no label" if decided.height else "",
        ]  # fmt: skip
        raise TaggingError(
            f"no labelled row of {path} is left to read: "
            + ("; ".join(w for w in left if w) or "it has no row under its header")
        )
    if undetermined:
        notes.append(
            f"{undetermined} rows of {path} are {unclear} and were left out: give their "
            "language with --lang or a `lang` column"
        )
    frame = label_frame(decided, text_col="text", label_cols=named)
    return LabelFile(frame=frame, notes=tuple(notes))


UNREAD_COMPRESSIONS = {kind: how for _, _, _, kind, how in COMPRESSED if kind in ("bz2", "xz")}
"""The compressions of ingest.lines.compression that polars does not undo reading a CSV (it
undoes gzip and zstd), and the command that decompresses each."""

CSV_PROBLEMS = (
    ("more fields than defined", "a row has more fields than its header (a text holding a "
     "comma outside double quotes?); put such texts in double quotes"),
    ("not properly escaped", "a field opens a double quote that never closes (a quote inside "
     "a quoted text is written twice: \"\")"),
)  # fmt: skip
"""Words of polars' CSV errors → what they mean in a labelled file, and what to do."""


def _read_csv(path: Path, **options) -> pl.DataFrame:
    """The CSV at `path` read by polars with `options`, every column a string. Raises
    TaggingError naming the file for an empty one, one that is not all UTF-8 (_not_utf8: the
    line, and whether to correct it or convert the file), or one polars cannot read as CSV,
    in CSV_PROBLEMS' words where they name its problem, else in polars' first line."""
    try:
        return pl.read_csv(path, infer_schema=False, **options)
    except pl.exceptions.NoDataError as exc:
        raise TaggingError(
            f"{path} is empty: a labelled CSV starts with a header line naming its text column "
            "and its label columns"
        ) from exc
    except pl.exceptions.ComputeError as exc:
        if "invalid utf-8" in str(exc) and (advice := _not_utf8(path)):
            raise TaggingError(advice) from exc
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem = next((what for words, what in CSV_PROBLEMS if words in str(exc)), said)
        raise TaggingError(f"{path} cannot be read as CSV: {problem}") from exc


def _not_utf8(path: Path) -> str:
    """ingest.file_checks.not_utf8 on the text of the CSV at `path` (decompressed as
    _compression reads it, without a byte-order mark)."""
    with path.open("rb") as handle:
        text = b"".join(FileLines(handle, _compression(path)).blocks())
    return not_utf8(str(path), text.removeprefix(codecs.BOM_UTF8))


READ_BY_CONTENT = ("gzip", "zstd")
"""The compressions polars undoes reading a CSV whatever its name, known by their magic bytes
(ingest.archives.COMPRESSED)."""


def _compression(path: Path) -> str | None:
    """The compression of the file at `path` (an ingest.lines.compression kind, None for
    plain): its name's, else READ_BY_CONTENT's whose magic bytes open it (a gzip file named
    `labels.csv` is read as polars reads it)."""
    if named := compression(str(path)):
        return named
    with path.open("rb") as handle:
        raw = handle.read(8)
    found = (kind for magic, _, _, kind, _ in COMPRESSED if raw.startswith(magic))
    return next((kind for kind in found if kind in READ_BY_CONTENT), None)


ROW = "__row"
"""The column that numbers a labelled file's rows while read_labels reads them, as a
spreadsheet program shows them: the header is row 1, so the first row of labels is row 2 (and
the line of that number where no text spans lines)."""


def _refuse_typos(path: Path, labelled: pl.DataFrame, columns: Sequence[str]) -> None:
    """Raise TaggingError naming the first of `columns` of `labelled` (with its ROW numbers)
    whose values are more than half labels (POSITIVE, NEGATIVE) but not all labels or blanks:
    `maybe`, `2`, `?` where an annotator meant a label or none. Read as class names instead,
    its labels would be left out; the error names the values and their rows (the first five)."""
    for column in columns:
        value = pl.col(column).str.strip_chars()
        label = value.str.to_lowercase().is_in([*POSITIVE, *NEGATIVE])
        other = labelled.filter(~label & ~_blank(column)).select(ROW, value)
        if other.is_empty() or labelled.filter(label).height <= other.height:
            continue
        shown = ", ".join(f"{_shortened(v)!r} (row {row})" for row, v in other.head(5).iter_rows())
        raise TaggingError(
            f"column {column!r} of {path} labels the marker {marker_name(column)} but "
            f"{other.height} of its values are neither a label (1/0, true/false, yes/no) nor "
            f"blank: {shown}{', …' if other.height > 5 else ''}; "
            f"{_typo_advice(other.get_column(column))}"
        )


MISSING_WORDS = ("na", "n/a", "#n/a", "nan", "<na>", "null", "none")
"""Values (lower-cased) that R, pandas or a spreadsheet write for a missing value, where a
labelled file has a blank."""

SHOWN_CHARS = 40
"""The longest value an error shows whole; a longer one (an annotator's comment) is cut."""


def _shortened(value: str) -> str:
    """`value`, cut to SHOWN_CHARS characters with `…` where longer."""
    return value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…"


def _typo_advice(values: pl.Series) -> str:
    """What to do about `values`, the values of a label column that are no label: turn a scale
    (numbers other than 0 and 1) into 0/1, write a missing value (MISSING_WORDS) as a blank,
    correct the others (`01` or `1.00` among them) or blank them."""
    missing = values.str.to_lowercase().is_in(MISSING_WORDS)
    numbers = values.cast(pl.Float64, strict=False).filter(~missing).drop_nulls()
    numbers = numbers.filter(~numbers.is_in([0.0, 1.0]))
    advice = []
    if not numbers.is_empty():
        advice.append(
            f"numbers other than 0 and 1 ({', '.join(f'{n:g}' for n in numbers.unique().sort())}"
            "): a scale? turn it into 0/1 at the cut you mean (1 at or above it, 0 below) "
            "before giving the file"
        )
    if missing.any():
        written = ", ".join(values.filter(missing).unique().sort())
        advice.append(f"write {written} (a missing value) as a blank")
    if numbers.len() + missing.sum() < values.len():
        advice.append("correct them, or blank those a row is not labelled for")
    return "; ".join(advice)


def _reserved_names(header: list[str], text_col: str) -> dict[str, str]:
    """The renames that make a column `ID` or ` Lang ` (any case, spaces around) the reserved
    `id` or `lang` (RESERVED_COLUMNS), where the file has no column of that
    exact name and only one that folds to it; the text column keeps its name."""
    folded = [c.strip().lower() for c in header]
    return {
        c: f
        for c, f in zip(header, folded, strict=True)
        if f in RESERVED_COLUMNS and f not in header and folded.count(f) == 1 and c != text_col
    }


def _blank(column: str) -> pl.Expr:
    """Whether each value of `column` is blank (null, empty or spaces)."""
    value = pl.col(column).str.strip_chars()
    return (value == "") | value.is_null()


def _ones_and_blanks(column: str) -> pl.Expr:
    """Whether `column` holds POSITIVE values and blanks alone (at least one POSITIVE)."""
    positive = pl.col(column).str.strip_chars().str.to_lowercase().is_in(POSITIVE)
    return (positive | _blank(column)).all() & positive.any()


def _label_values(column: str) -> pl.Expr:
    """`column` with POSITIVE values as "1", NEGATIVE as "0" and blanks null, or "0" where the
    column holds 1s and blanks alone (_ones_and_blanks); where the column holds other values
    too, only its blanks are changed (to null)."""
    value = pl.col(column).str.strip_chars()
    folded = value.str.to_lowercase()
    binary = (
        pl.when(folded.is_in(POSITIVE))
        .then(pl.lit("1"))
        .when(folded.is_in(NEGATIVE) | (_blank(column) & _ones_and_blanks(column)))
        .then(pl.lit("0"))
    )
    kept = pl.when(value != "").then(value)
    read = folded.is_in([*POSITIVE, *NEGATIVE]) | _blank(column)
    return pl.when(read.all()).then(binary).otherwise(kept).alias(column)


def _binary(values: pl.Series) -> bool:
    """Whether `values` (a column as _label_values reads it) holds "0" and "1" alone, at least
    one of them: a column of blanks alone is no label."""
    found = set(values.drop_nulls())
    return bool(found) and found <= {"0", "1"}


def _classes(labels: pl.DataFrame, column: str) -> bool:
    """Whether `column` holds class names: its name says so (class_column_name) and every value
    makes a marker name (label_frame's classes)."""
    values = labels.get_column(column).drop_nulls().unique().to_list()
    named = class_column_name(column)
    return bool(named and values) and all(NAME_PATTERN.match(marker_name(v)) for v in values)


def _no_text(path: Path, text_col: str, columns: list[str]) -> str:
    """The message for a file without the text column, with transforms.presets'
    separator_advice when the header looks separated by something else than commas."""
    message = f"no text column {text_col!r} in {path} (its columns: {', '.join(columns)})"
    advice = separator_advice(columns)
    return f"{message}. {advice}" if advice else f"{message}; name the text column with --text-col"


def _refuse_text_column(path: Path, texts: pl.Series, columns: Sequence[str]) -> None:
    """Raise TaggingError when the text column `texts` of a file with rows is blank in every
    row, or holds labels alone (POSITIVE, NEGATIVE) besides blanks: `--text-col` names the
    wrong column, whose rows would all be left out (no text, or no language told from `0`) or,
    with `--lang`, labels scored as texts."""
    values = texts.str.strip_chars().str.to_lowercase().drop_nulls()
    values = values.filter(values != "")
    if texts.is_empty() or not values.is_in([*POSITIVE, *NEGATIVE]).all():
        return
    found = sorted(values.unique().to_list())
    holds = f"holds labels ({', '.join(found)})" if found else "is blank in every row"
    raise TaggingError(
        f"the text column {texts.name!r} of {path} {holds}, not texts: name the column of "
        f"texts with --text-col (its columns: {', '.join(columns)})"
    )
