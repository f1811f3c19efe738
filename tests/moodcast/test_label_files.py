"""Labelled CSV files as other people write them, read alike by `markers evaluate`, `train` and
`calibrate` (moodcast.label_files)."""

import json

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main

GOLD = [1] * 40 + [0] * 60
FLAGGED = [1] * 32 + [0] * 8 + [1] * 6 + [0] * 54
TEXTS = [f"post {i} {'gloom' if f else 'plain'}" for i, f in enumerate(FLAGGED)]


@pytest.fixture
def data(tmp_path):
    """A data directory with one marker of our own, `gloom`, in French (no model is loaded)."""
    folder = tmp_path / "data"
    (folder / "markers").mkdir(parents=True)
    (folder / "markers" / "gloom.toml").write_text(
        'name = "gloom"\n[lang.fr]\nterms = ["gloom"]\n', encoding="utf-8"
    )
    return folder


def _run(*args, ok=True):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def _evaluate(path, data):
    out = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data).stdout
    return json.loads(out)["markers"]


def _calibrate(path, data):
    """calibrate --json's rows, less the name and hash of the file they were measured on."""
    out = _run("markers", "calibrate", "--labels", path, "--json", "--data-dir", data).stdout
    return [
        {k: v for k, v in json.loads(line).items() if k not in ("source", "source_sha256")}
        for line in out.splitlines()
    ]


def _write(tmp_path, name, frame: pl.DataFrame):
    path = tmp_path / name
    frame.write_csv(path)
    return path


@pytest.mark.parametrize(
    ("positive", "negative"),
    [("true", "false"), ("yes", "no"), ("Yes", "No"), ("1.0", "0.0"), ("TRUE", "FALSE")],
)
def test_labels_written_as_words_or_floats_score_as_the_same_zero_one_labels(
    tmp_path, data, positive, negative
):
    plain = _write(
        tmp_path, "plain.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    words = [positive if g else negative for g in GOLD]
    other = _write(
        tmp_path, "words.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": words})
    )
    assert _evaluate(other, data) == _evaluate(plain, data)
    assert _evaluate(plain, data)["gloom"]["recall"] == 0.8
    assert _calibrate(other, data) == _calibrate(plain, data)


def test_train_on_true_false_labels_makes_the_labelled_marker_not_markers_named_true_and_false(
    tmp_path, data
):
    words = ["true" if g else "false" for g in GOLD]
    path = _write(
        tmp_path, "words.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": words})
    )
    out = _run(
        "markers", "train", "--labels", path, "--family", "ngram", "--json", "--data-dir", data
    ).stdout
    heads = [json.loads(line) for line in out.splitlines()]
    assert [(h["marker"], h["positives"], h["rows"]) for h in heads] == [("gloom", 40, 100)]


def test_blanks_beside_zeros_are_unlabelled_rows_and_beside_ones_alone_are_zeros(tmp_path, data):
    unlabelled = [None if i % 10 == 9 else str(g) for i, g in enumerate(GOLD)]
    ones = ["1" if g else "" for g in GOLD]
    frame = pl.DataFrame({"text": TEXTS, "lang": "fr"})
    gaps = _evaluate(
        _write(tmp_path, "gaps.csv", frame.with_columns(gloom=pl.Series(unlabelled))), data
    )
    assert gaps["gloom"]["support"] == 36 and gaps["gloom"]["prevalence"] == 36 / 90
    plain = _evaluate(
        _write(tmp_path, "plain.csv", frame.with_columns(gloom=pl.Series(GOLD))), data
    )
    assert (
        _evaluate(_write(tmp_path, "ones.csv", frame.with_columns(gloom=pl.Series(ones))), data)
        == plain
    )


