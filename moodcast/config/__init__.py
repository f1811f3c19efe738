"""Settings of a moodcast installation: where state lives and how a run reads its input.

All state lives under one data directory: `--data-dir`, else `$MOODCAST_HOME`, else
`./moodcast-data`. Optional settings come from `<data dir>/config.toml`; command-line options
override them.

By concern: `settings` (the `Settings` dataclass, the data directory), `loading`
(`load_settings`: config.toml, then the command line's overrides), `values` (a value as its
field's type and range), `checks` (the refusals beyond one value: privacy, time zones, alert
methods, the input mapping, languages), `keys` (the key that pseudonymises author ids).
"""

from moodcast.config.checks import language
from moodcast.config.keys import KEY_FILE, MIN_SECRET_BYTES, SECRET_ENV, author_key
from moodcast.config.loading import load_settings
from moodcast.config.settings import DATA_DIR_HELP, DEFAULT_DATA_DIR, Settings, resolve_data_dir
from transforms.errors import ConfigError

__all__ = [
    "DATA_DIR_HELP",
    "DEFAULT_DATA_DIR",
    "KEY_FILE",
    "MIN_SECRET_BYTES",
    "SECRET_ENV",
    "ConfigError",
    "Settings",
    "author_key",
    "language",
    "load_settings",
    "resolve_data_dir",
]
