import gzip
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import apache_beam as beam
import orjson
import polars as pl
import pytest
import zstandard
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from ingest.inputs import match_inputs
from ingest.job import IngestJob
from ingest.landing import LANDING_FILES
from ingest.lines import file_format
from ingest.pipeline import run_ingest
from ingest.sources import ReadPostChunks
from transforms.markers import parse_marker
from transforms.posts import PostOptions
from transforms.presets import mapping_from_table, preset

MARKERS = {
    "sad": parse_marker(
        {"name": "sad", "lang": {"en": {"terms": ["sad"]}, "es": {"terms": ["triste"]}}}, origin="t"
    )
}


def _post(i, **extra):
    return {
        "id": str(i),
        "created_at": f"2025-01-0{1 + i % 3}T12:00:00Z",
        "text": "so sad" if i % 2 else "fine",
        "lang": "en",
        "author_id": f"u{i % 7}",
        "region": "north",
        **extra,
    }


def _write_jsonl(path, posts, *, bad_lines=()):
    lines = [orjson.dumps(p) for p in posts] + list(bad_lines)
    data = b"\n".join(lines) + b"\n"
    if path.suffix == ".gz":
        data = gzip.compress(data)
    elif path.suffix == ".zst":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["posts.jsonl", "posts.jsonl.gz", "posts.jsonl.zst"])
def test_read_post_chunks_reads_every_compression(tmp_path, name):
    path = _write_jsonl(tmp_path / name, [_post(i) for i in range(5)], bad_lines=[b"{oops"])
    with BeamTestPipeline(runner="FnApiRunner") as p:
        chunks = p | ReadPostChunks([str(path)], chunk_records=2)
        ids = chunks | beam.FlatMap(lambda c: c.records["id"].to_list())
        reasons = chunks | "Dead" >> beam.FlatMap(lambda c: c.dead["reason"].to_list())
        assert_that(ids, equal_to([str(i) for i in range(5)]))
        assert_that(reasons, equal_to(["invalid JSON"]), label="dead")


def test_csv_and_parquet_inputs(tmp_path):
    frame = pl.DataFrame([_post(i) for i in range(4)])
    frame.write_csv(tmp_path / "a.csv")
    frame.write_parquet(tmp_path / "b.parquet")
    with (tmp_path / "a.csv").open("ab") as handle:
        handle.write(b"9,2025-01-01T00:00:00Z,bad \xff byte,en,u1,north\n")
    with BeamTestPipeline(runner="FnApiRunner") as p:
        chunks = p | ReadPostChunks([str(tmp_path / "a.csv"), str(tmp_path / "b.parquet")])
        ids = chunks | beam.FlatMap(
            lambda c: [
                (c.records["source"][i].rsplit(".", 1)[1], c.records["id"][i])
                for i in range(c.records.height)
            ]
        )
        dead = chunks | "Dead" >> beam.FlatMap(lambda c: c.dead["reason"].to_list())
        assert_that(ids, equal_to([(ext, str(i)) for ext in ("csv", "parquet") for i in range(4)]))
        assert_that(dead, equal_to(["invalid UTF-8"]), label="dead")


def _job(tmp_path, inputs, **options):
    return IngestJob(
        inputs=[str(i) for i in inputs],
        landing_dir=str(tmp_path / "landing"),
        markers=MARKERS,
        key=b"k" * 32,
        run_id="r1",
        options=PostOptions(**options),
    )