def test_evaluate_and_calibrate_read_a_column_of_class_names_as_train_does(tmp_path, data):
    classes = ["Gloom" if g else "Other mood" for g in GOLD]
    path = _write(
        tmp_path, "classes.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "mood": classes})
    )
    plain = _write(
        tmp_path, "plain.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    assert _evaluate(path, data) == _evaluate(plain, data)
    rows = _calibrate(path, data)
    assert [(r["marker"], r["tpr"], r["fpr"]) for r in rows] == [("gloom", 0.8, 0.1)]


def test_rows_without_text_are_left_out_and_counted_on_stderr(tmp_path, data):
    texts = [None if i % 10 == 0 else t for i, t in enumerate(TEXTS)]
    path = _write(tmp_path, "gaps.csv", pl.DataFrame({"text": texts, "lang": "fr", "gloom": GOLD}))
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    assert json.loads(result.stdout)["markers"]["gloom"]["support"] == 36
    assert "10 rows of" in result.stderr and "have no text" in result.stderr


def test_rows_without_lang_are_identified_among_the_markers_languages_as_a_run_does(tmp_path, data):
    """Regression: without a `lang` column, rows were identified among every language
    py3langid knows, and those identified as one no marker has (here Extremaduran) were left
    out, so the file's true share moved off the one drawn; a run identifies among the markers'
    languages."""
    (data / "markers" / "pena.toml").write_text(
        'name = "pena"\n[lang.es]\nterms = ["triste"]\n', encoding="utf-8"
    )
    texts = ["que triste la vida" if f else "que dia tan largo" for f in FLAGGED]
    path = _write(tmp_path, "nolang.csv", pl.DataFrame({"text": texts, "pena": GOLD}))
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    pena = json.loads(result.stdout)["markers"]["pena"]
    assert (pena["support"], pena["prevalence"], pena["recall"]) == (40, 0.4, 0.8)
    assert result.stderr == ""
    stated = _write(
        tmp_path, "stated.csv", pl.DataFrame({"text": texts, "lang": "ext", "pena": GOLD})
    )
    result = _run("markers", "evaluate", "--labels", stated, "--data-dir", data, ok=False)
    assert result.exit_code == 4
    assert "all 100 rows of" in result.output and "no marker has (ext 100)" in result.output


def test_rows_of_undetermined_language_are_left_out_and_counted_unless_lang_gives_one(
    tmp_path, data
):
    """Emoji-only rows carry no language: without `--lang` they are `und`, left out and counted
    on stderr; with it they take the file's language, as `moodcast run --lang` gives them."""
    french = ["je suis tellement gloom ce soir", "nous allons au marché ce matin avec eux"]
    texts = ["😭😭" if i % 10 == 0 else french[1 - f] for i, f in enumerate(FLAGGED)]
    path = _write(tmp_path, "emoji.csv", pl.DataFrame({"text": texts, "gloom": GOLD}))
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    assert "10 rows of" in result.stderr and "could not be told" in result.stderr
    assert json.loads(result.stdout)["markers"]["gloom"]["support"] == 36
    given = ("markers", "evaluate", "--labels", path, "--json", "--lang", "fr")
    result = _run(*given, "--data-dir", data)
    assert result.stderr == ""
    assert json.loads(result.stdout)["markers"]["gloom"]["support"] == 40
    bad = _run(
        "markers", "calibrate", "--labels", path, "--lang", "French", "--data-dir", data, ok=False
    )
    assert "default_lang" in bad.output


@pytest.mark.parametrize("code", ["und", "zxx", "qme", "qht"])
def test_a_stated_lang_that_names_no_language_is_identified_as_a_run_identifies_it(
    tmp_path, data, code
):
    """Regression: a stated `und` (or X's `zxx`, `qme`, ...) kept the row out as a language no
    marker has; it is identified from the text, as a row that states none."""
    (data / "markers" / "pena.toml").write_text(
        'name = "pena"\n[lang.es]\nterms = ["triste"]\n', encoding="utf-8"
    )
    texts = ["que triste la vida" if f else "que dia tan largo" for f in FLAGGED]
    plain = _write(tmp_path, "plain.csv", pl.DataFrame({"text": texts, "lang": "es", "pena": GOLD}))
    path = _write(tmp_path, "und.csv", pl.DataFrame({"text": texts, "lang": code, "pena": GOLD}))
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    assert json.loads(result.stdout)["markers"] == _evaluate(plain, data)
    assert result.stderr == ""


def test_train_without_lang_writes_heads_in_the_markers_languages_or_the_files(tmp_path, data):
    """Regression: rows identified among every language gave a head trained on a Spanish file
    the languages py3langid guessed for short texts (Extremaduran); the head's languages are
    the ones a run decides posts in, and `--lang` adds the file's own."""
    texts = ["que triste la vida" if f else "que dia tan largo" for f in FLAGGED]
    path = _write(tmp_path, "pena.csv", pl.DataFrame({"text": texts, "pena": GOLD}))
    train = ("markers", "train", "--labels", path, "--family", "ngram", "--data-dir", data)
    _run(*train)
    head = json.loads((data / "markers" / "pena.head.json").read_text(encoding="utf-8"))
    assert head["languages"] == ["es"] and head["rows"] == 100
    _run(*train, "--lang", "gl")
    head = json.loads((data / "markers" / "pena.head.json").read_text(encoding="utf-8"))
    assert head["languages"] == ["gl"] and head["rows"] == 100


def test_a_bom_crlf_file_with_other_column_names_a_pandas_index_and_repeated_ids(tmp_path, data):
    frame = pl.DataFrame(
        {
            "": [str(i) for i in range(100)],
            "id": [f"p{i % 90}" for i in range(100)],
            "lang": "fr",
            "Post": [t.replace("post", "post\nwith a line") for t in TEXTS],
            "Gloom": GOLD,
        }
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + frame.write_csv().replace("\n", "\r\n")).encode())
    result = _run(
        "markers", "calibrate", "--labels", path, "--text-col", "Post", "--json",
        "--data-dir", data,
    )  # fmt: skip
    assert [
        (r["marker"], r["tpr"], r["fpr"]) for r in map(json.loads, result.stdout.splitlines())
    ] == [("gloom", 0.8, 0.1)]
    assert "columns left out" in result.stderr and "10 rows" in result.stderr


