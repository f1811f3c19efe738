"""A wildcard term whose last letter before the `*` takes more than one byte in UTF-8 (`груст*`,
`añ*`, `悲*`): the reference engine, which `moodcast tag` and small stream chunks take, read
the text after an occurrence from the middle of that letter and failed with polars' "invalid
utf8", so a Russian or Chinese marker of one's own crashed `tag`."""

import polars as pl
import pytest

from transforms.markers import compile_markers, parse_marker, score

MARKERS = compile_markers(
    {
        "mine": parse_marker(
            {
                "name": "mine",
                "cue": "first_person",
                "lang": {
                    "ru": {"terms": ["мне груст*"]},
                    "es": {"terms": ["me dañ*"]},
                    "zh": {"terms": ["我 悲*"]},
                },
            },
            origin="mine.toml",
        )
    }
)
POSTS = pl.DataFrame(
    {
        "text": ["мне грустно сегодня", "мне весело", "me dañaron mucho", "我 悲伤", "我 高兴"],
        "lang": ["ru", "ru", "es", "zh", "zh"],
    }
)


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_a_prefix_ending_in_a_multibyte_letter_matches_in_both_engines(engine):
    scored = score(POSTS, MARKERS, engine=engine, explain=True)
    assert scored["mine"].to_list() == [True, False, True, True, False]
    assert scored["mine__terms"].to_list() == [["мне груст*"], [], ["me dañ*"], ["我 悲*"], []]