def test_the_job_accounts_for_every_record(tmp_path):
    posts = [_post(i) for i in range(1000)]
    posts += [posts[3], posts[4]]  # repeated ids
    posts += [
        _post(2000, is_repost=True),
        _post(2001, lang="fr"),
        _post(2002, created_at="2099-01-01T00:00:00Z"),
    ]
    path = _write_jsonl(
        tmp_path / "in.jsonl", posts, bad_lines=[b'{"id": "x", "text": "\xff"}', b"[]"]
    )
    landing = Path(run_ingest(_job(tmp_path, [path], as_of=date(2025, 6, 1))))
    assert sorted(p.name for p in landing.iterdir()) == sorted(LANDING_FILES)  # spill removed
    counts = {
        (r["category"], r["reason"]): r["n"]
        for r in pl.read_parquet(landing / "counts.parquet").to_dicts()
    }
    assert counts == {
        ("read", ""): 1007,
        ("valid", ""): 1000,
        ("duplicate", "repeated id"): 2,
        ("dead_letter", "invalid UTF-8"): 1,
        ("dead_letter", "not a JSON object"): 1,
        ("filtered", "repost"): 1,
        ("filtered", "unsupported language"): 1,
        ("filtered", "future timestamp"): 1,
    }
    daily = pl.read_parquet(landing / "daily.parquet")
    total = daily.filter((pl.col("region") == "all") & (pl.col("lang") == "all"))
    assert total["n_posts"].sum() == 1000
    assert total["n_marked"].sum() == 500
    assert set(daily["day"]) == {date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)}
    coverage = pl.read_parquet(landing / "coverage.parquet")
    assert coverage["n_records"].sum() == 1002  # kept posts before dropping repeated ids
    dead = pl.read_parquet(landing / "dead_letters.parquet")
    assert dead.columns == ["source", "line", "reason", "record_sha256"] and dead.height == 2
    periods = pl.read_parquet(landing / "periods.parquet").filter(
        (pl.col("region") == "all") & (pl.col("lang") == "all")
    )
    week = periods.filter(pl.col("grain") == "iso_week")
    assert week["period_start"].to_list() == [date(2024, 12, 30)] * week.height
    assert week["n_posts"].sum() == 1000 and week["n_marked"].sum() == 500
    assert set(periods["grain"]) == {"iso_week", "epi_week", "iso_8week", "epi_8week"}
    eight = periods.filter(pl.col("grain") == "iso_8week")
    assert eight.select(
        "period_start", "period_end", "n_posts", "n_marked", "n_authors"
    ).unique().rows() == [(date(2024, 11, 11), date(2025, 1, 5), 1000, 500, 7)]


def test_a_corpus_with_no_lang_field_lands_each_post_in_its_identified_language(tmp_path):
    english = "I feel so sad today, the whole week has been long and grey"
    spanish = "me siento muy triste hoy, toda la semana ha sido larga y gris"
    posts = []
    for i in range(300):
        post = _post(i, text=english if i % 3 else spanish)
        del post["lang"]
        posts.append(post)
    path = _write_jsonl(tmp_path / "posts.jsonl", posts)
    run_ingest(_job(tmp_path, [path], as_of=date(2025, 2, 1)))
    landing = tmp_path / "landing"
    daily = pl.read_parquet(landing / "daily.parquet").filter(
        (pl.col("region") == "all") & (pl.col("lang") != "all")
    )
    by_lang = dict(daily.group_by("lang").agg(pl.col("n_marked").sum()).iter_rows())
    assert by_lang == {"en": 200, "es": 100}
    counts = pl.read_parquet(landing / "counts.parquet")
    assert "filtered" not in set(counts["category"])


def test_match_inputs_hashes_and_refuses_empty_patterns(tmp_path):
    path = _write_jsonl(tmp_path / "a.jsonl", [_post(1)])
    (only,) = match_inputs([str(tmp_path / "*.jsonl")])
    assert only.path == str(path) and len(only.sha256) == 64 and only.bytes == path.stat().st_size
    with pytest.raises(ValueError, match="no input file matches"):
        match_inputs([str(tmp_path / "missing*.jsonl")])


def test_file_formats_by_name():
    assert [
        file_format(n) for n in ["a.jsonl.gz", "b.CSV", "c.parquet", "d.json.zst", "e.ndjson"]
    ] == ["jsonl", "csv", "parquet", "jsonl", "jsonl"]


def _tweet(i, **extra):
    return {
        "id": str(10_000 + i),
        "text": "so sad" if i % 2 else "fine",
        "created_at": f"2025-01-0{1 + i % 3}T12:00:00.000Z",
        "author_id": f"u{i % 7}",
        "lang": "en",
        **extra,
    }


