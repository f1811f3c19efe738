"""`moodcast run` against damaged inputs and leaky keys: refused naming the file, or the loss
and the relabelling recorded, per file, in the summary and the ledger."""

from __future__ import annotations

import errno
import gzip
import json
import os

import orjson
import pytest
from click.testing import CliRunner

import warehouse
from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

pytestmark = pytest.mark.slow


def _posts(n: int, *, region: str = "ES-MD") -> bytes:
    return b"".join(
        orjson.dumps(
            {"id": str(i), "created_at": f"2025-03-{1 + i % 20:02d}T10:00:00Z",
             "text": "feeling sad and tired today", "author_id": f"a{i % 40}",
             "lang": "en", "region": region if i % 2 else "ES-CT"}
        ) + b"\n"
        for i in range(n)
    )  # fmt: skip


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], obj={"beam_args": []})


def test_a_truncated_input_fails_the_run_naming_it_unless_kept_partial(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    whole = gzip.compress(_posts(2000, region="x" * 100_000))
    cut = tmp_path / "posts.jsonl.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    run = ("run", cut, "--data-dir", data, "--as-of", "2025-03-25", "--json")
    refused = _invoke(*run)
    assert refused.exit_code == 4  # an InputError
    assert str(cut) in refused.output and "--keep-partial" in refused.output
    assert "Traceback" not in refused.output

    kept = _invoke(*run, "--keep-partial")
    assert kept.exit_code == 0, kept.output
    summary = json.loads(kept.stdout.splitlines()[-1])
    read, dead = summary["files"][str(cut)]["read"], summary["files"][str(cut)]["dead_lettered"]
    assert 0 < read < 2000 and dead == 1
    assert summary["relabelled"] == {"region not allowed, counted as unknown": (read - 1) // 2}
    assert summary["k"] == 11
    con = warehouse.open_published(data)
    try:
        statuses = [s for (s,) in con.sql("SELECT status FROM runs ORDER BY started_at").fetchall()]
        inputs = con.sql("SELECT n_read, n_dead_lettered FROM run_inputs").fetchall()
        regions = {r for (r,) in con.sql("SELECT DISTINCT region FROM daily_aggregates").fetchall()}
    finally:
        con.close()
    assert statuses == ["failed", "ok"]
    assert inputs == [(read, 1)]
    assert regions == {"ES-CT", "unknown", "all"}


def test_a_data_directory_that_cannot_be_written_is_a_one_paragraph_error(tmp_path):
    target = "/sys/moodcast-data"
    try:
        os.mkdir(target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EROFS, errno.EACCES):
            pytest.skip(f"needs /sys to refuse new directories ({exc})")
    else:
        os.rmdir(target)
        pytest.skip("needs /sys to refuse new directories (sysfs)")
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(_posts(10))
    result = _invoke("run", posts, "--data-dir", target, "--as-of", "2025-03-25")
    assert result.exit_code == 7, result.output  # a WarehouseError
    assert "cannot write" in result.output and "writable" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("change", ["append", "remove", "rewrite"])
def test_an_input_that_changes_or_goes_while_the_run_reads_it_fails_the_run(
    tmp_path, monkeypatch, change
):
    """A writer still appending: the ledger would keep the hash of the content matched before
    the run, beside days computed from more posts, and every later run over those days would
    find the file 'changed since it was loaded'. A file removed before Beam opened it failed
    the run with Beam's own error (exit 9, 'Empty match for pattern ... Disallowed'). A rewrite
    of the same size is caught by its content."""
    import moodcast.run

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    posts, other = tmp_path / "posts.jsonl", tmp_path / "other.jsonl"
    posts.write_bytes(_posts(300))
    other.write_bytes(_posts(20))
    real_ingest = moodcast.run.run_ingest

    def ingest_while_the_input_changes(job, **kwargs):
        if change == "append":
            with posts.open("ab") as handle:
                handle.write(_posts(400)[len(_posts(300)) :])
        elif change == "rewrite":
            posts.write_bytes(_posts(300).replace(b"sad", b"sat"))
            os.utime(posts, (posts.stat().st_atime, posts.stat().st_mtime + 60))
        else:
            posts.unlink()
        return real_ingest(job, **kwargs)

    monkeypatch.setattr(moodcast.run, "run_ingest", ingest_while_the_input_changes)
    run = ("run", posts, other, "--data-dir", data, "--as-of", "2025-03-25", "--json")
    refused = _invoke(*run)
    assert refused.exit_code == 4, refused.output
    assert f"Error: {posts} changed or went away while the run read it" in refused.output
    con = warehouse.open_published(data)
    try:
        assert con.sql("SELECT status FROM runs").fetchall() == [("failed",)]
        assert con.sql("SELECT count(*) FROM run_inputs").fetchall() == [(0,)]
    finally:
        con.close()

    monkeypatch.setattr(moodcast.run, "run_ingest", real_ingest)
    if change == "remove":
        posts.write_bytes(_posts(400))
    done = _invoke(*run)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1])["read"] == (320 if change == "rewrite" else 420)


