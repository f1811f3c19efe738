"""All-lower-case hashtags split into the words of the shipped marker files, whichever markers
are loaded: a user's marker once changed what the shipped markers matched (`#sadtimes` became
`sad times` for shipped sadness once a loaded marker had the word "times") under unchanged
versions, and one shipped marker loaded by name split hashtags with its own words only."""

import polars as pl
import pytest

from transforms.markers import compile_markers, load_markers, score

ENGINES = ["compiled", "reference"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_user_marker_does_not_change_a_shipped_markers_hits_on_hashtags(tmp_path, engine):
    (tmp_path / "clock.toml").write_text(
        'name = "clock"\ndescription = "time words"\ndimensions = ["time"]\nrule = "lexicon"\n'
        '[lang.en]\nterms = ["times"]\n',
        encoding="utf-8",
    )
    posts = pl.DataFrame({"text": ["#sadtimes again", "#SadTimes again"], "lang": ["en", "en"]})
    shipped = score(posts, compile_markers(load_markers()), engine=engine)
    beside = score(posts, compile_markers(load_markers(tmp_path)), engine=engine)
    assert shipped.get_column("sadness").to_list() == [False, True]
    assert beside.get_column("sadness").to_list() == [False, True]
    assert beside.get_column("clock").to_list() == [False, True]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_shipped_marker_loaded_by_name_splits_hashtags_as_the_shipped_set(engine):
    posts = pl.DataFrame({"text": ["#stressedandalone tonight"], "lang": ["en"]})
    alone = compile_markers(load_markers(names=["stress"]))
    everything = compile_markers(load_markers())
    assert alone.vocabulary == everything.vocabulary
    assert score(posts, alone, engine=engine).get_column("stress").to_list() == [True]
    assert score(posts, everything, engine=engine).get_column("stress").to_list() == [True]
