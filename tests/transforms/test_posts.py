import hashlib
import hmac
from datetime import date

import polars as pl

from transforms.markers import parse_marker
from transforms.posts import PostOptions, prepare

MARKERS = {"sad": parse_marker({"name": "sad", "lang": {"en": {"terms": ["sad"]}}}, origin="t")}
D = date(2025, 1, 1)


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
