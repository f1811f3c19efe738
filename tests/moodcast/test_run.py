"""End to end: `moodcast run` on a small sample, through the real Beam job, DuckDB and statsforecast."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pytest
from click.testing import CliRunner

import warehouse
from benchmarks.published import published_tables
from benchmarks.small_run import AS_OF, LEXICON_ONLY
from ingest.inputs import match_inputs
from moodcast.cli import main
from moodcast.config import load_settings
from moodcast.run import daily_run
from moodcast.sample import generate_sample
from transforms.errors import InputError
from warehouse import queries, release_record

pytestmark = pytest.mark.slow


def _invoke(args, beam_args=()):
    return CliRunner().invoke(
        main, args, obj={"beam_args": list(beam_args)}, catch_exceptions=False
    )


def test_run_accounts_for_every_post_and_ledgers_it(published_run):
    data_dir, summary = published_run
    filtered = sum(summary.filtered.values())
    assert summary.read == summary.valid + summary.dead_lettered + summary.duplicates + filtered
    assert (
        summary.dead_lettered > 0
        and summary.duplicates > 0
        and summary.filtered.get("repost", 0) > 0
    )
    assert summary.days > 0 and summary.series > 0
    con = warehouse.open_published(data_dir)
    try:
        ledger = queries.runs(con).row(0, named=True)
    finally:
        con.close()
    assert (
        ledger["read"],
        ledger["valid"],
        ledger["dead_lettered"],
        ledger["duplicates"],
        ledger["filtered"],
    ) == (
        summary.read,
        summary.valid,
        summary.dead_lettered,
        summary.duplicates,
        filtered,
    )


def test_exports_are_written_with_a_data_dictionary(published_run):
    data_dir, _ = published_run
    names = {p.name for p in (data_dir / "exports").iterdir()}
    assert {
        "timelines.csv",
        "forecasts.csv",
        "alerts.csv",
        "timelines.parquet",
        "data_dictionary.md",
    } <= names
    alerts = pl.read_csv(data_dir / "exports" / "alerts.csv")
    assert alerts.columns == [
        "unique_id",
        "marker",
        "region",
        "lang",
        "start",
        "end",
        "peak",
        "peak_value",
        "threshold",
        "method",
        "severity",
        "reason",
        "issued_on",
        "run_id",
        "grain",
    ]


def _texts_and_authors(path: Path) -> tuple[set[bytes], set[bytes]]:
    """The first 40 bytes of every long post text, and every author id, of a corpus."""
    texts, authors = set(), set()
    for line in path.read_bytes().splitlines():
        try:
            post = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(post, dict):
            if isinstance(post.get("text"), str) and len(post["text"]) > 40:
                texts.add(post["text"][:40].encode())
            if isinstance(post.get("author_id"), str):
                authors.add(post["author_id"].encode())
    return texts, authors


def test_no_raw_text_or_author_id_anywhere_under_the_data_dir(published_run, small_corpus):
    data_dir, _ = published_run
    texts, authors = _texts_and_authors(small_corpus / "posts.jsonl")
    assert texts and authors
    authors = {a for a in authors if len(a) >= 6}
    for path in data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not _any_in(blob, texts), f"raw text in {path}"
            assert not _any_in(blob, authors), f"raw author id in {path}"


def _any_in(blob: bytes, needles) -> bool:
    """Whether any of `needles` (bytes) occurs in `blob`: one Aho-Corasick pass (polars), on the
    bytes read as Latin-1, which maps each byte to one character and so keeps substrings."""
    patterns = pl.Series([n.decode("latin-1") for n in needles], dtype=pl.String)
    return bool(pl.Series([blob.decode("latin-1")]).str.contains_any(patterns.implode()).item())


def test_rerun_leaves_byte_identical_exports_and_the_same_release(
    published_run, small_corpus, tmp_path
):
    """A rerun of the same inputs and day (in a copy of the shared run): the same run id,
    byte-identical exports, and the release and its record (warehouse.record_release) as they
    were."""
    data_dir, first = tmp_path / "data", published_run[1]
    shutil.copytree(published_run[0], data_dir, symlinks=True)
    before = {p.name: p.read_bytes() for p in (data_dir / "exports").iterdir()}
    with warehouse.open_published(data_dir) as con:
        record, timelines = release_record.published_record(con), queries.published(con)
    result = _invoke(
        [
            "run",
            str(small_corpus / "posts.jsonl"),
            "--data-dir",
            str(data_dir),
            "--as-of",
            AS_OF.isoformat(),
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) >= {
        "read",
        "valid",
        "dead_lettered",
        "duplicates",
        "filtered",
        "days",
        "series",
        "alerts",
    }
    assert summary["run_id"] == first.run_id
    after = {p.name: p.read_bytes() for p in (data_dir / "exports").iterdir()}
    assert after == before
    with warehouse.open_published(data_dir) as con:
        assert release_record.published_record(con).equals(record)
        assert queries.published(con).equals(timelines)


def test_a_second_file_over_loaded_days_equals_loading_both_at_once(small_corpus, tmp_path):
    lines = (small_corpus / "posts.jsonl").read_bytes().splitlines(keepends=True)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"".join(lines[0::2]))  # interleaved: both files cover every day
    second.write_bytes(b"".join(lines[1::2]))
    one_by_one, at_once = tmp_path / "one", tmp_path / "once"
    for data_dir in (one_by_one, at_once):  # a warehouse property: lexicon markers are enough
        data_dir.mkdir()
        (data_dir / "config.toml").write_text(LEXICON_ONLY)
    for path in (first, second):
        daily_run([str(path)], settings=load_settings(one_by_one), as_of=AS_OF, beam_args=[])
    daily_run([str(first), str(second)], settings=load_settings(at_once), as_of=AS_OF, beam_args=[])
    a, b = published_tables(one_by_one), published_tables(at_once)
    for name in a:
        assert a[name].equals(b[name]), name


def test_the_alert_methods_setting_decides_which_methods_a_run_writes(
    published_run, small_corpus, tmp_path
):
    # the same markers as published_run's, other alert methods
    (tmp_path / "config.toml").write_text(LEXICON_ONLY + 'alert_methods = ["ears_c2", "cusum"]\n')
    daily_run(
        [str(small_corpus / "posts.jsonl")],
        settings=load_settings(tmp_path),
        as_of=AS_OF,
        beam_args=[],
    )
    chosen = set(published_tables(tmp_path)["alerts"]["method"])
    default = set(published_tables(published_run[0])["alerts"]["method"])
    assert {"ears_c2", "cusum"} <= chosen <= {"ears_c2", "cusum", "data_event"}
    assert "early" in default and not default & {"ears_c2", "cusum"}


def test_a_failed_run_is_ledgered_and_leaves_the_published_data_as_it_was(
    published_run, small_corpus, tmp_path
):
    data_dir, first = published_run
    shutil.copytree(data_dir, tmp_path, symlinks=True, dirs_exist_ok=True)  # a good run's data
    posts = [str(small_corpus / "posts.jsonl")]
    before = published_tables(tmp_path)
    ledger_before = _ledger(tmp_path)
    assert (first.run_id, "ok", first.read) in ledger_before
    with pytest.raises(ValueError, match="needs --temp_location"):  # refused before it starts
        daily_run(
            posts,
            settings=load_settings(tmp_path),
            as_of=AS_OF,
            beam_args=["--runner=DataflowRunner"],
        )
    unusable = tmp_path / "inputs" / "unusable.jsonl"
    unusable.parent.mkdir()
    unusable.write_text('{"id": "1"}\n{"id": "2", "text": "no time"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="No usable post"):  # fails once the job has read it
        daily_run([str(unusable)], settings=load_settings(tmp_path), as_of=AS_OF, beam_args=[])
    after = published_tables(tmp_path)
    assert all(after[name].equals(before[name]) for name in before)
    con = warehouse.open_published(tmp_path)
    try:
        assert warehouse.ledgered_sha256s(con) == {f.sha256 for f in match_inputs(posts)}
    finally:
        con.close()
    ledger = _ledger(tmp_path)
    assert sorted(row[1:] for row in ledger) == sorted(
        [row[1:] for row in ledger_before] + [("failed", 0)]
    )
    assert set(ledger_before) < set(ledger)


def _ledger(data_dir: Path) -> list[tuple]:
    con = warehouse.open_published(data_dir)
    try:
        return queries.runs(con).select("run_id", "status", "read").rows()
    finally:
        con.close()


def test_a_second_run_while_one_holds_the_lock_fails_naming_the_holder(small_corpus, tmp_path):
    with warehouse.RunLock(tmp_path, command="moodcast run (the other one)"):
        result = CliRunner().invoke(
            main, ["run", str(small_corpus / "posts.jsonl"), "--data-dir", str(tmp_path)], obj={}
        )
    assert result.exit_code == 75
    assert "the other one" in result.output


def test_unknown_options_before_the_separator_are_errors(small_corpus):
    result = CliRunner().invoke(
        main, ["run", str(small_corpus / "posts.jsonl"), "--runner=DataflowRunner"], obj={}
    )
    assert result.exit_code == 2 and "No such option" in result.output


def test_missing_inputs_give_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "nothing*.jsonl"), "--data-dir", str(tmp_path)], obj={}
    )
    assert result.exit_code == 4 and "no input file matches" in result.output


def test_demo_keeps_the_raw_sample_outside_the_data_dir(tmp_path):
    data_dir, sample_dir = tmp_path / "data", tmp_path / "sample"
    result = _invoke(
        [
            "demo",
            "--no-dashboard",
            "--posts",
            "3000",
            "--data-dir",
            str(data_dir),
            "--sample-dir",
            str(sample_dir),
        ]
    )
    assert result.exit_code == 0, result.output
    assert (sample_dir / "posts.jsonl").exists() and (
        data_dir / "exports" / "timelines.csv"
    ).exists()
    assert not any(path.name == "posts.jsonl" for path in data_dir.rglob("*"))
    assert "read 3,000 posts" in result.output
    assert "dead-lettered" in result.output and "plants malformed records" in result.output
    assert f"data dictionary) in {data_dir / 'exports'}" in result.output
    texts = {
        orjson.loads(line)["text"][:30]
        for line in (sample_dir / "posts.jsonl").read_bytes().splitlines()[:500]
        if line.startswith(b'{"') and line.endswith(b"}") and b'"text":"' in line
    }
    assert texts and not any(text in result.output for text in texts), "raw text in the logs"


def test_in_dp_mode_a_day_is_released_by_the_first_run_after_it_and_never_redrawn(
    small_corpus, tmp_path
):
    """Daily runs, one file a day: a day is noised once, by the run after it ends (a run on its
    own date leaves it open), and later runs that re-read it keep that draw, since a second
    draw would spend its authors' (ε, δ) again."""
    by_day: dict[str, list[bytes]] = {}
    for line in (small_corpus / "posts.jsonl").read_bytes().splitlines(keepends=True):
        try:
            by_day.setdefault(str(orjson.loads(line).get("created_at", ""))[:10], []).append(line)
        except (orjson.JSONDecodeError, AttributeError):
            continue
    days = sorted(d for d, lines in by_day.items() if len(d) == 10 and len(lines) > 100)[1:3]
    for day in days:
        (tmp_path / f"{day}.jsonl").write_bytes(b"".join(by_day[day]))
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY + 'privacy = "dp"\n')

    def released(path: str, as_of: str) -> pl.DataFrame:
        daily_run([path], settings=load_settings(data), as_of=date.fromisoformat(as_of),
                  beam_args=[])  # fmt: skip
        con = warehouse.open_published(data)
        try:
            return con.sql("SELECT * EXCLUDE (run_id) FROM dp_daily ORDER BY ALL").pl()
        finally:
            con.close()

    first, second = (str(tmp_path / f"{day}.jsonl") for day in days)
    d0, d1 = (date.fromisoformat(day) for day in days)
    before = released(first, days[0])  # a file's posts may carry a zone offset into the day before
    assert before.filter(pl.col("day") >= d0).is_empty()
    once = released(second, days[1])
    assert set(once["day"]) - set(before["day"]) == {d0}
    assert once.filter(pl.col("day") < d0).equals(before)
    again = released(second, (d1 + timedelta(days=1)).isoformat())
    assert set(again["day"]) - set(once["day"]) == {d1}
    assert again.filter(pl.col("day") <= d0).equals(once)


