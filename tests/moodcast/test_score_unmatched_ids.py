"""`moodcast alerts score` warns when the series ids of its truth periods match no series (ids
are compared as text: a truth file saved with `7` for the series `007` would otherwise score
every one of its periods as missed, silently)."""

from __future__ import annotations

import json

import polars as pl
from click.testing import CliRunner

from moodcast.cli import main

ALERT = {
    "unique_id": "007",
    "method": "early",
    "severity": "high",
    "start": "2026-11-30",
    "end": "2026-11-30",
    "issued_on": "2026-11-30",
}


def _score(tmp_path, truth_ids, *, series=False):
    (tmp_path / "alerts.json").write_text(json.dumps([ALERT]))
    pl.DataFrame(
        {"unique_id": truth_ids, "start": ["2026-11-23"] * len(truth_ids),
         "end": ["2026-12-07"] * len(truth_ids)}
    ).write_csv(tmp_path / "truth.csv")  # fmt: skip
    args = ["alerts", "score", "--alerts", str(tmp_path / "alerts.json"), "--truth",
            str(tmp_path / "truth.csv"), "--json"]  # fmt: skip
    if series:
        days = pl.date_range(pl.date(2026, 11, 2), pl.date(2026, 12, 14), "1w", eager=True)
        pl.DataFrame({"unique_id": "007", "ds": days, "y": 1.0}).write_csv(tmp_path / "s.csv")
        args += ["--series", str(tmp_path / "s.csv")]
    result = CliRunner().invoke(main, args, obj={"beam_args": []}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _said(result) -> str:
    return " ".join(result.stderr.split())


def test_truth_ids_matching_no_alerted_series_are_named(tmp_path):
    said = _said(_score(tmp_path, ["7"]))
    assert "'7'" in said and "match no series id of any alert" in said


def test_truth_ids_matching_no_series_of_the_series_file_are_named(tmp_path):
    said = _said(_score(tmp_path, ["007", "7"], series=True))
    assert "1 series id(s)" in said and "('7')" in said


def test_matching_ids_give_no_warning(tmp_path):
    assert "series id" not in _said(_score(tmp_path, ["007"], series=True))
    assert "series id" not in _said(_score(tmp_path, ["007"]))
