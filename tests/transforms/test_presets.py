import hashlib
import re
from datetime import UTC, datetime

import orjson
import pytest

from transforms.platforms import BLUESKY_REPOST as BLUESKY_REPOST_TYPE
from transforms.platforms import html_to_text
from transforms.presets import (
    POST_FIELDS,
    PRESETS,
    MappingError,
    items,
    map_record,
    mapping_from_table,
    preset,
)
from transforms.records import coerce_record, map_rows, parse_json_lines, validate

TWEET = {
    "id": "1790000000000000001",
    "text": "can't sleep again, everything feels heavy",
    "created_at": "2025-03-01T02:14:07.000Z",
    "author_id": "2244994945",
    "lang": "en",
    "conversation_id": "1790000000000000001",
    "public_metrics": {"retweet_count": 0, "like_count": 3},
}
RETWEET = {
    "id": "1790000000000000002",
    "text": "RT @someone: can't sleep again, everything feels heavy",
    "created_at": "2025-03-01T03:00:00.000Z",
    "author_id": "783214",
    "lang": "en",
    "referenced_tweets": [{"type": "retweeted", "id": "1790000000000000001"}],
}
REPLY = {
    **TWEET,
    "id": "1790000000000000003",
    "referenced_tweets": [{"type": "replied_to", "id": "1790000000000000001"}],
}
REDDIT_COMMENT = {
    "id": "k3x9q1z",
    "body": "Honestly I feel so alone since the move.",
    "author": "throwaway_4821",
    "created_utc": 1709251200,
    "subreddit": "lonely",
    "parent_id": "t3_1b2c3d",
    "link_id": "t3_1b2c3d",
}
REDDIT_SUBMISSION = {
    "id": "1b2c3d",
    "title": "Exams next week",
    "selftext": "and I am so stressed I can't eat",
    "author": "[deleted]",
    "created_utc": "1709251300",
    "subreddit": "college",
}
MASTODON_STATUS = {
    "id": "111222333444555666",
    "created_at": "2025-03-01T10:00:00.000Z",
    "content": '<p>Tired &amp; anxious today&#39;s news…<br>so much <a href="https://x.example/t"><span>#dread</span></a></p><p>second&nbsp;para</p>',
    "language": "en",
    "account": {"id": "109876", "username": "alice", "acct": "alice@example.social"},
    "in_reply_to_id": None,
    "reblog": None,
}
MASTODON_REBLOG = {
    "id": "111222333444555777",
    "created_at": "2025-03-01T11:00:00.000Z",
    "content": "",
    "language": None,
    "account": {"id": "200001"},
    "reblog": {**MASTODON_STATUS},
}
BLUESKY_POST = {
    "post": {
        "uri": "at://did:plc:abc123/app.bsky.feed.post/3kxyz",
        "cid": "bafyrei…",
        "author": {"did": "did:plc:abc123", "handle": "carol.bsky.social"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "feeling hopeful for once",
            "createdAt": "2025-03-01T12:00:00.000Z",
            "langs": ["en"],
        },
        "indexedAt": "2025-03-01T12:00:01.000Z",
    }
}
BLUESKY_REPOST = {
    **BLUESKY_POST,
    "reason": {
        "$type": "app.bsky.feed.defs#reasonRepost",
        "by": {"did": "did:plc:zzz999", "handle": "dave.bsky.social"},
        "indexedAt": "2025-03-01T13:00:00.000Z",
    },
}


def _post(record, name):
    row, problem = coerce_record(map_record(record, preset(name)))
    assert problem is None
    return row


