"""`moodcast tag` reads inputs with the job's reader: every format, presets, and an account."""

from __future__ import annotations

import json

import polars as pl
import zstandard
from click.testing import CliRunner

from moodcast.cli import main
from transforms.timestamp_forms import AMBIGUOUS_TIMESTAMP, TIMESTAMP_FORMS, ZONE_NAMED_TIMESTAMP

POSTS = [
    {"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "I feel so sad and alone tonight"},
    {"id": "2", "created_at": "2025-03-01T11:00:00Z", "text": "😢😢😢"},
    {"id": "3", "created_at": "2025-03-01T12:00:00Z", "text": "Me siento muy triste esta noche"},
    {"id": "4", "created_at": "not a time", "text": "never mind"},
]


def _tag(tmp_path, path, *extra):
    out = tmp_path / "tagged.parquet"
    result = CliRunner().invoke(
        main,
        ["tag", str(path), "-o", str(out), "--source", "lexicon", "--markers", "sadness",
         "--data-dir", str(tmp_path / "data"), *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return pl.read_parquet(out), result.output


def test_tag_reads_zstd_json_lines_and_accounts_for_every_line(tmp_path):
    path = tmp_path / "posts.jsonl.zst"
    raw = "".join(json.dumps(p) + "\n" for p in POSTS).encode() + b"{broken\n"
    path.write_bytes(zstandard.ZstdCompressor().compress(raw))
    tagged, output = _tag(tmp_path, path)
    assert tagged.select("id", "lang").rows() == [("1", "en"), ("2", "und"), ("3", "es")]
    assert tagged.get_column("sadness").to_list() == [True, None, True]
    assert (
        "read 5 records: 3 valid, 2 dead-lettered (1 invalid JSON, 1 unparseable timestamp)"
        in output
    )
    assert "languages: 1 en, 1 es, 1 und" in output


def test_tag_gives_emoji_only_posts_the_inputs_language_and_scores_their_emoji(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS[:2]), encoding="utf-8")
    tagged, _ = _tag(tmp_path, path, "--lang", "en")
    assert tagged.select("id", "lang", "sadness").rows() == [("1", "en", True), ("2", "en", True)]


def test_tag_reads_a_reddit_thread_through_the_preset(tmp_path):
    comment = {"id": "c1", "body": "so sad since the move", "created_utc": 1740823200,
               "author": "a", "replies": {"kind": "Listing", "data": {"children": [
                   {"kind": "t1", "data": {"id": "c2", "body": "same, I feel so sad",
                                           "created_utc": 1740826800, "author": "b",
                                           "replies": ""}}]}}}  # fmt: skip
    thread = [{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": comment}]}}]
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(thread) + "\n", encoding="utf-8")
    tagged, output = _tag(tmp_path, path, "--preset", "reddit", "--lang", "en")
    assert tagged.get_column("id").to_list() == ["t1_c1", "t1_c2"]
    assert "read 2 records: 2 valid" in output


def test_tag_without_a_usable_post_fails_naming_the_fields_and_the_preset(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text(json.dumps({"id": "a1", "body": "so sad", "created_utc": 1, "subreddit": "x"})
                    + "\n", encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(
        main, ["tag", str(path), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 4
    assert "has the fields id, body, created_utc, subreddit" in result.output
    assert "--preset reddit" in result.output and "Traceback" not in result.output


def test_tag_without_a_usable_post_drafts_a_mapping_past_a_malformed_first_csv_record(tmp_path):
    """Regression: the advice read the file's first record with the csv module alone, which
    raised on a text over its field limit (the job's dead letter `oversized field`): a traceback
    instead of the error. It now reads the record after it, as the job does."""
    path = tmp_path / "posts.csv"
    path.write_text(
        f'post_id,date,body\n1,2025-03-01T10:00:00Z,"{"so sad " * 20_000}"\n'
        '2,2025-03-01T11:00:00Z,"so sad\n\ntoday"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["tag", str(path), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 4, result.output
    output = " ".join(result.output.split())
    assert "(1 missing field id, 1 oversized field)" in output
    assert 'id = "post_id"; created_at = "date"; text = "body"' in output


def test_tag_without_a_usable_post_says_how_to_rewrite_dates_in_day_month_order(tmp_path):
    path = tmp_path / "posts.jsonl"
    rows = [{"id": "1", "created_at": "03/01/2025 10:00", "text": "so sad"},
            {"id": "2", "created_at": "yesterday", "text": "so sad"}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tag", str(path), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 4
    assert f"(1 {AMBIGUOUS_TIMESTAMP}, 1 unparseable timestamp)" in result.output
    assert "pd.to_datetime(column, dayfirst=True)" in result.output
    assert f"reads created_at as {TIMESTAMP_FORMS}" in " ".join(result.output.split())
    assert "mapping file" not in result.output and "Traceback" not in result.output


def test_tag_without_a_usable_post_names_the_zone_names_it_did_not_guess(tmp_path):
    path = tmp_path / "posts.jsonl"
    rows = [{"id": "1", "created_at": "2025-01-03 10:00:00 CST", "text": "so sad"},
            {"id": "2", "created_at": "Fri Jan 03 10:00:00 IST 2025", "text": "so sad"}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tag", str(path), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 4
    output = " ".join(result.output.split())
    cst, ist = (ZONE_NAMED_TIMESTAMP.format(name) for name in ("CST", "IST"))
    assert f"(1 {cst}, 1 {ist})" in output
    assert "A created_at whose zone is a name (CST, IST) is not read" in output
    assert "write the offset in its place" in output and "mapping file" not in output


def test_tag_identifies_languages_among_every_markers_as_a_run_does(tmp_path):
    """Regression: `--markers` narrowed the languages posts were identified among to those of
    the markers named, so a German post tagged with `sadness` alone (en, es) was read as one
    of those, where a run of the same data directory, whose marker `dunkel` has German, reads
    it as German (and `sadness` does not decide it)."""
    markers = tmp_path / "data" / "markers"
    markers.mkdir(parents=True)
    (markers / "dunkel.toml").write_text(
        'name = "dunkel"\n[lang.de]\nterms = ["traurig"]\n', encoding="utf-8"
    )
    post = {
        "id": "1",
        "created_at": "2025-03-01T10:00:00Z",
        "text": "Ich bin heute so traurig und allein zu Hause",
    }
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(post) + "\n", encoding="utf-8")
    tagged, _ = _tag(tmp_path, path)
    assert tagged.select("lang", "sadness").row(0) == ("de", None)


def test_an_iso_639_2_lang_is_the_language_its_posts_are_identified_in(tmp_path):
    """Regression: `--lang spa` gave an emoji-only post the code `spa`, which no marker has,
    where a post stating `spa` is read as `es`: its sadness emoji were never scored."""
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS[1:3]), encoding="utf-8")
    tagged, _ = _tag(tmp_path, path, "--lang", "spa")
    assert tagged.select("id", "lang", "sadness").rows() == [("2", "es", True), ("3", "es", True)]


def test_tag_of_a_json_document_is_told_how_to_convert_it_as_a_run_is(tmp_path):
    """Regression: `moodcast tag` of a JSON array or of pretty-printed objects said what became
    of its records but not the `jq` line that a run gives (moodcast.reading.reading_advice)."""
    posts = POSTS[:2]
    array, pretty = tmp_path / "posts.json", tmp_path / "pretty.json"
    array.write_text(json.dumps(posts), encoding="utf-8")
    pretty.write_text("\n".join(json.dumps(p, indent=2) for p in posts), encoding="utf-8")
    told = {
        array: (f"{array} is one JSON document, an array of 2 items", "jq -c '.[]' IN > OUT.jsonl"),
        pretty: (f"{pretty} holds 2 pretty-printed JSON objects", "jq -c . IN > OUT.jsonl"),
    }
    for path, (what, convert) in told.items():
        result = CliRunner().invoke(
            main,
            ["tag", str(path), "-o", str(tmp_path / "t.parquet"), "--data-dir", str(tmp_path)],
        )
        assert result.exit_code == 4, result.output
        output = " ".join(result.output.split())
        assert what in output and convert in output and "Traceback" not in output


def test_tag_loads_its_settings_once(tmp_path):
    """Regression: `moodcast tag` loaded its data directory's settings once for reading and
    once or twice more for its markers, so what loading says (k = 1's UNPROTECTED RELEASE
    warning) was said up to three times; the markers now come from the settings loaded once."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text("k = 1\nallow_small_k = true\n", encoding="utf-8")
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS[:2]), encoding="utf-8")
    _, output = _tag(tmp_path, path)
    assert output.count("UNPROTECTED RELEASE") == 1
