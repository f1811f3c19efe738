import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.model_scoring import model_text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.sampled_from(list("ab .\t\n\r\u00a0\u2003\u200b\x1c\x85é")), max_size=30))
)
def test_model_text_is_the_trimmed_text_with_each_whitespace_run_as_one_space(texts):
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    got = frame.select(model_text(pl.col("text"))).to_series()
    expected = frame.select(pl.col("text").str.strip_chars().str.replace_all(r"\s+", " "))
    assert got.to_list() == expected.to_series().to_list()
