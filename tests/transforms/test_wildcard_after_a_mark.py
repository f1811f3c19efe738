"""A `*` after a letter that carries a combining mark is still a wildcard: the last letter of
Hindi `दुखी*` is a vowel sign and of `café*` written decomposed (`e` and U+0301) an accent,
marks that matching folds away with the rest of the term. Since a `*` after a symbol became
that character, such terms were read as ending in a written `*` and matched no post (their
version moved with them); and `दुखी* मन`, a wildcard before the term's end, was not refused."""

import hashlib
import json

import polars as pl
import pytest

from transforms.markers import MarkerError, compile_markers, parse_marker, score

RAW = {"name": "mine", "lang": {"hi": {"terms": ["दुखी*"]}, "fr": {"terms": ["cafe\u0301*"]}}}
POSTS = pl.DataFrame(
    {"text": ["मैं बहुत दुखी हूँ", "मैं खुश हूँ", "les cafés", "le thé"], "lang": ["hi", "hi", "fr", "fr"]}
)


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_a_wildcard_after_a_marked_letter_matches_the_word(engine):
    markers = compile_markers({"mine": parse_marker(RAW, origin="mine.toml")})
    assert score(POSTS, markers, engine=engine)["mine"].to_list() == [True, False, True, False]


def test_its_version_is_the_one_of_its_file_alone():
    canonical = json.dumps(RAW, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    plain = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    assert parse_marker(RAW, origin="mine.toml").version == plain


def test_a_wildcard_after_a_marked_letter_before_the_end_is_refused():
    with pytest.raises(MarkerError, match="has a '\\*' before its end"):
        parse_marker({"name": "mine", "lang": {"hi": {"terms": ["दुखी* मन"]}}}, origin="m")
