"""What an operator and an analyst met in their first hour (third pass): messages and files
that were not quite true, each a regression test that fails before its fix."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from forecasting.frequency import EIGHT_WEEK, WEEK, Frequency
from forecasting.pipeline import forecast_and_alert
from forecasting.series import Cause
from moodcast.cli import main
from moodcast.run_forecast import forecast_line
from transforms.contracts import SERIES_SCHEMA
from transforms.markers.definitions import BUILTIN_DIR


def _forecast_notes(freq: Frequency, *, history_days: int) -> pl.DataFrame:
    """The notes of real forecasts (forecasting.pipeline.forecast_and_alert) of two series
    with 20 periods of `freq` each, fitted on `history_days`."""
    last = dt.date(2025, 12, 8)  # a Monday: the first day of an ISO week and 8-week period
    rng = np.random.default_rng(11)
    uids = ("a|r|en", "b|r|en")
    frame = pl.DataFrame(
        {
            "unique_id": [uid for uid in uids for _ in range(20)],
            "ds": [last - dt.timedelta(days=freq.step_days * i) for _ in uids for i in range(20)],
            "y": 0.1 + 0.01 * rng.standard_normal(40),
        },
        schema=SERIES_SCHEMA,
    ).sort("unique_id", "ds")
    outcome = forecast_and_alert(
        frame, run_id="r1", horizon_days=freq.step_days, history_days=history_days,
        methods=(), freq=freq,
    )  # fmt: skip
    return outcome.notes


@pytest.mark.parametrize(
    ("freq", "short_days"), [(EIGHT_WEEK, 365), (WEEK, 60)], ids=["8-week", "week"]
)
def test_the_history_days_the_forecast_line_names_is_the_fewest_that_fit_a_model(freq, short_days):
    """Regression: at history_days = 365 the line said 'history_days = 784 or more fits one'
    (14 × 56 days) of 8-week series, but history_days counts periods by rounding
    (Frequency.periods): 756 days already keep 14 8-week periods. The number it names now fits
    the chosen model on real forecasts, and one day less does not."""
    short = _forecast_notes(freq, history_days=short_days)
    line = forecast_line(short, history_days=short_days)
    named = re.search(r"history_days = (\d+) or more fits one", line)
    assert named, line
    bound = int(named.group(1))
    assert bound == {EIGHT_WEEK: 756, WEEK: 95}[freq]

    fitted = _forecast_notes(freq, history_days=bound)
    assert fitted.get_column("status").to_list() == ["ok", "ok"]
    one_less = _forecast_notes(freq, history_days=bound - 1)
    assert one_less.get_column("status").to_list() == ["fallback", "fallback"]
    assert one_less.get_column("cause").to_list() == [Cause.SHORT_HISTORY] * 2
    assert f"history_days = {bound} or more fits one" in forecast_line(
        one_less, history_days=bound - 1
    )


_TOML_OPENS: list[collections.Counter] = []
"""The counters that _count_toml_opens fills, while a test holds one (the audit hook stays for
the process: Python offers no way to remove one, so it counts nothing outside _toml_opens)."""
_HOOKED: list[bool] = []


def _count_toml_opens(event: str, args: tuple) -> None:
    if _TOML_OPENS and event == "open" and str(args[0]).endswith(".toml"):
        _TOML_OPENS[-1][str(args[0])] += 1


@contextmanager
def _toml_opens() -> Iterator[collections.Counter]:
    """How often each .toml file is opened in this process inside the block (Python's own
    audit events: every open, our code's and its libraries' alike)."""
    if not _HOOKED:
        sys.addaudithook(_count_toml_opens)
        _HOOKED.append(True)
    opened: collections.Counter = collections.Counter()
    _TOML_OPENS.append(opened)
    try:
        yield opened
    finally:
        _TOML_OPENS.remove(opened)


def test_tag_with_markers_reads_each_marker_file_once(tmp_path):
    """Regression: `moodcast tag --markers sadness` loaded the markers for the named ones, then
    all of them again for the languages to identify, reading every marker file twice. It now
    loads them once and picks the named ones from that set (cli_options.named_markers)."""
    posts = tmp_path / "posts.jsonl"
    post = {"id": "1", "created_at": "2025-03-01T10:00:00Z", "text": "I feel so sad tonight"}
    posts.write_text(json.dumps(post) + "\n", encoding="utf-8")
    argv = ["tag", str(posts), "-o", str(tmp_path / "tagged.parquet"), "--markers", "sadness",
            "--source", "lexicon", "--data-dir", str(tmp_path / "data")]  # fmt: skip
    with _toml_opens() as opened:
        result = CliRunner().invoke(main, argv, obj={"beam_args": []})
    assert result.exit_code == 0, result.output
    shipped = {str(path) for path in BUILTIN_DIR.glob("*.toml")}
    assert shipped and set(opened) >= shipped
    assert {path: n for path, n in opened.items() if path in shipped and n != 1} == {}
