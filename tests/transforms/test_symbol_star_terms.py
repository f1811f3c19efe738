"""A `*` after a symbol is that character, not a wildcard: VADER's kiss emoticons `:*` and
`:-*` (what `markers import vader` writes) matched every `:` (and `:-`) as a prefix, so its
marker flagged any post with a colon. `cry*` keeps its wildcard; both engines agree."""

import hashlib
import json

import polars as pl
import pytest

from transforms.markers import compile_markers, parse_marker, score

KISS = parse_marker(
    {"name": "kiss", "lang": {"en": {"terms": [":*", ":-*", "cry*"]}}}, origin="kiss.toml"
)
POSTS = pl.DataFrame(
    {
        "text": ["note: the bus is at 5", "see you :-) bye", "love you :*", "xo :-*", "crying"],
        "lang": ["en"] * 5,
    }
)


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_a_star_after_a_symbol_is_the_character(engine):
    scored = score(POSTS, compile_markers({"kiss": KISS}), engine=engine, explain=True)
    assert scored["kiss"].to_list() == [False, False, True, True, True]
    assert scored["kiss__terms"].to_list()[2:] == [[":*"], [":-*"], ["cry*"]]


def _plain_hash(raw):
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def test_a_marker_whose_matches_this_changed_gets_a_new_version_and_others_keep_theirs():
    kiss = {"name": "kiss", "lang": {"en": {"terms": [":*", "cry*"]}}}
    cry = {"name": "cry", "lang": {"en": {"terms": ["cry*", ":("]}}}
    assert parse_marker(kiss, origin="kiss.toml").version != _plain_hash(kiss)
    assert parse_marker(cry, origin="cry.toml").version == _plain_hash(cry)
