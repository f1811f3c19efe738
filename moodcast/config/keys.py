"""The key that pseudonymises author ids: `$MOODCAST_SECRET`, else a per-installation file."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

from transforms.errors import ConfigError

log = logging.getLogger("moodcast.config")  # its log lines keep their name on stderr

SECRET_ENV = "MOODCAST_SECRET"
KEY_FILE = "author-key.secret"
MIN_SECRET_BYTES = 32


def author_key(data_dir: Path, *, remote: bool) -> bytes:
    """The HMAC key that pseudonymises author ids.

    `$MOODCAST_SECRET` when set (at least MIN_SECRET_BYTES bytes). Otherwise, on a local runner,
    a random per-installation key kept in `<data dir>/author-key.secret` (created on first use,
    mode 0600) with a loud warning; that file must stay readable by its owner only and hold a
    key of at least MIN_SECRET_BYTES bytes, text or not (`_key_bytes`). A remote runner refuses
    to start without the environment variable, since workers elsewhere cannot read that file.
    Raises ConfigError.
    """
    secret = os.environ.get(SECRET_ENV)
    if secret is not None:
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"{SECRET_ENV} is shorter than {MIN_SECRET_BYTES} bytes, too short to keep "
                f"author pseudonyms secret. Set it to a long random string, e.g. the output of "
                f"`python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        return secret.encode("utf-8")
    if remote:
        raise ConfigError(
            f"{SECRET_ENV} is not set: a remote runner needs it explicitly. Set it to a long random string and keep it secret."
        )
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} can be read by other users (mode {mode:o}); it keeps author pseudonyms "
            f"secret. Run `chmod 600 {path}`, or set {SECRET_ENV} instead."
        )
    key = _key_bytes(path.read_bytes())
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{path} holds no usable key (under {MIN_SECRET_BYTES} bytes). Delete it to have "
            f"a new key made (pseudonyms will change), or set {SECRET_ENV}."
        )
    log.warning(
        "!!! %s is not set: author ids are pseudonymised with the per-installation key %s. "
        "Set %s to keep pseudonyms stable across machines and reinstalls.",
        SECRET_ENV,
        path,
        SECRET_ENV,
    )
    return key


def _key_bytes(content: bytes) -> bytes:
    """The key a key file's `content` holds: UTF-8 text less white space at either end (as
    str.strip, so that a key written before keeps its pseudonyms), else its bytes less ASCII
    white space at either end."""
    try:
        return content.decode("utf-8").strip().encode("utf-8")
    except UnicodeDecodeError:
        return content.strip()
