"""The alert settings: which methods a run writes, and the honest-input thresholds."""

from __future__ import annotations

import pytest

from moodcast.config import ConfigError, load_settings


def test_the_default_is_the_default_method_only(tmp_path):
    settings = load_settings(tmp_path)
    assert settings.alert_methods == ("early",)
    assert (settings.min_posts_per_day, settings.volume_change_factor) == (20, 2.0)


def test_methods_come_from_config_toml_as_a_tuple(tmp_path):
    (tmp_path / "config.toml").write_text('alert_methods = ["trailing_p90", "ears_c2"]\n')
    assert load_settings(tmp_path).alert_methods == ("trailing_p90", "ears_c2")


def test_weekly_only_methods_run_beside_a_daily_one(tmp_path):
    (tmp_path / "config.toml").write_text('alert_methods = ["early", "mem", "cdc_baseline"]\n')
    assert load_settings(tmp_path).alert_methods == ("early", "mem", "cdc_baseline")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('alert_methods = ["ears_c9"]', "unknown alert method"),
        ('alert_methods = "ears_c1"', "alert_methods must be a list of quoted names"),
        (
            'alert_methods = ["mem"]',
            "mem run on weekly series only.*add a method that runs on days",
        ),
        ("volume_change_factor = 0.5", "volume_change_factor must be above 1"),
        ('k = "eleven"', "config.toml: k must be a whole number, e.g. k = 11"),
    ],
)
def test_bad_alert_settings_are_refused_with_what_to_do(tmp_path, line, message):
    (tmp_path / "config.toml").write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)