def test_label_columns_named_after_no_marker_are_named_with_what_to_do(tmp_path, data):
    path = _write(tmp_path, "sad.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "sad": GOLD}))
    result = _run("markers", "evaluate", "--labels", path, "--data-dir", data, ok=False)
    assert "class names: sad)" in result.output and "rename each 0/1 column" in result.output
    classes = _write(
        tmp_path,
        "classes.csv",
        pl.DataFrame({"text": TEXTS, "emotion": ["sad" if g else "neutral" for g in GOLD]}),
    )
    result = _run("markers", "evaluate", "--labels", classes, "--data-dir", data, ok=False)
    assert "class names: neutral, sad)" in result.output, result.output
    assert "or write each class, as the marker it labels (`sad` → `sadness`)" in result.output
    both = _write(
        tmp_path,
        "both.csv",
        pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD, "sad": GOLD}),
    )
    result = _run("markers", "evaluate", "--labels", both, "--data-dir", data)
    assert "named after no marker, left out: sad" in result.stderr


def test_a_file_separated_by_semicolons_is_refused_naming_the_separator(tmp_path, data):
    path = tmp_path / "semicolon.csv"
    pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD}).write_csv(path, separator=";")
    result = _run("markers", "evaluate", "--labels", path, "--data-dir", data, ok=False)
    assert "holding ';' separators" in result.output and "Traceback" not in result.output


def test_train_says_how_many_blank_labels_it_fitted_as_negatives(tmp_path, data):
    gaps = [None if i % 10 == 9 else g for i, g in enumerate(GOLD)]
    path = _write(tmp_path, "gaps.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": gaps}))
    result = _run("markers", "train", "--labels", path, "--family", "ngram", "--data-dir", data)
    assert "blank labels, trained as negatives: gloom 10" in result.stderr


