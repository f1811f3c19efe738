"""A `*` inside a word, between letters, stands for a masked letter as posts write it to dodge
moderation (`k*ll myself`, `s*icide`, `f**k`): such a term matches that written form, as it
did before, and loads, where it was refused as a misplaced wildcard; so does `cry**`, a
wildcard of two stars. A `*` that opens a word (`*ness`) or closes one before the term's end
(`cry* out`) is still refused (test_marker_file_mistakes)."""

import polars as pl
import pytest

from transforms.markers import compile_markers, parse_marker, score


def _marker(*terms):
    return parse_marker({"name": "mine", "lang": {"en": {"terms": list(terms)}}}, origin="m")


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_a_masked_word_matches_its_written_form(engine):
    markers = compile_markers({"mine": _marker("k*ll myself", "s*icide", "f**k", "cry**")})
    posts = pl.DataFrame(
        {
            "text": ["i want to k*ll myself", "s*icide again", "f**k", "crying", "kill it"],
            "lang": ["en"] * 5,
        }
    )
    assert score(posts, markers, engine=engine)["mine"].to_list() == [True, True, True, True, False]