def test_in_dp_mode_a_run_as_of_a_later_day_than_its_clock_releases_no_day_from_the_clock_on(
    tmp_path,
):
    """Before, a DP run `--as-of` tomorrow released today's partial counts, noised once and
    never redrawn: the day was released with the posts of its first hours only."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY + 'privacy = "dp"\n')
    settings = load_settings(data)
    today = datetime.now(ZoneInfo(settings.tz)).date()
    generate_sample(tmp_path, posts=3000, days=3, start=today - timedelta(days=2), tz=settings.tz)
    daily_run([str(tmp_path / "posts.jsonl")], settings=settings,
              as_of=today + timedelta(days=1), beam_args=[])  # fmt: skip
    con = warehouse.open_published(data)
    try:
        released = set(con.sql("SELECT DISTINCT day FROM dp_daily").pl()["day"])
    finally:
        con.close()
    if datetime.now(ZoneInfo(settings.tz)).date() != today:
        pytest.skip("midnight passed during the run: today has ended, and may be released")
    assert today - timedelta(days=1) in released
    assert max(released) < today


def test_an_export_into_the_published_exports_is_refused(published_run, tmp_path):
    """It used to write its files into the published version behind the `exports` link,
    so that version's data dictionary no longer matched its manifest.json."""
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir, symlinks=True)
    before = {p.name: p.read_bytes() for p in (data_dir / "exports").iterdir()}
    version = (data_dir / "exports").resolve()
    for out in (data_dir / "exports", version, version / "sub"):
        result = CliRunner().invoke(
            main, ["export", "-o", str(out), "--data-dir", str(data_dir)], obj={"beam_args": []}
        )
        assert result.exit_code == 3, result.output
        assert "inside the published exports" in result.output
    assert {p.name: p.read_bytes() for p in (data_dir / "exports").iterdir()} == before
    elsewhere = CliRunner().invoke(
        main, ["export", "-o", str(tmp_path / "out"), "--data-dir", str(data_dir)]
    )
    assert elsewhere.exit_code == 0, elsewhere.output