def test_an_input_touched_while_the_run_reads_it_is_unchanged(tmp_path, monkeypatch):
    """Only its modification time moved (`touch`, a backup tool, a sync that rewrites the same
    bytes): the run failed with exit 4 although what was read is what was hashed."""
    import moodcast.run

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(_posts(300))
    real_ingest = moodcast.run.run_ingest

    def ingest_while_the_input_is_touched(job, **kwargs):
        posts.write_bytes(posts.read_bytes())
        os.utime(posts, (posts.stat().st_atime, posts.stat().st_mtime + 60))
        return real_ingest(job, **kwargs)

    monkeypatch.setattr(moodcast.run, "run_ingest", ingest_while_the_input_is_touched)
    done = _invoke("run", posts, "--data-dir", data, "--as-of", "2025-03-25", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1])["read"] == 300
    con = warehouse.open_published(data)
    try:
        assert con.sql("SELECT status FROM runs").fetchall() == [("ok",)]
    finally:
        con.close()


def test_an_as_of_before_the_data_says_which_dates_the_run_keeps(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(_posts(50))
    refused = _invoke("run", posts, "--data-dir", data, "--as-of", "2024-12-31")
    assert refused.exit_code == 4
    assert "50 filtered (50 future timestamp)" in refused.output
    assert "after the run's date (2024-12-31: --as-of, else today)" in refused.output
    assert "give --as-of the last day the data cover" in refused.output


def test_a_json_document_instead_of_json_lines_is_told_how_to_convert(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    posts = [orjson.loads(line) for line in _posts(20).splitlines()]
    array, pretty = tmp_path / "posts.json", tmp_path / "pretty.json"
    array.write_bytes(orjson.dumps(posts))
    pretty.write_bytes(b"\n".join(orjson.dumps(p, option=orjson.OPT_INDENT_2) for p in posts))
    fields = "(the first with the fields id, created_at, text, author_id, lang, region)"
    told = {
        array: f"{array} is one JSON document, an array of 20 items {fields}, not JSON Lines",
        pretty: f"{pretty} holds 20 pretty-printed JSON objects {fields}, not JSON Lines",
    }
    for path, dead, convert in [
        (array, "1 not a JSON object", "jq -c '.[]' IN > OUT.jsonl"),
        (pretty, "invalid JSON", "jq -c . IN > OUT.jsonl"),
    ]:
        refused = _invoke("run", path, "--data-dir", data, "--as-of", "2025-03-25")
        assert refused.exit_code == 4
        message = " ".join(refused.output.split())
        assert dead in message and told[path] in message
        assert f"Convert it to JSON Lines first, e.g. {convert}. Nothing was published." in message
        assert "No field could be read" not in message


def test_an_input_whose_name_holds_glob_characters_is_read_as_itself(tmp_path):
    """A matched path was given back to Beam as a pattern: `posts [1].jsonl` matched
    `posts 1.jsonl` instead (read twice here), and the run failed saying the file had changed
    or gone."""
    data, posts = tmp_path / "data", tmp_path / "in"
    data.mkdir()
    posts.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    (posts / "posts [1].jsonl").write_bytes(_posts(50))
    (posts / "posts 1.jsonl").write_bytes(_posts(80)[len(_posts(50)) :])
    done = _invoke("run", f"{posts}/*.jsonl", "--data-dir", data, "--as-of", "2025-03-25", "--json")
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.splitlines()[-1])
    assert (summary["read"], summary["duplicates"]) == (80, 0)


def test_an_empty_input_is_called_empty(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    empty = tmp_path / "posts.jsonl"
    empty.write_bytes(b"")
    refused = _invoke("run", empty, "--data-dir", data, "--as-of", "2025-03-25")
    assert refused.exit_code == 4
    assert f"Error: No usable post: {empty} is empty (no record to read)." in refused.output


def test_an_earlier_input_named_like_a_glob_is_read_again_as_itself(tmp_path):
    """Matched again from the ledger as a pattern, `posts [1].jsonl` was called gone."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    first, second = tmp_path / "posts [1].jsonl", tmp_path / "more.jsonl"
    first.write_bytes(_posts(50))
    second.write_bytes(_posts(80)[len(_posts(50)) :])
    for pattern, read in [(tmp_path / "posts*.jsonl", 50), (second, 80)]:
        done = _invoke("run", pattern, "--data-dir", data, "--as-of", "2025-03-25", "--json")
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout.splitlines()[-1])["read"] == read


def test_an_earlier_input_that_a_later_version_refuses_is_read_again_as_it_was_loaded(
    tmp_path, monkeypatch
):
    """A file loaded before refuse_unsplittable refused lines mostly not UTF-8 (each such line
    a dead letter) was called gone by every later run over its days, which then failed."""
    import ingest.inputs

    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    latin, more = tmp_path / "latin.jsonl", tmp_path / "more.jsonl"
    latin.write_bytes(_posts(50).replace(b"sad and", "sad ànd".encode("latin-1"), 10))
    more.write_bytes(_posts(80)[len(_posts(50)) :])
    run = ("--data-dir", data, "--as-of", "2025-03-25", "--json")
    assert _invoke("run", latin, *run).exit_code == 4
    with monkeypatch.context() as older_version:
        older_version.setattr(ingest.inputs, "refuse_unsplittable", lambda path: None)
        loaded = _invoke("run", latin, *run)
    assert json.loads(loaded.stdout.splitlines()[-1])["dead_lettered"] == 10
    done = _invoke("run", more, *run)
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.splitlines()[-1])
    assert (summary["read"], summary["dead_lettered"]) == (80, 10)


def test_an_earlier_input_changed_since_it_was_loaded_refuses_only_the_inputs_needing_it(
    tmp_path,
):
    """An earlier input changed in place failed the run with a plain InputError naming only the
    earlier file; now the error names the new inputs whose weeks it covers (which follow mode
    leaves aside), and an input of other weeks loads alone."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    loaded, same_week, other = (tmp_path / n for n in ("a.jsonl", "b.jsonl", "c.jsonl"))
    loaded.write_bytes(_posts(50))
    same_week.write_bytes(_posts(80)[len(_posts(50)) :])
    other.write_bytes(_posts(40).replace(b"2025-03-", b"2024-12-"))
    run = ("--data-dir", data, "--as-of", "2025-03-25", "--json")
    assert _invoke("run", loaded, *run).exit_code == 0
    loaded.write_bytes(_posts(49))
    refused = _invoke("run", same_week, other, *run)
    assert refused.exit_code == 4, refused.output
    assert f"{loaded} was loaded before and has changed since" in refused.output
    assert f"move {same_week} out of the inputs" in refused.output
    assert str(other) not in refused.output
    done = _invoke("run", other, *run)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1])["read"] == 40


def test_an_input_named_like_a_glob_is_read_as_named(tmp_path):
    """`moodcast run 'posts [1].jsonl'` read `posts 1.jsonl` (a glob's match) instead."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    (tmp_path / "posts [1].jsonl").write_bytes(_posts(30))
    (tmp_path / "posts 1.jsonl").write_bytes(_posts(70))
    named = tmp_path / "posts [1].jsonl"
    done = _invoke("run", named, "--data-dir", data, "--as-of", "2025-03-25", "--json")
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["read"] == 30 and list(summary["files"]) == [str(named)]
