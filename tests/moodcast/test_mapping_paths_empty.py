"""The run's warning of a mapping path the first record lacks is for a path that is not there,
not for one there with an empty value: a first post that is no reply (`"in_reply_to": null`),
an author who states no location (`"user": {"location": null}`), a CSV row whose cell is blank.
Those are the usual first records of real exports, and warning on them told every run of a
correct mapping that its posts have no parent or region."""

from __future__ import annotations

import json

from moodcast.reading import unread_mapped_fields
from transforms.presets import mapping_from_table

TABLE = {
    "region": "user.location",
    "parent_id": "in_reply_to",
    "lang": "langs.0",
    "author_id": "user.id",
}


def test_paths_there_with_empty_values_are_not_named(tmp_path):
    record = {
        "id": "1",
        "created_at": "2025-03-01T10:00:00Z",
        "text": "so sad",
        "in_reply_to": None,
        "langs": [None],
        "user": {"id": "a", "location": None},
    }
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    mapping = mapping_from_table(TABLE, origin="map.toml")
    assert unread_mapped_fields(str(path), mapping) == []
    del record["user"]["location"], record["in_reply_to"]
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert sorted(unread_mapped_fields(str(path), mapping)) == [
        'parent_id = "in_reply_to"',
        'region = "user.location"',
    ]


def test_a_csv_column_blank_in_the_first_row_is_not_named(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,created_at,text,place\n1,2025-03-01T10:00:00Z,so sad,\n2,2025-03-01T11:00:00Z,ok,ES\n",
        encoding="utf-8",
    )
    mapping = mapping_from_table({"region": "place"}, origin="map.toml")
    assert unread_mapped_fields(str(path), mapping) == []
    assert unread_mapped_fields(str(path), mapping_from_table({"region": "city"}, origin="m")) == [
        'region = "city"'
    ]