def test_an_export_in_another_format_replaces_the_earlier_exports_files(published_run, tmp_path):
    """A Parquet export over a CSV export left the stale CSV files beside the new ones, where
    an analyst could open numbers of an earlier warehouse. Files moodcast did not write stay."""
    data_dir, out = published_run[0], tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("the analyst's own notes\n")

    def export(fmt: str) -> list[str]:
        result = CliRunner().invoke(
            main,
            ["export", "--format", fmt, "-o", str(out), "--data-dir", str(data_dir)],
            obj={"beam_args": []},
        )
        assert result.exit_code == 0, result.output
        return [Path(line).name for line in result.output.splitlines()]

    written = export("csv")
    assert "manifest.json" in written and "alerts.csv" in written
    written = export("parquet")
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "notes.md"])
    assert not any(name.endswith(".csv") for name in written)
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(manifest) == sorted(n for n in written if n != "manifest.json")
    assert (out / "notes.md").read_text() == "the analyst's own notes\n"


def _kill_parquet_export_at(blocked: Path, *, out: Path, data_dir: Path) -> None:
    """Run `moodcast export --format parquet -o out` in a process and kill it once it writes
    to `blocked`, a FIFO made in its place; then remove the FIFO."""
    os.mkfifo(blocked)
    reader = os.open(blocked, os.O_RDONLY | os.O_NONBLOCK)
    command = [sys.executable, "-c", "from moodcast.cli import cli; cli()", "export",
               "--format", "parquet", "-o", str(out), "--data-dir", str(data_dir)]  # fmt: skip
    killed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not _read_some(reader):
            assert killed.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        killed.kill()
        killed.wait()
        os.close(reader)
        blocked.unlink()


