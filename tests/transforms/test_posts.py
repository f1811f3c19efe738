import hashlib
import hmac
from datetime import date

import polars as pl

from transforms.markers import load_markers, parse_marker
from transforms.model_markers import ModelConfig
from transforms.posts import PostOptions, prepare

MARKERS = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}
D = date(2025, 1, 1)


def stated_posts(stated: list[str | None], texts: list[str]) -> pl.DataFrame:
    """Valid posts of one author and day, the i-th with `texts[i]` and the stated `lang` `stated[i]`."""
    return pl.DataFrame(
        {
            "id": [str(i) for i in range(len(stated))],
            "text": texts,
            "author_id": ["a"] * len(stated),
            "lang": stated,
            "region": ["north"] * len(stated),
            "is_repost": [None] * len(stated),
            "created_utc": pl.Series([D] * len(stated)).cast(pl.Datetime("us", "UTC")),
            "source": ["f"] * len(stated),
            "line": list(range(1, len(stated) + 1)),
        },
        schema_overrides={"is_repost": pl.Boolean},
    )


def test_prepare_pseudonymises_each_author_with_the_keyed_hmac():
    authors = ["alice", "bob", None, "alice", "émile", "bob"]
    valid = pl.DataFrame(
        {
            "id": [str(i) for i in range(len(authors))],
            "text": ["so sad"] * len(authors),
            "author_id": authors,
            "lang": ["en"] * len(authors),
            "region": ["north"] * len(authors),
            "is_repost": [None] * len(authors),
            "created_utc": pl.Series([D] * len(authors)).cast(pl.Datetime("us", "UTC")),
            "source": ["f"] * len(authors),
            "line": list(range(1, len(authors) + 1)),
        },
        schema_overrides={"is_repost": pl.Boolean},
    )
    key = b"a key of some length"
    posts, _, _ = prepare(valid, markers=MARKERS, key=key, options=PostOptions(as_of=D))
    expected = [
        None if a is None else hmac.new(key, a.encode(), hashlib.sha256).hexdigest()
        for a in authors
    ]
    assert posts["author"].to_list() == expected


def test_prepare_normalises_model_texts_only_where_a_model_reads_the_text():
    """An n-gram head reads the same features from a text and its model_text, so the job keeps
    its model texts as they are unless a sentence model (or a static head's) reads them."""
    raw = ["I  want to\tkill myself ", " I feel\u00a0so low  today"]
    valid = pl.DataFrame(
        {
            "id": ["1", "2"],
            "text": raw,
            "author_id": ["a", "b"],
            "lang": ["en", "en"],
            "region": ["north", "north"],
            "is_repost": [None, None],
            "created_utc": pl.Series([D, D]).cast(pl.Datetime("us", "UTC")),
            "source": ["f", "f"],
            "line": [1, 2],
        },
        schema_overrides={"is_repost": pl.Boolean},
    )
    ngram_head = {"suicide_risk": load_markers()["suicide_risk"]}
    options = PostOptions(as_of=D, models=ModelConfig(models={}))
    _, _, texts = prepare(valid, markers=ngram_head, key=b"k", options=options)
    assert texts["text"].to_list() == raw
    langs = {"en": {"terms": ["low"], "prototypes": ["I feel so low"]}}
    embedded = {"m": parse_marker({"name": "m", "rule": "either", "lang": langs}, origin="t")}
    _, _, texts = prepare(valid, markers=embedded, key=b"k", options=PostOptions(as_of=D))
    assert texts["text"].to_list() == ["I want to kill myself", "I feel so low today"]


def test_a_language_stated_as_a_three_letter_code_or_a_region_form_is_kept_not_filtered():
    stated = ["eng", "EN", "en_US", "en-GB", "spa", "fre", "Spanish", None]
    valid = stated_posts(stated, ["so sad"] * len(stated))
    options = PostOptions(as_of=D, models=ModelConfig(models={}))
    posts, filtered, _ = prepare(valid, markers=MARKERS, key=b"k", options=options)
    assert posts["id"].to_list() == ["0", "1", "2", "3", "7"]
    assert posts["lang"].to_list() == ["en"] * 5
    assert filtered["reason"].to_list() == ["unsupported language"] * 3


def test_a_stated_code_that_names_no_language_is_identified_as_a_post_that_states_none():
    """Regression: X/Twitter states `und`, `zxx`, `qme`, `qht`, ... on posts whose language it
    did not tell; a run filtered them all as an undetermined or unsupported language, even
    those whose text tells it."""
    stated = ["und", "zxx", "qme", "QHT", "qam", "qct", "qst", "mul", "und", None]
    texts = ["I feel so sad and lonely tonight, nothing helps"] * 8 + ["😭", "😭"]
    valid = stated_posts(stated, texts)
    options = PostOptions(as_of=D, models=ModelConfig(models={}))
    posts, filtered, _ = prepare(valid, markers=MARKERS, key=b"k", options=options)
    assert posts["lang"].to_list() == ["en"] * 8
    assert filtered["reason"].to_list() == ["undetermined language"] * 2
    spanish_input = PostOptions(as_of=D, models=ModelConfig(models={}), default_lang="en")
    posts, filtered, _ = prepare(valid, markers=MARKERS, key=b"k", options=spanish_input)
    assert posts["lang"].to_list() == ["en"] * 10 and filtered.is_empty()


def test_a_run_identifies_posts_among_the_languages_where_a_marker_decides_by_model_too():
    """language_rule: a marker with a model source alone in a language (no terms there) decides
    in it where the model runs, so a run identifies posts among that language as well."""
    from transforms.model_markers import language_rule

    langs = {"en": {"terms": ["sad"]}, "de": {"prototypes": ["ich bin so traurig"]}}
    both = {"m": parse_marker({"name": "m", "rule": "either", "lang": langs}, origin="t")}
    with_model = language_rule(both, ModelConfig(models={"de": "a-model"}), default="de")
    assert (with_model.languages, with_model.default) == (("de", "en"), "de")
    assert language_rule(both, ModelConfig(models={}), default=None).languages == ("en",)


def test_an_empty_or_blank_author_id_of_a_plain_record_is_no_author_as_in_a_mapped_one():
    """Regression: the plain reader kept `author_id ""` as an author (all such posts one
    author, towards k) where a mapped reader read it as none."""
    from transforms.records import parse_json_lines, validate

    lines = [
        b'{"id": "1", "created_at": "2025-01-01T10:00:00Z", "text": "so sad", "author_id": ""}',
        b'{"id": "2", "created_at": "2025-01-01T11:00:00Z", "text": "so sad", "author_id": "  "}',
        b'{"id": "3", "created_at": "2025-01-01T12:00:00Z", "text": "so sad", "author_id": "a"}',
    ]
    records, dead = parse_json_lines(lines, source="f", first_line=1)
    valid, _ = validate(records, source_tz="UTC")
    assert dead.is_empty() and valid.height == 3
    posts, _, _ = prepare(valid, markers=MARKERS, key=b"k", options=PostOptions(as_of=D))
    assert posts["author"].is_null().to_list() == [True, True, False]