def test_x_tweet_retweet_reply_and_envelope():
    tweet = _post(TWEET, "x")
    assert tweet == {
        "id": TWEET["id"],
        "created_at": TWEET["created_at"],
        "text": TWEET["text"],
        "author_id": "2244994945",
        "lang": "en",
        "region": None,
        "platform": "x",
        "is_repost": False,
        "parent_id": None,
    }
    retweet = _post(RETWEET, "x")
    assert retweet["is_repost"] is True and retweet["parent_id"] == TWEET["id"]
    assert _post(REPLY, "x")["parent_id"] == TWEET["id"] and _post(REPLY, "x")["is_repost"] is False
    envelope = {"data": RETWEET, "includes": {"users": [{"id": "783214"}]}}
    assert _post(envelope, "x") == retweet
    long_post = {**TWEET, "text": "Long post start … https://t.co/x"}
    long_post["note_tweet"] = {"text": "Long post start and I feel hopeless"}
    assert _post(long_post, "x")["text"] == "Long post start and I feel hopeless"


def test_reddit_comment_submission_and_deleted_placeholders():
    comment = _post(REDDIT_COMMENT, "reddit")
    assert comment["text"] == REDDIT_COMMENT["body"]
    assert comment["created_at"] == "1709251200" and comment["author_id"] == "throwaway_4821"
    assert comment["platform"] == "reddit" and comment["parent_id"] == "t3_1b2c3d"
    submission = _post(REDDIT_SUBMISSION, "reddit")
    assert comment["id"] == "t1_" + REDDIT_COMMENT["id"]  # numbered apart from submissions
    assert submission["id"] == "t3_" + REDDIT_SUBMISSION["id"]
    assert _post({**REDDIT_COMMENT, "name": "t1_zz"}, "reddit")["id"] == "t1_zz"
    assert submission["text"] == "Exams next week\n\nand I am so stressed I can't eat"
    assert submission["author_id"] is None
    removed = _post({**REDDIT_COMMENT, "body": "[removed]", "author": "[deleted]"}, "reddit")
    assert removed["text"] is None and removed["author_id"] is None
    title_only = _post({**REDDIT_SUBMISSION, "selftext": "[removed]"}, "reddit")
    assert title_only["text"] == "Exams next week"


def test_reddit_deleted_text_is_dead_lettered_by_validation():
    lines = [orjson.dumps(REDDIT_COMMENT), orjson.dumps({**REDDIT_COMMENT, "body": "[deleted]"})]
    records, dead = parse_json_lines(
        lines, source="rc.jsonl", first_line=1, mapping=preset("reddit")
    )
    assert dead.is_empty()
    valid, invalid = validate(records, source_tz="UTC")
    assert valid["created_utc"].to_list() == [datetime(2024, 3, 1, tzinfo=UTC)]
    assert invalid.select("line", "reason").rows() == [(2, "missing field text")]


def test_mastodon_html_to_text_and_reblog():
    status = _post(MASTODON_STATUS, "mastodon")
    assert status["text"] == "Tired & anxious today's news…\nso much #dread\nsecond para"
    assert status["author_id"] == "109876" and status["lang"] == "en"
    assert status["platform"] == "mastodon" and status["is_repost"] is False
    reblog = _post(MASTODON_REBLOG, "mastodon")
    assert reblog["is_repost"] is True and reblog["parent_id"] == MASTODON_STATUS["id"]
    assert reblog["id"] == MASTODON_REBLOG["id"] and reblog["author_id"] == "200001"
    assert reblog["text"] == status["text"] and reblog["lang"] == "en"


def test_html_to_text_leaves_plain_text_alone_and_drops_blank_lines():
    assert html_to_text("no markup here") == "no markup here"
    assert html_to_text("<p>a</p>\n\n<p>  b   c </p>") == "a\nb c"
    assert html_to_text("1 &lt; 2 &amp;&amp; 3 &gt; 2") == "1 < 2 && 3 > 2"


