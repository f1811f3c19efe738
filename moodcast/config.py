"""Settings of a moodcast installation: where state lives and how a run reads its input.

All state lives under one data directory: `--data-dir`, else `$MOODCAST_HOME`, else
`./moodcast-data`. Optional settings come from `<data dir>/config.toml`; command-line options
override them.
"""

from __future__ import annotations

import logging
import os
import secrets
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from forecasting.frequency import DAY
from forecasting.methods import check_methods
from transforms.embedding import BACKENDS, DEFAULT_MODEL
from transforms.model_markers import DEFAULT_BACKEND, ModelConfig
from transforms.presets import InputMapping, MappingError, mapping_from_table, preset
from transforms.privacy import DEFAULT_K

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = "moodcast-data"
DATA_DIR_HELP = "Directory holding all state. Default: $MOODCAST_HOME, else ./moodcast-data."
"""The help of every command's `--data-dir` option."""
SECRET_ENV = "MOODCAST_SECRET"
KEY_FILE = "author-key.secret"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know, with safe defaults.

    `tz` is the analysis time zone (local days are counted in it); `source_tz` the zone naive
    timestamps are read in; `k` the smallest publishable count; `history_days` bounds what
    forecasting models see; `horizon_days` is how far forecasts look ahead.
    `alert_methods` are the alert methods a run writes (forecasting.methods.ALERT_METHODS;
    `early` only by default); a day counts for alerts when its cell has at least
    `min_posts_per_day` posts; a day whose total post count is `volume_change_factor` times
    (or 1/that of) its trailing 28-day median is a data event (forecasting.inputs).
    `models` maps a language to its sentence model (`"default"`, the shipped English
    all-MiniLM-L6-v2, or a local model directory); `model_backend` is one of
    transforms.embedding.BACKENDS; model sources score a deterministic `model_sample_rate`
    share of posts (transforms.model_markers). Inputs whose field names are not the Post
    contract's are read through `input_preset` (a transforms.presets name) or `input_mapping`
    (a TOML file of Post field = source path; relative to the data directory in config.toml),
    at most one of them; `record_mapping` is the resulting mapping, checked at load.
    """

    data_dir: Path
    tz: str = "UTC"
    source_tz: str = "UTC"
    k: int = DEFAULT_K
    include_reposts: bool = False
    markers_dir: Path | None = None
    history_days: int = 365
    horizon_days: int = 14
    forecast_jobs: int = 2
    alert_methods: tuple[str, ...] = ("early",)
    min_posts_per_day: int = 20
    volume_change_factor: float = 2.0
    models: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    model_backend: str = DEFAULT_BACKEND
    model_sample_rate: float = 1.0
    input_preset: str | None = None
    input_mapping: Path | None = None
    record_mapping: InputMapping | None = field(default=None, repr=False, compare=False)

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def user_markers_dir(self) -> Path:
        return self.markers_dir or self.data_dir / "markers"

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig(
            models=dict(self.models),
            backend=self.model_backend,
            sample_rate=self.model_sample_rate,
        )


def resolve_data_dir(option: str | os.PathLike | None) -> Path:
    """`--data-dir`, else `$MOODCAST_HOME`, else `./moodcast-data`, made absolute."""
    chosen = option or os.environ.get("MOODCAST_HOME") or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def load_settings(data_dir: str | os.PathLike | None, **overrides) -> Settings:
    """Settings for `data_dir` from its `config.toml` (if any), then `overrides` that are not None.

    Raises ConfigError for an unknown key, an unknown time zone, or an unusable input preset or
    mapping. An `input_preset` or `input_mapping` override replaces both of config.toml's.
    """
    root = resolve_data_dir(data_dir)
    values: dict = {}
    config = root / "config.toml"
    if config.exists():
        try:
            values = tomllib.loads(config.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config}: {exc}") from exc
    known = {f.name for f in fields(Settings)} - {"data_dir", "record_mapping"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{config}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if isinstance(values.get("input_mapping"), str):
        values["input_mapping"] = root / values["input_mapping"]
    if overrides.get("input_preset") is not None or overrides.get("input_mapping") is not None:
        values = {k: v for k, v in values.items() if k not in ("input_preset", "input_mapping")}
    settings = Settings(data_dir=root, **values)
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if settings.markers_dir is not None:
        settings = replace(settings, markers_dir=Path(settings.markers_dir))
    try:
        methods = check_methods(settings.alert_methods, freq=DAY)
    except ValueError as exc:
        raise ConfigError(f"alert_methods: {exc}") from exc
    if settings.volume_change_factor <= 1 or settings.min_posts_per_day < 0:
        raise ConfigError(
            "volume_change_factor must be above 1 and min_posts_per_day at least 0 "
            "(e.g. 2.0 and 20)"
        )
    settings = replace(settings, alert_methods=methods)
    if not 0 < settings.model_sample_rate <= 1:
        raise ConfigError(
            f"model_sample_rate must be above 0 and at most 1, got {settings.model_sample_rate}"
        )
    if settings.model_backend not in BACKENDS:
        raise ConfigError(
            f"model_backend must be one of {', '.join(BACKENDS)}, got {settings.model_backend!r}"
        )
    if not isinstance(settings.models, Mapping) or not all(
        isinstance(v, str) for v in settings.models.values()
    ):
        raise ConfigError('models must map languages to model paths, e.g. [models] en = "default"')
    for name in ("tz", "source_tz"):
        try:
            zoneinfo.ZoneInfo(getattr(settings, name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"{name}: unknown time zone {getattr(settings, name)!r} (use an IANA name such as Europe/Madrid)"
            ) from exc
    return replace(settings, record_mapping=_record_mapping(settings))


def _record_mapping(settings: Settings) -> InputMapping | None:
    """The preset or user mapping that settings name, checked; None when they name neither."""
    chosen, path = settings.input_preset, settings.input_mapping
    if chosen is not None and path is not None:
        raise ConfigError(
            "input_preset and input_mapping are both set: use a preset or a mapping file, not both"
        )
    if chosen is not None:
        if not isinstance(chosen, str):
            raise ConfigError(f'input_preset must be one preset name, e.g. "x", not {chosen!r}')
        try:
            return preset(chosen)
        except MappingError as exc:
            raise ConfigError(f"input_preset: {exc}") from exc
    if path is None:
        return None
    if not isinstance(path, str | os.PathLike):
        raise ConfigError('input_mapping must be the path of a TOML file, e.g. "mapping.toml"')
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"input_mapping: cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"input_mapping: {path}: {exc}") from exc
    try:
        return mapping_from_table(table, origin=str(path))
    except MappingError as exc:
        raise ConfigError(f"input_mapping: {exc}") from exc


def author_key(data_dir: Path, *, remote: bool) -> bytes:
    """The HMAC key that pseudonymises author ids.

    `$MOODCAST_SECRET` when set. Otherwise, on a local runner, a random per-installation key kept
    in `<data dir>/author-key.secret` (created on first use, mode 0600) with a loud warning; a
    remote runner refuses to start without the environment variable, since workers elsewhere
    cannot read that file.
    """
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret.encode("utf-8")
    if remote:
        raise ConfigError(
            f"{SECRET_ENV} is not set: a remote runner needs it explicitly. Set it to a long random string and keep it secret."
        )
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    log.warning(
        "!!! %s is not set: author ids are pseudonymised with the per-installation key %s. "
        "Set %s to keep pseudonyms stable across machines and reinstalls.",
        SECRET_ENV,
        path,
        SECRET_ENV,
    )
    return path.read_text().strip().encode("utf-8")
