"""The readers on a fuzz corpus of 100,000+ good and bad records: nothing crashes, every bad
record is a dead letter with its reason, every good record is counted, and no record's fate
depends on its neighbours (two orders of the same records, two chunk sizes)."""

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from benchmarks.fuzz_corpus import fates, write_corpus
from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

RECORDS = 100_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return folder, write_corpus(folder, n=RECORDS, seed=20261204)


@pytest.mark.slow
@pytest.mark.parametrize("chunk_records", [20_000, 997])
def test_every_record_meets_its_own_fate(corpus, chunk_records):
    folder, expected = corpus
    assert len(expected.fates) >= RECORDS and expected.bad >= RECORDS // 5
    got: dict[tuple[str, int], str] = {}
    for path in sorted(folder.iterdir()):
        got |= fates(str(path), chunk_records)
    wrong = {
        where: (fate, got.get(where))
        for where, (_, fate) in expected.fates.items()
        if got.get(where) != fate
    }
    assert not wrong, f"{len(wrong)} records met the wrong fate, e.g. {list(wrong.items())[:5]}"
    assert set(got) == set(expected.fates), "a dead letter or record that was never written"
    reasons = Counter(fate for _, fate in expected.fates.values())
    assert len(reasons) >= 15


@pytest.mark.slow
def test_the_same_records_in_another_order_meet_the_same_fates(corpus):
    folder, expected = corpus
    by_identity = {}
    for name in ("ordered.jsonl", "shuffled.jsonl"):
        path = str(folder / name)
        got = fates(path, 13)
        by_identity[name] = {expected.fates[where][0]: fate for where, fate in got.items()}
    assert by_identity["ordered.jsonl"] == by_identity["shuffled.jsonl"]


@pytest.mark.slow
def test_a_whole_run_on_a_fuzz_corpus_accounts_for_every_record(tmp_path):
    folder, data = tmp_path / "in", tmp_path / "data"
    folder.mkdir()
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY)
    expected = write_corpus(folder, n=3000, seed=5)
    result = CliRunner().invoke(
        main,
        ["run", str(folder / "*"), "--data-dir", str(data), "--as-of", "2025-03-25", "--json"],
        obj={"beam_args": []},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["read"] == len(expected.fates)
    assert summary["dead_lettered"] == expected.bad
    assert sum(f["dead_lettered"] for f in summary["files"].values()) == expected.bad
