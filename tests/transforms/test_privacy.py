import hashlib
import hmac

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.privacy import pseudonyms

_IDS = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)


def _reference(author_id: str, key: bytes) -> str:
    return hmac.new(key, author_id.encode("utf-8"), hashlib.sha256).hexdigest()


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.none() | _IDS, max_size=40), key=st.binary(max_size=200))
def test_pseudonyms_are_hmac_sha256_of_each_id(ids, key):
    got = pseudonyms(pl.Series(ids, dtype=pl.String), key=key)
    assert got.dtype == pl.String
    assert got.to_list() == [None if i is None else _reference(i, key) for i in ids]


@given(author_id=_IDS, key=st.binary(min_size=60, max_size=70))
def test_pseudonyms_are_hmac_sha256_around_the_block_size(author_id, key):
    assert pseudonyms(pl.Series([author_id]), key=key).item() == _reference(author_id, key)


def test_repeated_ids_get_one_pseudonym_and_order_is_kept():
    ids = pl.Series(["b", "a", None, "b", "a"])
    got = pseudonyms(ids, key=b"k").to_list()
    assert got == [_reference("b", b"k"), _reference("a", b"k"), None, *got[:2]]
    assert pseudonyms(pl.Series([], dtype=pl.String), key=b"k").to_list() == []