def test_bluesky_feed_item_post_view_and_repost():
    post = _post(BLUESKY_POST, "bluesky")
    uri = "at://did:plc:abc123/app.bsky.feed.post/3kxyz"
    assert post == {
        "id": "bsky:" + hashlib.sha256(uri.encode()).hexdigest()[:32],  # the URI names the DID
        "created_at": "2025-03-01T12:00:00.000Z",
        "text": "feeling hopeful for once",
        "author_id": "did:plc:abc123",
        "lang": "en",
        "region": None,
        "platform": "bluesky",
        "is_repost": False,
        "parent_id": None,
    }
    assert _post(BLUESKY_POST["post"], "bluesky") == post  # a bare postView
    repost = _post(BLUESKY_REPOST, "bluesky")
    assert repost["is_repost"] is True and repost["parent_id"] == post["id"]
    assert repost["id"] != post["id"] and repost["author_id"] == "did:plc:zzz999"
    assert repost["created_at"] == "2025-03-01T13:00:00.000Z"
    assert not any("did:" in str(v) for k, v in (post | repost).items() if k != "author_id")


def test_a_platform_in_the_record_wins_over_the_presets():
    assert _post({**TWEET, "platform": "twitter-archive"}, "x")["platform"] == "twitter-archive"


def test_mapping_the_input_does_not_modify_it():
    before = orjson.dumps(MASTODON_REBLOG)
    map_record(MASTODON_REBLOG, preset("mastodon"))
    assert orjson.dumps(MASTODON_REBLOG) == before


def test_user_mapping_of_nested_json_with_alternatives():
    mapping = mapping_from_table(
        {
            "id": "msg.uuid",
            "text": ["msg.body", "msg.subject"],
            "created_at": "msg.sent",
            "author_id": "account.id",
            "lang": "meta.langs.0",
        },
        origin="mapping.toml",
    )
    record = {
        "msg": {"uuid": 7, "subject": "so tired", "body": "", "sent": 1709251200},
        "account": {"id": "a1"},
        "meta": {"langs": ["es", "en"]},
        "region": "north",
    }
    row, problem = coerce_record(map_record(record, mapping))
    assert problem is None
    assert row == {
        "id": "7",
        "created_at": "1709251200",
        "text": "so tired",
        "author_id": "a1",
        "lang": "es",
        "region": "north",  # not named: read under its own Post name
        "platform": None,
        "is_repost": None,
        "parent_id": None,
    }


def test_user_mapping_of_flat_columns_csv_and_parquet_rows():
    mapping = mapping_from_table(
        {"text": "message", "created_at": "ts", "author_id": "user.id", "is_repost": "shared"},
        origin="m.toml",
    )
    csv_row = {
        "id": "1",
        "message": "alone",
        "ts": "2025-01-01 10:00:00",
        "user.id": "u",
        "shared": "yes",
    }
    parquet_row = {
        "id": 2,
        "message": "fine",
        "ts": datetime(2025, 1, 1, 11, 0),
        "user.id": None,
        "shared": False,
    }
    records, dead = map_rows([(1, csv_row), (2, parquet_row)], mapping, source="f")
    assert dead.is_empty()
    assert records.select("id", "created_at", "text", "author_id", "is_repost", "line").rows() == [
        ("1", "2025-01-01 10:00:00", "alone", "u", True, 1),
        ("2", "2025-01-01T11:00:00", "fine", None, False, 2),
    ]
    valid, invalid = validate(records, source_tz="UTC")
    assert valid.height == 2 and invalid.is_empty()


def test_a_mapped_value_of_the_wrong_type_is_a_dead_letter_with_a_reason():
    mapping = mapping_from_table({"text": "body"}, origin="m.toml")
    records, dead = map_rows(
        [(1, {"id": "1", "created_at": "2025-01-01", "body": {"nested": "x"}})], mapping, source="f"
    )
    assert records.is_empty()
    assert dead.select("line", "reason").rows() == [(1, "field text must be a string")]
    assert "nested" not in str(dead.to_dicts())


def test_unknown_preset_names_the_presets():
    with pytest.raises(
        MappingError, match=r"unknown input preset 'twitter'; presets: bluesky, mastodon, reddit, x"
    ):
        preset("twitter")