def _read_some(reader: int) -> bytes:
    """What a non-blocking FIFO `reader` holds now: b"" before a writer opened it, and also once
    one has but has not written yet (where os.read raises BlockingIOError)."""
    try:
        return os.read(reader, 1 << 16)
    except BlockingIOError:
        return b""


def test_an_export_killed_before_its_manifest_leaves_nothing_the_next_export_keeps(
    published_run, tmp_path
):
    """An export killed after its files were in place but before its manifest left them
    unlisted: every later export kept them, beside its own files, for ever."""
    data_dir, out = published_run[0], tmp_path / "out"

    def export(fmt: str) -> list[str]:
        result = _invoke(["export", "--format", fmt, "-o", str(out), "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        return [Path(line).name for line in result.output.splitlines()]

    export("csv")
    blocked = out / ".manifest.json.tmp"
    _kill_parquet_export_at(blocked, out=out, data_dir=data_dir)
    assert (out / "timelines.parquet").exists()
    (out / "alerts.parquet").write_text("the analyst's own table\n")

    written = export("csv")
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "alerts.parquet"])
    assert (out / "alerts.parquet").read_text() == "the analyst's own table\n"


def test_an_export_killed_before_its_files_took_their_names_leaves_no_temporary_file(
    published_run, tmp_path
):
    """An export killed while its files were still under their temporary names (`.NAME.tmp`,
    listed nowhere) left them for ever when the next export was in the other format."""
    data_dir, out = published_run[0], tmp_path / "out"
    out.mkdir()
    blocked = out / "..manifest-pending.json.tmp"
    _kill_parquet_export_at(blocked, out=out, data_dir=data_dir)
    assert (out / ".timelines.parquet.tmp").exists()
    (out / "notes.md").write_text("the analyst's own notes\n")

    result = _invoke(["export", "--format", "csv", "-o", str(out), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    written = [Path(line).name for line in result.output.splitlines()]
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "notes.md"])