def test_a_lang_column_of_three_letter_or_regional_codes_is_read_as_the_markers_language(
    tmp_path, data
):
    plain = _write(
        tmp_path, "plain.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    codes = ["fra", "FRE", "fr-CA", "fr_BE"] * 25
    other = _write(
        tmp_path, "codes.csv", pl.DataFrame({"text": TEXTS, "lang": codes, "gloom": GOLD})
    )
    result = _run("markers", "evaluate", "--labels", other, "--json", "--data-dir", data)
    assert json.loads(result.stdout)["markers"] == _evaluate(plain, data)
    assert "languages no marker has" not in result.stderr


def test_id_and_lang_columns_in_other_cases_are_the_id_and_lang_not_class_names(tmp_path, data):
    plain = _write(
        tmp_path, "plain.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    ids = [f"t1_{chr(97 + i % 26)}{i}" for i in range(100)]
    upper = _write(
        tmp_path,
        "upper.csv",
        pl.DataFrame({"ID": ids, "text": TEXTS, " Lang": "fr", "Gloom": GOLD}),
    )
    result = _run("markers", "evaluate", "--labels", upper, "--json", "--data-dir", data)
    assert json.loads(result.stdout)["markers"] == _evaluate(plain, data)
    assert result.stderr == ""


def test_blank_ids_are_not_counted_as_repeated_ids(tmp_path, data):
    ids = [None if i % 2 else f"p{i}" for i in range(100)]
    path = _write(
        tmp_path, "ids.csv", pl.DataFrame({"id": ids, "text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    assert "repeat" not in result.stderr


def test_a_column_of_blanks_alone_is_no_label_column_and_train_goes_on(tmp_path, data):
    path = _write(
        tmp_path,
        "notes.csv",
        pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD, "notes": [None] * 100}),
    )
    result = _run(
        "markers", "train", "--labels", path, "--family", "ngram", "--json", "--data-dir", data
    )
    assert [json.loads(line)["marker"] for line in result.stdout.splitlines()] == ["gloom"]
    assert "columns left out" in result.stderr and "notes" in result.stderr


def test_blanks_read_as_negatives_beside_ones_alone_are_counted_on_stderr(tmp_path, data):
    ones = ["1" if g else "" for g in GOLD]
    path = _write(tmp_path, "ones.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": ones}))
    result = _run("markers", "evaluate", "--labels", path, "--json", "--data-dir", data)
    assert "blanks read as negatives in columns of 1s and blanks alone: gloom 60" in result.stderr


def test_a_column_of_handles_beside_zero_one_labels_is_left_out_not_made_markers(tmp_path, data):
    """Regression: an author column beside 0/1 labels was read as class names, so `train`
    wrote a marker named after each author into the marker directory."""
    authors = [f"user{i % 30}" for i in range(100)]
    path = _write(
        tmp_path,
        "authors.csv",
        pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD, "author": authors}),
    )
    result = _run(
        "markers", "train", "--labels", path, "--family", "ngram", "--json", "--data-dir", data
    )
    assert [json.loads(line)["marker"] for line in result.stdout.splitlines()] == ["gloom"]
    assert "columns left out, not 0/1 labels: author" in result.stderr
    assert sorted(p.name for p in (data / "markers").glob("*.head.json")) == ["gloom.head.json"]


def test_a_column_of_repeated_handles_without_zero_one_labels_is_left_out_not_made_markers(
    tmp_path, data
):
    """Regression: in a file without 0/1 label columns, every column of words was read as class
    names, so `train` on `id,text,author,emotion` wrote a marker named after each author (a
    user's handle on disk as a marker name). A column is class names only where its name says
    so (label_files.CLASS_COLUMN_WORDS)."""
    authors = [f"user{i % 4}" for i in range(100)]
    classes = ["Gloom" if g else "calm" for g in GOLD]
    frame = pl.DataFrame(
        {"id": [str(i) for i in range(100)], "text": TEXTS, "author": authors, "emotion": classes}
    )
    path = _write(tmp_path, "authors.csv", frame.with_columns(lang=pl.lit("fr")))
    result = _run(
        "markers", "train", "--labels", path, "--family", "ngram", "--json", "--data-dir", data
    )
    assert sorted(json.loads(line)["marker"] for line in result.stdout.splitlines()) == [
        "calm",
        "gloom",
    ]
    assert "columns left out, neither 0/1 labels nor class names: author" in result.stderr
    written = sorted(p.name for p in (data / "markers").glob("*.head.json"))
    assert written == ["calm.head.json", "gloom.head.json"]