def test_user_mapping_refuses_non_post_fields_and_bad_paths():
    with pytest.raises(
        MappingError, match=r"m.toml: body is not a Post field; Post fields: id, created_at, text"
    ):
        mapping_from_table({"body": "text"}, origin="m.toml")
    for bad in (3, [], [""]):
        with pytest.raises(MappingError, match=r"m.toml: text must be a source path"):
            mapping_from_table({"text": bad}, origin="m.toml")
    with pytest.raises(MappingError, match=r"m.toml: text = \{'a': 'b'\} is not a form"):
        mapping_from_table({"text": {"a": "b"}}, origin="m.toml")


def test_every_preset_maps_every_post_field_and_has_a_platform():
    for name, mapping in PRESETS.items():
        assert set(mapping.paths) == set(POST_FIELDS)
        assert mapping.platform == name and mapping.key == f"preset:{name}"


def test_user_mappings_with_the_same_paths_share_a_key():
    a = mapping_from_table({"text": "body", "id": "uid"}, origin="a")
    b = mapping_from_table({"id": "uid", "text": ["body"]}, origin="b")
    c = mapping_from_table({"text": "content"}, origin="c")
    assert a.key == b.key != c.key


def test_odd_shapes_never_raise_while_mapping():
    odd = [
        {"referenced_tweets": [{"type": ["retweeted"], "id": 1}, "x", None]},
        {"referenced_tweets": "retweeted", "data": "not a dict"},
        {"reblog": "yes", "content": 5, "account": ["a"]},
        {"post": [], "reason": {"$type": BLUESKY_REPOST_TYPE, "by": "nobody"}},
        {"body": ["[deleted]"], "author": 3},
        {"title": None, "selftext": {"a": 1}},
    ]
    for record in odd:
        for mapping in PRESETS.values():
            assert set(map_record(record, mapping)) == set(POST_FIELDS)


def test_an_x_response_page_on_one_line_gives_one_record_per_tweet():
    page = {
        "data": [TWEET, {**RETWEET, "id": "77"}, "not a tweet"],
        "includes": {"users": [{"id": "783214"}]},
        "meta": {"result_count": 3, "next_token": "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"},
    }
    lines = [orjson.dumps(page), orjson.dumps({"data": [], "meta": {"result_count": 0}})]
    records, dead = parse_json_lines(lines, source="page.jsonl", first_line=1, mapping=preset("x"))
    valid, invalid = validate(records, source_tz="UTC")
    assert dead.is_empty() and valid["id"].to_list() == [TWEET["id"], "77"]
    assert valid["is_repost"].to_list() == [False, True] and valid["line"].to_list() == [1, 1]
    assert invalid.select("line", "reason").rows() == [(1, "missing field id")]  # "not a tweet"


def test_a_mapping_sets_constants_and_derives_a_repost_from_a_text_prefix():
    table = {
        "text": "full_text",
        "lang": {"const": "es"},
        "platform": {"const": "forum"},
        "is_repost": {"path": "full_text", "prefix": "RT @"},
    }
    mapping = mapping_from_table(table, origin="m.toml")
    retweet = map_record({"id": "1", "full_text": "RT @medio: titular"}, mapping)
    original = map_record({"id": "2", "full_text": "Me siento sola", "lang": "en"}, mapping)
    assert (retweet["lang"], retweet["platform"], retweet["is_repost"]) == ("es", "forum", True)
    assert (original["lang"], original["is_repost"]) == ("es", False)
    from transforms.presets import from_key

    assert from_key(mapping.key).key == mapping.key


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"lang": {"const": 3}}, 'use lang = {const = "…"}'),
        ({"is_repost": {"const": "yes"}}, "is_repost = {const = true}"),
        ({"is_repost": {"path": "text"}}, 'prefix = "RT @"'),
        ({"lang": {"path": "text", "prefix": "RT"}}, 'use lang = {const = "…"}'),
    ],
)
def test_a_mapping_refuses_tables_it_does_not_know(table, message):
    with pytest.raises(MappingError, match=re.escape(message)):
        mapping_from_table(table, origin="m.toml")


