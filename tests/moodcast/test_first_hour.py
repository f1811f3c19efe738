"""What a newcomer met in the first hour with the demo and its dashboard (regressions)."""

from __future__ import annotations

import datetime as dt

import pytest

from forecasting.frequency import DAY, WEEK
from forecasting.wording import period_span


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            dt.date(2025, 11, 10),
            dt.date(2025, 11, 17),
            "from the week starting 10 November to the week starting 17 November 2025",
        ),
        (
            dt.date(2025, 5, 19),
            dt.date(2025, 6, 2),
            "from the week starting 19 May to the week starting 2 June 2025",
        ),
        (
            dt.date(2025, 12, 29),
            dt.date(2026, 1, 12),
            "from the week starting 29 December 2025 to the week starting 12 January 2026",
        ),
        (dt.date(2025, 5, 19), dt.date(2025, 5, 19), "in the week starting 19 May 2025"),
    ],
)
def test_a_weekly_alert_period_names_the_start_of_its_last_week(start, end, expected):
    """An alert by week from 10 to 17 November lasts into 23 November: its reason once said
    'from the week starting 10 to 17 November 2025', as if it ended on the 17th."""
    assert period_span(WEEK, start, end) == expected


def test_a_daily_alert_period_reads_as_days():
    assert period_span(DAY, dt.date(2025, 11, 10), dt.date(2025, 11, 17)) == (
        "from 10 to 17 November 2025"
    )


def test_how_alerts_work_explains_the_method_a_run_uses_by_default():
    """The Alerts page's panel explained `trailing_p90` as "the" rule while every alert of a
    default run is raised by `early`."""
    from dashboard.summaries import how_alerts_work
    from forecasting.early import DAILY, WEEKLY
    from moodcast.config import Settings

    (default,) = Settings.__dataclass_fields__["alert_methods"].default
    text = how_alerts_work()
    assert text.startswith(f"**The default rule (`{default}`).**")
    assert f"over the {DAILY.baseline} days ({WEEKLY.baseline} weeks)" in text
    assert f"plus {DAILY.k:g} ({WEEKLY.k:g}) standard deviations" in text
    assert "such as the trailing rule (`trailing_p90`" in text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("k = 5", "k = 5 publishes cells of fewer than 11 people"),
        ('earliest_date = "2000"', "earliest_date must be a TOML date such as 2000-01-01"),
        ('regions = [""]', 'regions must be a list of region names, e.g. regions = ["ES-MD"]'),
        ('region_pattern = "["', "region_pattern is not a regular expression"),
    ],
)
def test_a_refused_privacy_or_date_setting_names_its_file(tmp_path, line, message):
    """README: a bad config.toml value is refused naming the key, the file and the form; these
    four named no file."""
    from moodcast.config import load_settings
    from transforms.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert str(refused.value).startswith(f"{config}: {message}")


def test_tag_help_says_which_score_a_model_decided_marker_carries():
    """`moodcast tag --help` said `<marker>__score` is matches per word; for a marker whose
    model decides (suicide_risk in English) it is the model's score, as README says."""
    from click.testing import CliRunner

    from moodcast.cli import main

    result = CliRunner().invoke(main, ["tag", "--help"])
    assert result.exit_code == 0
    help_text = " ".join(result.output.split())
    assert (
        "`<marker>__score` (matches per word where the lexicon alone decides, else the model's "
        "score)" in help_text
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the INPUT files to read, or --follow DIR to follow a spool"),
        (["posts.jsonl", "--every", "1m"], "--every is how often follow mode runs"),
    ],
)
def test_run_says_what_is_missing_or_misplaced(tmp_path, args, message):
    """`moodcast run` alone was told 'give INPUT files, or --follow DIR, not both', as if it had
    both; `--every` without `--follow` was accepted and did nothing."""
    from click.testing import CliRunner

    from moodcast.cli import main

    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", *args, "--data-dir", str(data)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not data.exists()


def test_the_data_dictionary_says_a_weekly_alert_ends_in_the_week_its_end_starts():
    """alerts.csv's `end` of a row alerted by week is the first day of its last week; the
    dictionary called it the period's last day, inclusive, as if the alert stopped there."""
    from transforms.contracts import ALERT_SCHEMA
    from warehouse.dictionary import data_dictionary

    text = data_dictionary({"alerts": ALERT_SCHEMA}, ext="csv", k=11, tz="UTC")
    (end,) = [line for line in text.splitlines() if line.startswith("| `end` |")]
    assert "by week (`grain`), the first day of its last week, which the period runs" in end


def test_an_alert_by_week_shows_the_last_day_of_its_last_week():
    """The Alerts and Overview tables showed `start – end`, and an alert by week has `end` on
    the first day of its last week: '2025-05-19 – 2025-06-02' for an alert that lasts through
    8 June."""
    import polars as pl

    from dashboard.summaries import period_text

    alerts = pl.DataFrame(
        {
            "start": [dt.date(2025, 5, 19), dt.date(2025, 5, 19), dt.date(2025, 9, 1)],
            "end": [dt.date(2025, 6, 2), dt.date(2025, 6, 2), dt.date(2025, 10, 27)],
            "grain": ["iso_week", "day", "iso_8week"],
        }
    )
    assert alerts.select(period_text(alerts)).to_series().to_list() == [
        "2025-05-19 – 2025-06-08",
        "2025-05-19 – 2025-06-02",
        "2025-09-01 – 2025-12-21",
    ]
    without_grain = alerts.drop("grain")
    assert without_grain.select(period_text(without_grain)).item(0, 0) == "2025-05-19 – 2025-06-02"