def test_a_column_of_handles_named_author_label_is_left_out_not_made_markers(tmp_path, data):
    """Regression: `author_label` holds the word `label`, so a column of handles of that name
    was read as class names and `train` wrote a marker named after each author. A class
    column's name says so with every word (label_files.class_column_name)."""
    authors = [f"user{i % 4}" for i in range(100)]
    classes = ["Gloom" if g else "calm" for g in GOLD]
    frame = pl.DataFrame({"text": TEXTS, "lang": "fr", "author_label": authors, "emotion": classes})
    path = _write(tmp_path, "authors.csv", frame)
    result = _run(
        "markers", "train", "--labels", path, "--family", "ngram", "--json", "--data-dir", data
    )
    assert sorted(json.loads(line)["marker"] for line in result.stdout.splitlines()) == [
        "calm",
        "gloom",
    ]
    assert "columns left out, neither 0/1 labels nor class names: author_label" in result.stderr
    assert not (data / "markers" / "user0.toml").exists()


@pytest.mark.parametrize(
    "column", ["Emoción", "sentimiento", "etiqueta", "y", "gold_label", "label_text"]
)
def test_a_column_of_class_names_named_in_spanish_or_as_y_or_gold_is_read(tmp_path, data, column):
    """Regression: class columns named `emoción`, `sentimiento`, `y` or `gold_label` were
    refused as files without label columns."""
    classes = ["Gloom" if g else "Other mood" for g in GOLD]
    path = _write(
        tmp_path, "classes.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", column: classes})
    )
    plain = _write(
        tmp_path, "plain.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD})
    )
    assert _evaluate(path, data) == _evaluate(plain, data)


def test_a_file_whose_class_column_is_named_otherwise_is_refused_saying_how_to_name_it(
    tmp_path, data
):
    """Regression: a file whose only column of classes is named `target` was refused with `no
    label columns: ... or a column of classes`, not saying which names make one."""
    classes = ["Gloom" if g else "calm" for g in GOLD]
    path = _write(
        tmp_path, "target.csv", pl.DataFrame({"text": TEXTS, "lang": "fr", "target": classes})
    )
    result = _run("markers", "evaluate", "--labels", path, "--data-dir", data, ok=False)
    assert f"no label columns in {path}: none of target holds" in result.output
    assert "label, class, category, emotion or sentiment" in result.output


def test_a_column_of_class_names_beside_zero_one_labels_is_told_why_not_to_rename_it(
    tmp_path, data
):
    """Regression: `emotion` beside 0/1 columns was left out with the advice to name a column
    of class names with words such as emotion: it already was; it is left out because the file
    has 0/1 label columns."""
    classes = ["sad" if g else "calm" for g in GOLD]
    path = _write(
        tmp_path,
        "mixed.csv",
        pl.DataFrame({"text": TEXTS, "lang": "fr", "gloom": GOLD, "emotion": classes}),
    )
    result = _run("markers", "evaluate", "--labels", path, "--data-dir", data)
    stderr = " ".join(result.stderr.split())
    assert "columns of class names left out beside the 0/1 label columns: emotion" in stderr
    assert "write each class as a 0/1 column named after the marker it labels" in stderr
    assert "name a column of class names" not in stderr


def test_a_file_of_unnamed_class_names_is_told_to_write_each_class_as_its_marker(tmp_path, data):
    classes = ["sad" if g else "calm" for g in GOLD]
    path = _write(tmp_path, "feel.csv", pl.DataFrame({"text": TEXTS, "feel": classes}))
    result = _run("markers", "evaluate", "--labels", path, "--data-dir", data, ok=False)
    output = " ".join(result.output.split())
    assert "and write each class as the marker it labels (`sad` → `sadness`)" in output
