"""The run's warning of a mapping path no record holds judges the first records, not the first
one alone: a key only some posts carry (`referenced_tweets` on replies and quotes, a `place`
on geotagged posts) is absent from most first records of a real export, and judging one record
told every run of a correct mapping that its posts have no parent."""

from __future__ import annotations

import json

from moodcast.reading import unread_mapped_fields
from transforms.presets import mapping_from_table

TABLE = {"parent_id": "referenced_tweets.0.id", "region": "place.country_code"}


def _post(i: int, **extra) -> dict:
    return {"id": str(i), "created_at": "2025-03-01T10:00:00Z", "text": "so sad", **extra}


def test_a_key_a_later_post_carries_is_held(tmp_path):
    posts = [_post(1), _post(2), _post(3, referenced_tweets=[{"id": "9"}])]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    mapping = mapping_from_table(TABLE, origin="map.toml")
    assert unread_mapped_fields(str(path), mapping) == ['region = "place.country_code"']


def test_a_malformed_line_between_is_passed_over(tmp_path):
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps(_post(1)), "{not json", json.dumps(_post(2, place={"country_code": "ES"}))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = mapping_from_table(TABLE, origin="map.toml")
    assert unread_mapped_fields(str(path), mapping) == ['parent_id = "referenced_tweets.0.id"']


def test_a_json_document_is_judged_by_its_first_objects(tmp_path):
    posts = [_post(1), _post(2, referenced_tweets=[{"id": "9"}], place={"country_code": "ES"})]
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(posts, indent=1), encoding="utf-8")
    mapping = mapping_from_table(TABLE, origin="map.toml")
    assert unread_mapped_fields(str(path), mapping) == []
