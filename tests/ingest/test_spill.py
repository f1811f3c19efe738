from datetime import date

import polars as pl
import pytest

from ingest.spill import read_spilled, remove_spill, spill


def _frames():
    return [
        pl.DataFrame({"id": [3, 1, 2], "line": [10, 11, 12]}, schema_overrides={"id": pl.UInt64}),
        pl.DataFrame({"day": [date(2025, 1, 1)], "sad": [True]}),
        pl.DataFrame({"day": [date(2025, 1, 1)], "sad": [True]}).clear(),
    ]


def test_spilled_frames_come_back_equal_and_in_order(tmp_path):
    frames = _frames()
    addresses = spill(str(tmp_path / "spill"), frames)
    assert len({a.path for a in addresses}) == 1 and addresses[0].offset == 0
    assert [a.rows for a in addresses] == [3, 1, 0]
    back = list(read_spilled(reversed(addresses)))
    for frame, again in zip(reversed(frames), back, strict=True):
        assert frame.equals(again) and frame.schema == again.schema


def test_each_call_writes_its_own_file_and_none_without_frames(tmp_path):
    first, second = spill(str(tmp_path), _frames()[:1]), spill(str(tmp_path), _frames()[:1])
    assert first[0].path != second[0].path
    assert spill(str(tmp_path / "empty"), []) == [] and not (tmp_path / "empty").exists()


def test_a_changed_spill_file_is_an_error_that_says_so(tmp_path):
    (address,) = spill(str(tmp_path), _frames()[:1])
    with pytest.raises(OSError, match="spill directory was changed"):
        list(read_spilled([address._replace(size=address.size + 100)]))


def test_remove_spill_deletes_the_directory_and_ignores_a_missing_one(tmp_path):
    spill(str(tmp_path / "spill"), _frames())
    remove_spill(str(tmp_path / "spill"))
    assert not (tmp_path / "spill").exists()
    remove_spill(str(tmp_path / "never"))
