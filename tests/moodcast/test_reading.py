"""The one rule of what a file of which no record was a usable post holds and how to read it
(moodcast.reading.file_reading, reading_advice), which `moodcast run`, `tag` and `markers adapt`
give."""

import json

from ingest import peek
from moodcast.reading import file_reading, reading_advice
from transforms.presets import preset, suggest_reading

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
    path.write_text(json.dumps([{"uuid": "1", "msg": "so sad"}]), encoding="utf-8")
    advice = reading_advice(str(path), {"not a JSON object": 1}, read_with=None)
    assert "jq -c '.[]' IN > OUT.jsonl" in advice
    path.write_text(json.dumps([REDDIT]), encoding="utf-8")
    advice = reading_advice(str(path), {"not a JSON object": 1}, read_with=None)
    assert "jq" not in advice and "--preset reddit reads as they are" in advice


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


def _comment(n: int) -> dict:
    return {"kind": "t1", "data": {**REDDIT, "id": f"c{n}", "body": "me too", "replies": ""}}


THREAD = [
    {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": REDDIT}]}},
    {"kind": "Listing", "data": {"children": [_comment(1), _comment(2)]}},
]
"""A Reddit thread as reddit.com/r/x/comments/a.json returns it: the submission's Listing,
then its comments' Listing."""


def test_a_json_document_is_described_as_what_it_is_with_what_to_do(tmp_path, monkeypatch):
    """Regression: a run of a JSON document said "No field could be read" (its first line is
    no object) before the jq line: it now says what the file is (an array, or pretty-printed
    objects; how many items; the first one's fields) and then what to do, in one piece."""
    post = {"id": "1", "created_at": "2024-03-01T10:00:00Z", "text": "so sad", "author_id": "a"}
    path = tmp_path / "posts.json"
    path.write_text(json.dumps([post] * 30), encoding="utf-8")
    told = file_reading(str(path), {"not a JSON object": 1}, mapping=None)
    assert told == (
        f"{path} is one JSON document, an array of 30 items (the first with the fields id, "
        "created_at, text, author_id), not JSON Lines (one object per line), and was read with "
        "the Post field names (id, created_at, text, …). Convert it to JSON Lines first, e.g. "
        "jq -c '.[]' IN > OUT.jsonl."
    )
    path.write_text(json.dumps([post]), encoding="utf-8")
    assert f"{path} is one JSON document, an array of 1 item (with the fields id," in file_reading(
        str(path), {"not a JSON object": 1}, mapping=None
    )
    path.write_text(json.dumps([post] * 30), encoding="utf-8")
    monkeypatch.setattr(peek, "PEEK_CHARS", 400)
    assert "starts with a JSON array of at least 4 items (the first" in file_reading(
        str(path), {"not a JSON object": 1}, mapping=None
    )
    path.write_text("\n".join(json.dumps(post, indent=2) for post in [post] * 3), encoding="utf-8")
    told = file_reading(str(path), {"invalid JSON": 18}, mapping=preset("reddit"))
    assert told.startswith(f"{path} holds 3 pretty-printed JSON objects (the first with the fields")
    assert (
        "and was read with --preset reddit. Convert it to JSON Lines first, e.g. jq -c . IN" in told
    )


def test_an_array_line_longer_than_what_is_read_is_not_called_one_json_document(
    tmp_path, monkeypatch
):
    """Regression: JSON Lines whose first line is an array longer than the PEEK_CHARS read
    were described as "one JSON document": what follows that line was never read."""
    post = {"id": "1", "created_at": "2024-03-01T10:00:00Z", "text": "so sad", "author_id": "a"}
    path = tmp_path / "posts.jsonl"
    path.write_text(f"{json.dumps([post] * 30)}\n{json.dumps([post] * 30)}\n", encoding="utf-8")
    monkeypatch.setattr(peek, "PEEK_CHARS", 400)
    told = file_reading(str(path), {"not a JSON object": 2}, mapping=None)
    assert "one JSON document" not in told
    assert told.startswith(
        f"{path} starts with a JSON array of at least 4 items (the first with the fields id, "
    )


def test_a_reddit_thread_on_one_line_is_told_the_preset_that_reads_it_not_the_jq_line(tmp_path):
    """Regression: a thread file as reddit.com returns it (an array of Listings, one line),
    run without --preset, was told the jq line and a mapping of placeholders: the advice could
    not see the posts inside a Listing. --preset reddit reads that line as it is."""
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(THREAD), encoding="utf-8")
    dead = {"not a JSON object": 1}
    advice = reading_advice(str(path), dead, read_with=None)
    assert advice == (
        "These look like reddit exports, which --preset reddit reads as they are: read the file "
        "with --preset reddit."
    )
    assert reading_advice(str(path), dead, read_with="reddit") == ""
    path.write_text(json.dumps(THREAD, indent=2), encoding="utf-8")
    advice = reading_advice(str(path), {"invalid JSON": 40}, read_with=None)
    assert advice == (
        "Convert it to JSON Lines first, e.g. jq -c '.[]' IN > OUT.jsonl. These look like reddit "
        "exports: read them with --preset reddit."
    )
    assert "--preset reddit" in suggest_reading(THREAD[1])


def test_json_lines_of_reddit_threads_are_told_the_preset_not_called_one_document(tmp_path):
    """A thread a line (each line an array of Listings, which --preset reddit reads) is JSON
    Lines, not one JSON document: no jq line, no `is one JSON document`."""
    path = tmp_path / "threads.jsonl"
    path.write_text(f"{json.dumps(THREAD)}\n{json.dumps(THREAD)}\n", encoding="utf-8")
    told = file_reading(str(path), {"not a JSON object": 2}, mapping=None)
    assert "JSON document" not in told and "jq" not in told
    assert told.endswith("These look like reddit exports: read them with --preset reddit.")
