"""A text key file keeps the key it gave before key files of raw bytes were read: white space
that str.strip removes and bytes.strip does not (a no-break space pasted at the end of a key)
is still taken off, so every pseudonym stays what earlier runs wrote."""

from __future__ import annotations

import pytest

from moodcast.config import KEY_FILE, SECRET_ENV, author_key


@pytest.mark.parametrize("edge", ["\u00a0", "\u3000", "\u2028", "\x1c"])
def test_unicode_white_space_around_a_text_key_is_taken_off_as_before(tmp_path, monkeypatch, edge):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    (tmp_path / KEY_FILE).write_text(edge + "ab" * 32 + edge + "\n", encoding="utf-8")
    (tmp_path / KEY_FILE).chmod(0o600)
    assert author_key(tmp_path, remote=False) == b"ab" * 32
