import logging

import pytest

from moodcast.config import ConfigError, load_settings


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
