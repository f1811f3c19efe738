import logging
from dataclasses import replace

import pytest

from moodcast.config import ConfigError, load_settings
from moodcast.run_summary import RunSummary, release_protection


def _settings(tmp_path, text: str):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return load_settings(tmp_path)


def test_suppress_is_the_default_and_dp_states_its_budget(tmp_path):
    plain = _settings(tmp_path, "")
    assert (plain.privacy, plain.dp_budget, plain.week_grain) == ("suppress", None, "iso_week")
    dp = _settings(tmp_path, 'privacy = "dp"\ndp_epsilon = 0.5\n')
    assert (dp.dp_budget.epsilon, dp.dp_budget.delta) == (0.5, 1e-6)


def test_k_of_one_is_allowed_only_with_a_loud_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert _settings(tmp_path, "k = 1\nallow_small_k = true\n").k == 1
    assert "UNPROTECTED RELEASE" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('privacy = "noise"\n', "privacy must be"),
        ('privacy = "dp"\ndp_epsilon = 0\n', "epsilon > 0"),
        ('week_grain = "month"\n', "week_grain must be"),
        ("k = 0\n", "k must be a whole number of at least 1"),
    ],
)
def test_bad_privacy_settings_say_what_to_fix(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path, text)


def test_a_run_says_how_its_release_is_protected_in_either_mode(tmp_path):
    """In DP mode nothing is withheld, so the run's summary states the budget, not k."""
    summary = RunSummary(
        run_id="r", read=0, valid=0, dead_lettered=0, duplicates=0, filtered={}, days=0,
        series=0, alerts=0,
    )  # fmt: skip
    plain = release_protection(_settings(tmp_path, ""))
    assert replace(summary, release=plain).describe().endswith("published with k = 11.")
    dp = release_protection(_settings(tmp_path, 'privacy = "dp"\ndp_epsilon = 0.5\n'))
    assert dp == "differential privacy, (ε, δ) = (0.5, 1e-06) per author per local day"
    assert f"published with {dp}." in replace(summary, release=dp).describe()
