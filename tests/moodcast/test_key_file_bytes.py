"""A key file of random bytes that are not UTF-8 text (`head -c 64 /dev/urandom >
author-key.secret`) is a key like any other: reading it as text ended the run in a
UnicodeDecodeError traceback."""

from __future__ import annotations

import pytest

from moodcast.config import KEY_FILE, SECRET_ENV, ConfigError, author_key


def test_a_key_file_of_bytes_that_are_not_text_is_read_as_its_bytes(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    key = bytes(range(128, 192))
    (tmp_path / KEY_FILE).write_bytes(key + b"\n")
    (tmp_path / KEY_FILE).chmod(0o600)
    assert author_key(tmp_path, remote=False) == key


def test_a_text_key_file_gives_the_key_it_gave_before(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    (tmp_path / KEY_FILE).write_text(" " + "ab" * 32 + "\n", encoding="utf-8")
    (tmp_path / KEY_FILE).chmod(0o600)
    assert author_key(tmp_path, remote=False) == b"ab" * 32


@pytest.mark.parametrize("content", [b"\xff" * 8, b"\n\n"])
def test_a_short_key_file_is_still_refused(tmp_path, monkeypatch, content):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    (tmp_path / KEY_FILE).write_bytes(content)
    (tmp_path / KEY_FILE).chmod(0o600)
    with pytest.raises(ConfigError, match="holds no usable key"):
        author_key(tmp_path, remote=False)
