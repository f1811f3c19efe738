"""The one rule of reading advice for a file of which no record was a usable post
(moodcast.reading.reading_advice), which `moodcast run`, `tag` and `markers adapt` give."""

import json

from moodcast.reading import reading_advice

REDDIT = {"id": "a", "subreddit": "x", "selftext": "so sad", "created_utc": 1, "author": "u1"}


def test_reading_advice_judges_the_first_record_and_never_names_the_preset_in_use(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text(json.dumps(REDDIT) + "\n", encoding="utf-8")
    dead = {"missing field text": 1}
    assert "read them with --preset reddit" in reading_advice(str(path), dead, read_with=None)
    assert reading_advice(str(path), dead, read_with="reddit") == ""


def test_no_reading_advice_where_the_records_fields_were_read(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text(json.dumps(REDDIT) + "\n", encoding="utf-8")
    assert reading_advice(str(path), {}, read_with=None) == ""
    assert reading_advice(str(path), {"unparseable timestamp": 3}, read_with=None) == ""


def test_a_json_document_is_told_the_jq_line(tmp_path):
    path = tmp_path / "posts.json"
    path.write_text(json.dumps([REDDIT]), encoding="utf-8")
    advice = reading_advice(str(path), {"not a JSON object": 1}, read_with=None)
    assert "jq -c '.[]' IN > OUT.jsonl" in advice


def test_a_json_document_is_told_the_jq_line_first_and_then_what_its_records_need(tmp_path):
    """peek_record reads a document's first item, so its advice must not replace the jq line
    the document needs before any reading can work."""
    path = tmp_path / "posts.json"
    post = {"id": "1", "created_at": "2024-03-01T10:00:00Z", "text": "so sad", "author_id": "a"}
    path.write_text(json.dumps([post]), encoding="utf-8")
    assert "jq -c '.[]' IN > OUT.jsonl" in reading_advice(
        str(path), {"invalid JSON": 1}, read_with=None
    )
    path.write_text(json.dumps([REDDIT], indent=2), encoding="utf-8")
    advice = reading_advice(str(path), {"invalid JSON": 9}, read_with=None)
    assert advice.index("jq -c") < advice.index("--preset reddit")