def test_a_preset_maps_x_exports_through_the_job(tmp_path):
    posts = [_tweet(i) for i in range(20)] + [{"data": _tweet(20)}]
    posts.append(_tweet(21, referenced_tweets=[{"type": "retweeted", "id": "10001"}]))
    posts.append(_tweet(22, text=None))
    path = _write_jsonl(tmp_path / "tweets.jsonl", posts, bad_lines=[b'{"id": "x", "text"'])
    job = replace(_job(tmp_path, [path], as_of=date(2025, 6, 1)), mappings={str(path): preset("x")})
    landing = Path(run_ingest(job))
    counts = {
        (r["category"], r["reason"]): r["n"]
        for r in pl.read_parquet(landing / "counts.parquet").to_dicts()
    }
    assert counts == {
        ("read", ""): 24,
        ("valid", ""): 21,
        ("duplicate", "repeated id"): 0,
        ("filtered", "repost"): 1,
        ("dead_letter", "invalid JSON"): 1,
        ("dead_letter", "missing field text"): 1,
    }
    daily = pl.read_parquet(landing / "daily.parquet")
    total = daily.filter((pl.col("region") == "all") & (pl.col("lang") == "all"))
    assert total["n_posts"].sum() == 21 and total["n_marked"].sum() == 10
    dead = pl.read_parquet(landing / "dead_letters.parquet")
    assert sorted(dead["line"]) == [23, 24] and "so sad" not in str(dead.to_dicts())


def test_a_user_mapping_reads_csv_and_parquet_columns(tmp_path):
    rows = [
        {"uuid": str(i), "ts": "2025-01-01T00:00:00Z", "body": "so sad", "lang": "en"}
        for i in range(3)
    ]
    pl.DataFrame(rows).write_csv(tmp_path / "a.csv")
    pl.DataFrame(
        [{"uuid": 9, "meta": {"ts": "2025-01-02T00:00:00Z", "body": "fine"}, "lang": "en"}]
    ).write_parquet(tmp_path / "b.parquet")
    mapping = mapping_from_table(
        {"id": "uuid", "created_at": ["ts", "meta.ts"], "text": ["body", "meta.body"]},
        origin="m.toml",
    )
    with BeamTestPipeline(runner="FnApiRunner") as p:
        paths = [str(tmp_path / "a.csv"), str(tmp_path / "b.parquet")]
        chunks = p | ReadPostChunks(paths, mappings=dict.fromkeys(paths, mapping))
        rows_out = chunks | beam.FlatMap(
            lambda c: c.records.select("id", "created_at", "text", "line").rows()
        )
        assert_that(
            rows_out,
            equal_to(
                [(str(i), "2025-01-01T00:00:00Z", "so sad", i + 2) for i in range(3)]
                + [("9", "2025-01-02T00:00:00Z", "fine", 1)]
            ),
        )


def test_dp_mode_lands_noisy_base_cells_and_suppress_mode_none(tmp_path):
    from transforms.dp import Budget

    path = _write_jsonl(tmp_path / "in.jsonl", [_post(i) for i in range(300)])
    job = _job(tmp_path, [path], as_of=date(2025, 6, 1))
    plain = Path(run_ingest(job))
    assert pl.read_parquet(plain / "dp_daily.parquet").is_empty()
    noisy = Path(
        run_ingest(replace(job, landing_dir=str(tmp_path / "dp"), dp_budget=Budget(epsilon=2.0)))
    )
    cells = pl.read_parquet(noisy / "dp_daily.parquet")
    assert cells.height > 0 and set(cells["epsilon"]) == {2.0}
    assert "all" not in set(cells["region"]) | set(cells["lang"])
    assert cells["noise_sd"].n_unique() == 1 and cells["n_authors"].dtype == pl.Float64


