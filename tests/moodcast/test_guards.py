"""Settings and secrets that could leak data are refused with a message saying what to do."""

import os

import polars as pl
import pytest

from moodcast.config import KEY_FILE, SECRET_ENV, ConfigError, author_key, load_settings
from transforms.posts import published_region, refused_regions
from transforms.privacy import RegionRule


def _config(tmp_path, text: str):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")


def test_k_below_11_needs_the_explicit_override(tmp_path):
    _config(tmp_path, "k = 1\n")
    with pytest.raises(ConfigError, match="allow_small_k"):
        load_settings(tmp_path)
    assert load_settings(tmp_path, allow_small_k=True).k == 1
    _config(tmp_path, "k = 1\nallow_small_k = true\n")
    assert load_settings(tmp_path).k == 1
    _config(tmp_path, "k = 0\nallow_small_k = true\n")
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings(tmp_path)


def test_a_short_secret_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "a")
    with pytest.raises(ConfigError, match="32 bytes"):
        author_key(tmp_path, remote=False)
    monkeypatch.setenv(SECRET_ENV, "x" * 32)
    assert author_key(tmp_path, remote=False) == b"x" * 32


def test_the_key_file_must_be_private_and_hold_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    key = author_key(tmp_path, remote=False)
    path = tmp_path / KEY_FILE
    assert len(key) >= 32 and oct(path.stat().st_mode & 0o777) == "0o600"
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        author_key(tmp_path, remote=False)
    os.chmod(path, 0o600)
    path.write_text("")
    with pytest.raises(ConfigError, match="no usable key"):
        author_key(tmp_path, remote=False)


def test_regions_outside_the_vocabulary_or_pattern_are_published_as_unknown(tmp_path):
    posts = pl.DataFrame(
        {"region": ["ES-MD", "x" * 1_000_000, "user 1234567890", "42", None, " ES-CT "]}
    )
    by_pattern = posts.select(published_region(pl.col("region"), RegionRule()))
    assert by_pattern["region"].to_list() == [
        "ES-MD", "unknown", "unknown", "unknown", "unknown", "ES-CT",
    ]  # fmt: skip
    assert refused_regions(posts, RegionRule()) == 3
    vocabulary = RegionRule(vocabulary=("ES-CT",))
    assert posts.select(published_region(pl.col("region"), vocabulary))["region"].to_list() == [
        "unknown", "unknown", "unknown", "unknown", "unknown", "ES-CT",
    ]  # fmt: skip
    _config(tmp_path, 'regions = ["ES-CT"]\n')
    assert load_settings(tmp_path).region_rule == vocabulary
    _config(tmp_path, 'region_pattern = "("\n')
    with pytest.raises(ConfigError, match="region_pattern"):
        load_settings(tmp_path)


def test_the_date_window_start_is_a_setting(tmp_path):
    _config(tmp_path, "earliest_date = 2015-01-01\n")
    assert str(load_settings(tmp_path).earliest_date) == "2015-01-01"
    _config(tmp_path, 'earliest_date = "soon"\n')
    with pytest.raises(ConfigError, match="earliest_date"):
        load_settings(tmp_path)