def test_an_x_export_without_references_counts_rt_prefixed_tweets_as_reposts():
    old_style = {k: v for k, v in RETWEET.items() if k != "referenced_tweets"}
    assert map_record(old_style, preset("x"))["is_repost"] is True
    assert map_record(TWEET, preset("x"))["is_repost"] is False


def _thing(kind, **data):
    return {"kind": kind, "data": data}


def _listing(*children):
    return {"kind": "Listing", "data": {"children": list(children)}}


def test_the_reddit_preset_flattens_a_thread_with_nested_comment_trees():
    reply = _thing(
        "t1", id="c2", body="me too", created_utc=3, author="c", parent_id="t1_c1", replies=""
    )
    thread = [
        _listing(
            _thing(
                "t3",
                id="s1",
                name="t3_s1",
                title="Exams",
                selftext="so stressed",
                created_utc=1,
                author="a",
            )
        ),
        _listing(
            _thing(
                "t1",
                id="c1",
                body="same here",
                created_utc=2,
                author="b",
                parent_id="t3_s1",
                replies=_listing(reply, _thing("more", children=["c9"])),
            ),
            _thing("t1", id="c3", body="good luck", created_utc=4, author="d", replies=""),
        ),
    ]
    line = orjson.dumps(thread)
    records, dead = parse_json_lines(
        [line], source="t.json", first_line=1, mapping=preset("reddit")
    )
    assert dead.is_empty()
    assert records.get_column("id").to_list() == ["t3_s1", "t1_c1", "t1_c2", "t1_c3"]
    assert records.get_column("parent_id").to_list() == [None, "t3_s1", "t1_c1", None]
    assert records.get_column("text").to_list()[0] == "Exams\n\nso stressed"
    nested_list = {**REDDIT_COMMENT, "replies": [{**REDDIT_COMMENT, "id": "k3x9q2a"}]}
    assert len(items(nested_list, preset("reddit"))) == 2


def test_a_reddit_line_without_posts_is_a_dead_letter():
    records, dead = parse_json_lines(
        [b"[]", b'{"kind": "Listing", "data": {"children": []}}'],
        source="t.json",
        first_line=1,
        mapping=preset("reddit"),
    )
    valid, invalid = validate(records, source_tz="UTC")
    assert valid.is_empty() and dead.height + invalid.height == 2


def test_an_inputs_default_language_travels_in_its_mapping_key():
    from transforms.platforms import reddit_things
    from transforms.presets import from_key, with_default_lang

    reddit = with_default_lang(preset("reddit"), "en")
    assert reddit.key == "preset:reddit#lang=en"
    back = from_key(reddit.key)
    assert (back.default_lang, back.expand, back.reads_post_fields) == ("en", reddit_things, False)
    plain = from_key(with_default_lang(None, "es").key)
    assert (plain.default_lang, plain.reads_post_fields) == ("es", True)
    assert with_default_lang(preset("x"), None) is preset("x")


def test_a_default_language_an_older_run_recorded_is_read_as_new_runs_read_it():
    """Regression: a recompute read an earlier input again with the code its run recorded
    (`eng`, before `--lang eng` was read as `en`), so its short posts took the language `eng`,
    which no marker has, and were filtered as an unsupported language."""
    from transforms.presets import from_key

    assert from_key("fields#lang=eng").default_lang == "en"
    assert from_key("preset:reddit#lang=SPA-mx").key == "preset:reddit#lang=es"
    assert from_key("fields#lang=haw").default_lang == "haw"
    assert from_key("fields#lang=und").default_lang == "und"