def _cells_landed_with(tmp_path, monkeypatch, path, setting, values):
    """The daily and period cells (sorted) that run_ingest lands from `path` with
    ingest.blocks.`setting` set to each of `values`, each run in a landing directory of its own:
    value -> {"daily": frame, "periods": frame}."""
    landed = {}
    for value in values:
        monkeypatch.setattr(f"ingest.blocks.{setting}", value)
        job = replace(
            _job(tmp_path, [path], as_of=date(2025, 6, 1)), landing_dir=str(tmp_path / str(value))
        )
        landing = Path(run_ingest(job))
        landed[value] = {
            name: pl.read_parquet(landing / f"{name}.parquet").sort(pl.all())
            for name in ("daily", "periods")
        }
    return landed


def test_cells_counted_in_short_blocks_equal_cells_counted_in_one(tmp_path, monkeypatch):
    """Periods whose days fall in several blocks (and 8-week periods in two windows) get the
    counts of one block holding every day: sums add up and author masks OR together."""
    start = date(2025, 1, 1)
    posts = [
        _post(
            i,
            created_at=f"{start + timedelta(days=(i * 7) % 130)}T12:00:00Z",
            author_id=f"u{i % 23}",
            region=("north", "south")[i % 3 == 0],
            text="so sad" if i % 5 < 2 else "fine",
        )
        for i in range(900)
    ]
    path = _write_jsonl(tmp_path / "in.jsonl", posts)
    landed = _cells_landed_with(tmp_path, monkeypatch, path, "BLOCK_DAYS", (7, 994))
    for name in ("daily", "periods"):
        assert landed[7][name].equals(landed[994][name])
    periods = landed[7]["periods"]
    assert set(periods["grain"]) == {"iso_week", "epi_week", "iso_8week", "epi_8week"}
    eight = periods.filter(
        pl.col("grain") == "iso_8week", pl.col("region") == "all", pl.col("lang") == "all"
    )
    assert eight.height == 4 and eight["n_authors"].max() == 23


def test_blocks_counted_in_author_parts_equal_blocks_counted_whole(tmp_path, monkeypatch):
    """A block's posts counted in parts by author hash (BLOCK_SHARD_POSTS), posts without an
    author and a second language included, land the same daily and period cells as whole."""
    start = date(2025, 1, 1)
    posts = [
        _post(
            i,
            created_at=f"{start + timedelta(days=(i * 5) % 90)}T12:00:00Z",
            author_id=None if i % 11 == 0 else f"u{i % 37}",
            lang=("en", "es")[i % 4 == 0],
            text="so sad" if i % 5 < 2 else "fine",
        )
        for i in range(700)
    ]
    path = _write_jsonl(tmp_path / "in.jsonl", posts)
    landed = _cells_landed_with(tmp_path, monkeypatch, path, "BLOCK_SHARD_POSTS", (9, 1_000_000))
    for name in ("daily", "periods"):
        assert landed[9][name].height > 0
        assert landed[9][name].equals(landed[1_000_000][name])
    daily = landed[9]["daily"].filter(pl.col("region") == "all", pl.col("lang") == "all")
    assert daily["n_authors"].max() > 1 and daily["n_posts"].sum() > daily["n_authors"].sum()


@pytest.fixture
def failing_job(tmp_path, monkeypatch):
    """A job over 50 posts whose period counting (ingest.blocks.count_periods) raises
    RuntimeError("counting failed")."""

    def fail(item, run_id):
        raise RuntimeError("counting failed")

    monkeypatch.setattr("ingest.blocks.count_periods", fail)
    path = _write_jsonl(tmp_path / "in.jsonl", [_post(i) for i in range(50)])
    return _job(tmp_path, [path], as_of=date(2025, 6, 1))


def test_a_failed_job_leaves_no_spilled_frames(failing_job):
    with pytest.raises(Exception, match="counting failed"):
        run_ingest(failing_job)
    spill = Path(failing_job.spill_dir)
    assert spill.parent.exists() and not spill.exists()


def test_a_failed_job_reports_its_own_error_when_the_spill_cannot_be_removed(
    failing_job, monkeypatch, caplog
):
    def refuse(directory):
        raise OSError(f"{directory} is read-only")

    monkeypatch.setattr("ingest.pipeline.remove_spill", refuse)
    with pytest.raises(Exception, match="counting failed"):
        run_ingest(failing_job)
    assert "is read-only" in caplog.text
