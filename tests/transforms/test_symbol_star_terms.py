"""A `*` after a symbol is that character, not a wildcard: VADER's kiss emoticons `:*` and
`:-*` (what `markers import vader` writes) matched every `:` (and `:-`) as a prefix, so its
marker flagged any post with a colon. `cry*` keeps its wildcard; both engines agree."""

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
