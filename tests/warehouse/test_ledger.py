import json
from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest

from tests.warehouse.conftest import D1, D2, D3, run_record, table
from warehouse.errors import LoadError
from warehouse.ledger import (
    RunRecord,
    inputs_covering,
    ledgered_sha256s,
    record_counts,
    record_dead_letters,
    record_input_days,
    record_inputs,
    record_run,
)
from warehouse.release_record import release_as_of


def test_runs_are_keyed_on_run_id_and_start(con):
    record_run(con, run_record("r1", hour=1, status="running"))
    record_run(con, run_record("r1", hour=1))
    record_run(con, run_record("r1", hour=2))
    rows = table(con, "runs")
    assert rows.select("run_id", "status").rows() == [("r1", "ok")] * 2
    assert json.loads(rows["marker_versions"][0]) == {"sadness": "v1"}


def test_marker_versions_may_be_given_as_json_text(con):
    record_run(con, replace(run_record("r1"), marker_versions='{"worry": "w", "sadness": "v"}'))
    assert table(con, "runs")["marker_versions"].to_list() == ['{"sadness": "v", "worry": "w"}']
    with pytest.raises(ValueError, match="marker_versions"):
        replace(run_record("r1"), marker_versions="[1]")


def test_run_records_need_aware_times_and_a_known_status():
    with pytest.raises(ValueError, match="time-zone aware"):
        RunRecord(
            run_id="r",
            started_at=datetime(2025, 1, 1),
            as_of=D1,
            tz="UTC",
            package_version="0",
            status="ok",
        )
    with pytest.raises(ValueError, match="status"):
        RunRecord(
            run_id="r",
            started_at=datetime(2025, 1, 1, tzinfo=UTC),
            as_of=D1,
            tz="UTC",
            package_version="0",
            status="done",
        )


def test_input_coverage_is_upserted_and_finds_every_input_of_a_day(con):
    coverage = pl.DataFrame(
        {
            "sha256": ["a", "a", "b", "c"],
            "path": ["in/a.jsonl", "in/a.jsonl", "in/b.jsonl", "in/c.jsonl"],
            "day": [D1, D2, D2, D3],
            "n_records": [5, 6, 7, 8],
        }
    )
    record_input_days(con, coverage)
    record_input_days(con, coverage)
    record_input_days(con, coverage.filter(pl.col("sha256") == "a").with_columns(path=pl.lit("z")))
    assert table(con, "input_days").height == 4
    assert inputs_covering(con, [D2]).rows() == [("in/b.jsonl", "b", None), ("z", "a", None)]
    assert inputs_covering(con, []).height == 0


def test_one_content_at_two_paths_is_covered_once_and_must_agree(con):
    coverage = pl.DataFrame(
        {"sha256": ["a", "a"], "path": ["y.jsonl", "x.jsonl"], "day": [D1, D1], "n_records": [5, 5]}
    )
    assert record_input_days(con, coverage) == 1
    assert table(con, "input_days").rows() == [("a", "x.jsonl", D1, 5)]
    with pytest.raises(LoadError, match="different record counts"):
        record_input_days(con, coverage.with_columns(n_records=pl.Series([5, 6])))


def test_ledgered_inputs_are_those_of_ok_runs(con):
    inputs = pl.DataFrame({"path": ["in/a.jsonl"], "sha256": ["a"], "bytes": [10]})
    record_inputs(con, "r1", inputs)
    record_inputs(con, "r2", [("in/a.jsonl", "b", 10, "preset:x")])
    record_run(con, run_record("r1"))
    record_run(con, run_record("r2", status="failed"))
    assert ledgered_sha256s(con) == {"a"}
    record_inputs(con, "r1", inputs)
    assert table(con, "run_inputs").rows() == [
        ("r1", "in/a.jsonl", "a", 10, None, None, None),
        ("r2", "in/a.jsonl", "b", 10, "preset:x", None, None),
    ]


def test_an_input_is_covered_with_the_mapping_of_the_latest_ok_run_that_read_it(con):
    record_input_days(
        con, pl.DataFrame({"sha256": ["a"], "path": ["a.jsonl"], "day": [D1], "n_records": [5]})
    )
    for run_id, hour, mapping, status in (
        ("r1", 1, "preset:x", "ok"),
        ("r2", 2, None, "ok"),
        ("r3", 3, "preset:reddit", "ok"),
        ("r4", 4, "preset:bluesky", "failed"),
    ):
        record_inputs(con, run_id, [("a.jsonl", "a", 10, mapping)])
        record_run(con, run_record(run_id, hour=hour, status=status))
    assert inputs_covering(con, [D1]).rows() == [("a.jsonl", "a", "preset:reddit")]


def test_counts_and_dead_letters_replace_the_rows_of_their_run(con):
    counts = pl.DataFrame(
        {"category": ["dead_letter", "filtered"], "reason": ["bad json", "repost"], "n": [2, 3]}
    )
    record_counts(con, "r1", counts)
    record_counts(con, "r1", counts.head(1))
    record_counts(con, "r2", counts)
    assert table(con, "run_counts").height == 3
    letters = pl.DataFrame(
        {"source": ["in/a.jsonl"], "line": [3], "reason": ["bad json"], "record_sha256": ["f0"]}
    )
    record_dead_letters(con, letters, run_id="r1")
    record_dead_letters(con, letters, run_id="r1")
    assert table(con, "dead_letters").rows() == [("in/a.jsonl", 3, "bad json", "f0", "r1")]


@pytest.mark.parametrize("status", ["ok", "running", "incomplete"])
def test_a_release_is_as_of_the_day_of_a_run_that_published(con, status):
    """A stream session that ended `incomplete` published what it loaded, as one recorded
    `ok` or still `running` did: its day dates the release (release_as_of counted only those
    two, so a session's day went out of the release as it ended incomplete)."""
    record_run(con, run_record("r1", status=status))
    record_run(con, replace(run_record("r0", status="failed"), as_of=date(2025, 3, 9)))
    assert release_as_of(con) == run_record().as_of
