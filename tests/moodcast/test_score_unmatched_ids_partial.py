"""`moodcast alerts score`'s warning on truth ids matching no series: it names a truth id that
an alert's id writes with other leading zeros (`8` for `008`) even where other truth ids match,
and it judges only the truth periods scored (`--from`), never a series whose data ended before
it."""

from __future__ import annotations

import json

import polars as pl
from click.testing import CliRunner

from moodcast.cli import main


def _alert(uid: str) -> dict[str, str]:
    return {"unique_id": uid, "method": "early", "severity": "high", "start": "2026-11-30",
            "end": "2026-11-30", "issued_on": "2026-11-30"}  # fmt: skip


def _score(tmp_path, truth: dict[str, list[str]], *extra: str) -> str:
    (tmp_path / "alerts.json").write_text(json.dumps([_alert("007"), _alert("008")]))
    pl.DataFrame(truth).write_csv(tmp_path / "truth.csv")
    args = ["alerts", "score", "--alerts", str(tmp_path / "alerts.json"), "--truth",
            str(tmp_path / "truth.csv"), "--json", *extra]  # fmt: skip
    result = CliRunner().invoke(main, args, obj={"beam_args": []}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.stderr.split())


def test_a_truth_id_an_alert_writes_with_leading_zeros_is_named_beside_matching_ones(tmp_path):
    said = _score(
        tmp_path,
        {"unique_id": ["007", "8", "9"], "start": ["2026-11-23"] * 3, "end": ["2026-12-07"] * 3},
    )
    assert "1 series id(s)" in said and "('8')" in said


def test_a_series_ended_before_from_is_not_named(tmp_path):
    recent = pl.date_range(pl.date(2026, 11, 2), pl.date(2026, 12, 14), "1w", eager=True)
    ended = pl.date_range(pl.date(2026, 1, 5), pl.date(2026, 3, 30), "1w", eager=True)
    pl.concat(
        [
            pl.DataFrame({"unique_id": "007", "ds": recent, "y": 1.0}),
            pl.DataFrame({"unique_id": "008", "ds": recent, "y": 1.0}),
            pl.DataFrame({"unique_id": "010", "ds": ended, "y": 1.0}),
        ]
    ).write_csv(tmp_path / "s.csv")
    said = _score(
        tmp_path,
        {
            "unique_id": ["007", "010"],
            "start": ["2026-11-23", "2026-02-02"],
            "end": ["2026-12-07", "2026-02-16"],
        },
        "--series",
        str(tmp_path / "s.csv"),
        "--from",
        "2026-11-01",
    )
    assert "series id" not in said, said
