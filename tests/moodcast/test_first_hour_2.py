"""What an operator and an analyst met in their first hour from a fresh clone (second pass),
each a regression test that fails before its fix."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from forecasting.chosen import forecast_chosen
from forecasting.frequency import EIGHT_WEEK
from forecasting.pipeline import default_choice
from forecasting.series import prepare_series
from moodcast.cli import main
from moodcast.run_forecast import forecast_line
from transforms.contracts import SERIES_SCHEMA
from transforms.prevalence import wilson

REPO = Path(__file__).parents[2]


def _eight_week_notes(*, history_days: int) -> pl.DataFrame:
    """Forecast notes of two 8-week series with ten periods of data, fitted on `history_days`."""
    last = dt.date(2025, 12, 8)  # a Monday: the first day of an ISO 8-week period
    rng = np.random.default_rng(7)
    frame = pl.DataFrame(
        {
            "unique_id": [uid for uid in ("a|r|en", "b|r|en") for _ in range(10)],
            "ds": [last - dt.timedelta(weeks=8 * i) for _ in range(2) for i in range(10)][::-1],
            "y": 0.1 + 0.01 * rng.standard_normal(20),
        },
        schema=SERIES_SCHEMA,
    ).sort("unique_id", "ds")
    prepared = prepare_series(frame, freq=EIGHT_WEEK, history_days=history_days)
    choice = default_choice(["a|r|en", "b|r|en"], "AutoETS", "r1")
    output, _ = forecast_chosen(
        prepared.fit, prepared.history, choice, run_id="r1", horizon=1, freq=EIGHT_WEEK
    )
    return output.notes


def test_8_week_series_that_history_days_cannot_fit_are_not_called_a_fallback():
    """Regression: every demo logged '101 by a simpler fallback model, as the chosen one could
    not be used (101 with fewer than 14 8-week periods of history)', as if something had gone
    wrong: at history_days = 365 an 8-week series holds at most 7 periods, so it is never fitted
    a model. The line now says so, and which setting would change it."""
    line = forecast_line(_eight_week_notes(history_days=365), history_days=365)
    assert line == (
        "0 series by their chosen model; 2 8-week series by a simpler model, as every one is "
        "while history_days = 365 keeps at most 7 8-week periods, fewer than the 14 a model is "
        "fitted on (history_days = 756 or more fits one once the data go back that far): "
        "2 AutoETS (exponential smoothing without a season); 0 not forecast"
    )


def test_8_week_series_short_of_data_under_a_long_history_are_still_a_fallback():
    """With history_days long enough for 14 periods, ten 8-week periods of data are a short
    history like any other, counted as the fallback it is."""
    line = forecast_line(_eight_week_notes(history_days=800), history_days=800)
    assert "; 2 by a simpler fallback model, as the chosen one could not be used" in line
    assert "(2 with fewer than 14 8-week periods of history)" in line
    assert "8-week series by a simpler model" not in line


def test_the_cron_log_records_the_exit_status_of_the_run(tmp_path):
    """Regression: infra/cron/moodcast.cron logged `exit $?` after `$(date -Is)` in the same
    word, so `$?` was date's status and every run, a failed one included, was logged `exit 0`.
    The cron line runs here as cron would (bash), with the real moodcast command and the paths
    of the infra/README layout moved under tmp_path; its pattern matches no file (exit 4)."""
    (line,) = [
        line
        for line in (REPO / "infra" / "cron" / "moodcast.cron").read_text().splitlines()
        if line and not line.startswith("#") and "moodcast run" in line
    ]
    command = line.split(None, 6)[6]
    assert "%" not in command  # cron would turn it into a newline
    moodcast = tmp_path / "moodcast"
    moodcast.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from moodcast.cli import cli; cli()" "$@"\n'
    )
    moodcast.chmod(0o755)
    (tmp_path / "moodcast.env").write_text("MOODCAST_SECRET=" + "k" * 64 + "\n")
    moved = {
        "/opt/moodcast/.venv/bin/moodcast": str(moodcast),
        "/etc/moodcast/moodcast.env": str(tmp_path / "moodcast.env"),
        "/srv/moodcast/inbox": str(tmp_path / "inbox"),
        "/var/lib/moodcast": str(tmp_path / "data"),
        "/var/log/moodcast": str(tmp_path),
    }
    for path, here in moved.items():
        assert path in command
        command = command.replace(path, here)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    subprocess.run(["bash", "-c", command], env=env, check=True, timeout=120)
    log = (tmp_path / "run.log").read_text()
    assert "Error: no input file matches" in log
    assert log.splitlines()[-1].endswith(" exit 4")


def test_every_wilson_interval_holds_its_estimate():
    """Regression: read with polars, 1,600 rows of the demo's timelines.parquet had
    `prevalence_lo > prevalence` (a lower bound of 4.3e-19 on a share of 0 among 502 authors,
    the interval's centre minus its half-width left by rounding), so an analyst's check that a
    value lies in its interval failed on the rows of no marked author."""
    counts = pl.DataFrame({"n": range(1, 1201)}).with_columns(k=pl.int_ranges(0, pl.col("n") + 1))
    counts = counts.explode("k")
    p, lo, hi = wilson(pl.col("k"), pl.col("n"))
    bounds = counts.select(p.alias("p"), lo.alias("lo"), hi.alias("hi"), "k", "n")
    assert bounds.filter((pl.col("lo") > pl.col("p")) | (pl.col("p") > pl.col("hi"))).is_empty()
    assert bounds.filter(pl.col("k") == 0).get_column("lo").eq(0.0).all()
    assert bounds.filter(pl.col("k") == pl.col("n")).get_column("hi").eq(1.0).all()


@pytest.mark.parametrize("page", ["timelines", "forecasts"])
def test_a_link_to_a_series_that_is_not_published_says_so(published_run, monkeypatch, page):
    """Regression: a timeline link with a typo (`region=us-cx`) opened silently on the first
    region of the marker, a different series than the one the analyst followed the link for."""
    monkeypatch.setenv("MOODCAST_HOME", str(published_run[0]))
    at = AppTest.from_file(str(REPO / "dashboard" / "screens" / f"{page}.py"), default_timeout=60)
    at.query_params.update(marker="anger", region="us-cx", lang="es")
    at.run()
    assert not at.exception
    shown = [box.value for box in at.selectbox][:3]
    assert shown[0] == "anger" and shown[1] != "us-cx"
    (warning,) = [w.value for w in at.warning if "The link asks for" in w.value]
    assert warning.startswith(
        "The link asks for ` anger ` in region ` us-cx ` (` es `), which has no "
    )
    assert f"showing anger in region {shown[1]} ({shown[2]}) instead" in warning

    at = AppTest.from_file(str(REPO / "dashboard" / "screens" / f"{page}.py"), default_timeout=60)
    at.query_params.update(marker="anger", region="all", lang="es")
    at.run()
    assert [box.value for box in at.selectbox][:3] == ["anger", "all", "es"]
    assert not [w for w in at.warning if "The link asks for" in w.value]


def test_an_event_that_cannot_be_saved_is_explained_not_raised(
    published_run, tmp_path, monkeypatch
):
    """Regression: every dashboard of infra/ (systemd ReadOnlyPaths, compose `:ro`, Kubernetes
    `readOnly`) mounts the data directory read-only, and adding an event on Timelines then
    raised the operating system's error as a traceback on the page. The page now says where
    events are kept and why they cannot be saved. Here the lock file's place is taken by a
    directory, which the operating system refuses to open for anyone, root included (a
    read-only mount's own message: tests/warehouse/test_annotations_errors.py)."""
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir)
    (data_dir / "annotations.lock").mkdir()
    monkeypatch.setenv("MOODCAST_HOME", str(data_dir))
    at = AppTest.from_file(str(REPO / "dashboard" / "screens" / "timelines.py"), default_timeout=60)
    at.run()
    at.text_input[0].input("Heatwave warning issued")
    at.button[0].click().run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "Events cannot be saved" in w.value]
    assert f"They are kept in {data_dir / 'annotations.jsonl'}" in warning
    assert f"{data_dir / 'annotations.lock'} is a directory, where a file belongs" in warning
    assert not (data_dir / "annotations.jsonl").exists()


def test_a_subscription_beam_refuses_is_a_usage_error_before_anything_starts(tmp_path):
    """Regression: `moodcast stream --subscription projects/local/subscriptions/posts` (the
    emulator takes any project name) made the data directory and its key file, started the
    session, then died in Beam's Pub/Sub source with a traceback and exit 1: 'Invalid PubSub
    project name: 'local'.'"""
    data_dir = tmp_path / "data"
    args = ["stream", "--subscription", "projects/local/subscriptions/posts"]
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data_dir)], obj={"beam_args": []})
    assert result.exit_code == 2
    assert "Invalid value for '--subscription': Invalid PubSub project name: 'local'." in (
        " ".join(result.output.split())
    )
    assert "(projects/local-dev/subscriptions/posts)" in result.output.replace("\n", "")
    assert not data_dir.exists()


def test_a_typed_marker_name_close_to_a_marker_is_suggested(tmp_path):
    """Regression: `moodcast markers show sadnes` (or `Sadness`, or `tag --markers sadnes`)
    listed all 18 markers without pointing at the one meant, and `markers evaluate` left out a
    label column `sadnes` naming no near marker either."""
    data = ["--data-dir", str(tmp_path / "data")]
    shown = CliRunner().invoke(main, ["markers", "show", "Sadness", *data], obj={"beam_args": []})
    assert "Error: unknown marker(s) Sadness (did you mean sadness?); known: anger," in (
        " ".join(shown.output.split())
    )
    labels = tmp_path / "labels.csv"
    rows = [("i feel so sad and alone", 1, 0), ("what a happy sunny day", 0, 1)] * 6
    pl.DataFrame(rows, schema=["text", "sadnes", "joy"], orient="row").write_csv(labels)
    evaluated = CliRunner().invoke(
        main,
        ["markers", "evaluate", "--labels", str(labels), "--lang", "en", *data],
        obj={"beam_args": []},
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert (
        "label columns named after no marker, left out: sadnes (did you mean sadness?) "
        "(`moodcast markers list` names the markers)"
    ) in " ".join(evaluated.output.split())
