"""Settings of a moodcast installation: where state lives and how a run reads its input.

All state lives under one data directory: `--data-dir`, else `$MOODCAST_HOME`, else
`./moodcast-data`. Optional settings come from `<data dir>/config.toml`; command-line options
override them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import stat
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

from transforms.contracts import MAX_TEXT_CHARS
from transforms.dp import Budget
from transforms.embedding import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from transforms.errors import ConfigError as ConfigError
from transforms.presets import InputMapping, MappingError, mapping_from_table, preset
from transforms.privacy import DEFAULT_K, DEFAULT_REGION_PATTERN, RegionRule
from transforms.records import EARLIEST_DATE

if TYPE_CHECKING:
    from transforms.model_markers import ModelConfig

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = "moodcast-data"
DATA_DIR_HELP = "Directory holding all state. Default: $MOODCAST_HOME, else ./moodcast-data."
"""The help of every command's `--data-dir` option."""
SECRET_ENV = "MOODCAST_SECRET"
KEY_FILE = "author-key.secret"
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know, with safe defaults.

    `tz` is the analysis time zone (local days are counted in it); `source_tz` the zone naive
    timestamps are read in; `k` the smallest publishable count; `week_grain` the week
    (`iso_week` or CDC `epi_week`) published where days are too small (transforms.grains);
    `privacy` the publishing mode: `suppress` (k, coarser cells, complementary suppression;
    the default: exact counts that analysts can check, and no budget to manage) or `dp`
    (transforms.dp, with budget `dp_epsilon`, `dp_delta` per author per local day);
    `history_days` bounds what forecasting models see; `horizon_days` is how far forecasts
    look ahead.
    `alert_methods` are the alert methods a run writes (forecasting.methods.ALERT_METHODS;
    `early` only by default); a day counts for alerts when its cell has at least
    `min_posts_per_day` posts; a day whose total post count is `volume_change_factor` times
    (or 1/that of) its trailing 28-day median is a data event (forecasting.inputs).
    `models` maps a language to its sentence model (`"default"`, the shipped English
    all-MiniLM-L6-v2, or a local model directory); `model_backend` is one of
    transforms.embedding.BACKENDS; model sources score a deterministic `model_sample_rate`
    share of posts (transforms.model_markers); `zero_shot` is `shipped` (the shipped prototypes'
    centroids) or `adapted` (centroids fitted on the user's posts by `moodcast markers adapt`,
    moodcast.adapting). Inputs whose field names are not the Post
    contract's are read through `input_preset` (a transforms.presets name) or `input_mapping`
    (a TOML file of Post field = source path; relative to the data directory in config.toml),
    at most one of them; `record_mapping` is the resulting mapping, checked at load.
    Posts dated before `earliest_date` are dead letters (the plausible-date window; its end is
    the run's as-of date + 1 day). A truncated or corrupt compressed input fails the run unless
    `keep_partial_inputs`, which keeps its readable part and records the loss. `k` below
    DEFAULT_K needs `allow_small_k`. A region becomes a published key only when it is in
    `regions` (when given) or matches `region_pattern` (transforms.privacy.RegionRule). Texts
    longer than `max_text_chars` characters are dead letters. A post that states no language
    and is too short or unclear to identify takes `default_lang` (transforms.text.LanguageRule).
    """

    data_dir: Path
    tz: str = "UTC"
    source_tz: str = "UTC"
    k: int = DEFAULT_K
    week_grain: str = "iso_week"
    privacy: str = "suppress"
    dp_epsilon: float = 1.0
    dp_delta: float = 1e-6
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
    zero_shot: Literal["shipped", "adapted"] = "shipped"
    max_text_chars: int = MAX_TEXT_CHARS
    default_lang: str | None = None
    input_preset: str | None = None
    input_mapping: Path | None = None
    earliest_date: date = EARLIEST_DATE
    keep_partial_inputs: bool = False
    allow_small_k: bool = False
    regions: tuple[str, ...] = ()
    region_pattern: str = DEFAULT_REGION_PATTERN
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
    def dp_budget(self) -> Budget | None:
        """The DP budget per author per local day in DP mode; None in suppress mode."""
        if self.privacy != "dp":
            return None
        return Budget(epsilon=self.dp_epsilon, delta=self.dp_delta)

    @property
    def region_rule(self) -> RegionRule:
        return RegionRule(vocabulary=tuple(self.regions), pattern=self.region_pattern)

    @property
    def model_config(self) -> ModelConfig:
        from transforms.model_markers import ModelConfig

        return ModelConfig(
            models=dict(self.models),
            backend=self.model_backend,
            sample_rate=self.model_sample_rate,
        )


def resolve_data_dir(option: str | os.PathLike | None) -> Path:
    """`--data-dir`, else `$MOODCAST_HOME`, else `./moodcast-data`, made absolute."""
    chosen = option or os.environ.get("MOODCAST_HOME") or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def load_settings(
    data_dir: str | os.PathLike | None, *, reads_posts: bool = True, **overrides
) -> Settings:
    """Settings for `data_dir` from its `config.toml` (if any), then `overrides` that are not None.

    Every value is checked against its field's type and allowed range (`_RULES`); a
    ConfigError names the key, where it was set (the file, or the command line) and the form
    it needs, e.g. `k = 11`. Also refused: an unknown key, an unknown time zone or alert method,
    an unusable input preset or mapping, and, for a command that reads posts, a `default_lang`
    that names no language (`language`, which also warns of one posts are never identified
    in). A command that reads none (`export`, `dashboard`, `markers list`) passes
    `reads_posts=False`: `default_lang` is then neither checked nor kept (None), so a code that
    a later version refuses stops only the commands that use it, and the warning is given
    once, by the command's own reading. An `input_preset` or `input_mapping` override replaces
    both of config.toml's.
    """
    root = resolve_data_dir(data_dir)
    values: dict = {}
    config = root / "config.toml"
    if config.exists():
        try:
            values = tomllib.loads(config.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{config} is not valid TOML ({exc}); settings are written like k = 11"
            ) from exc
    known = {f.name for f in fields(Settings)} - {"data_dir", "record_mapping"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{config}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "input_preset" in overrides or "input_mapping" in overrides:
        values = {k: v for k, v in values.items() if k not in ("input_preset", "input_mapping")}
    checked = {k: _typed(k, v, where=str(config)) for k, v in values.items()}
    if isinstance(checked.get("input_mapping"), Path):
        checked["input_mapping"] = root / checked["input_mapping"]
    checked |= {k: _typed(k, v, where="the command line") for k, v in overrides.items()}
    for name, value in checked.items():
        rule = _RULES.get(name)
        if rule is not None and not rule[0](value):
            place = "the command line" if name in overrides else str(config)
            raise ConfigError(f"{place}: {name} must be {rule[1]}, got {value!r}")

    def where(*names: str) -> str:
        return "the command line" if set(names) & set(overrides) else str(config)

    settings = Settings(data_dir=root, **checked)
    methods = _alert_methods(settings.alert_methods, where=where("alert_methods"))
    if settings.privacy not in ("suppress", "dp"):
        raise ConfigError(
            f"{where('privacy')}: privacy must be 'suppress' or 'dp', got {settings.privacy!r}"
        )
    if settings.privacy == "dp":
        try:
            Budget(epsilon=settings.dp_epsilon, delta=settings.dp_delta)
        except ValueError as exc:
            raise ConfigError(f"{where('dp_epsilon', 'dp_delta')}: {exc}") from exc
    if settings.privacy == "suppress" and settings.k == 1:
        log.warning(
            "UNPROTECTED RELEASE: privacy = 'suppress' with k = 1 publishes every cell, however "
            "small. Use it only for internal audits and tests; never share these exports."
        )
    if settings.week_grain not in ("iso_week", "epi_week"):
        raise ConfigError(
            f"{where('week_grain')}: week_grain must be 'iso_week' or 'epi_week', "
            f"got {settings.week_grain!r}"
        )
    for name in ("tz", "source_tz"):
        try:
            zoneinfo.ZoneInfo(getattr(settings, name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"{where(name)}: {name}: unknown time zone {getattr(settings, name)!r} "
                "(use an IANA name such as Europe/Madrid)"
            ) from exc
    _check_guards(settings, where=where)
    settings = replace(
        settings,
        alert_methods=methods,
        regions=tuple(settings.regions),
        default_lang=_default_lang(settings, where=where("default_lang")) if reads_posts else None,
    )
    try:
        return replace(settings, record_mapping=_record_mapping(settings))
    except ConfigError as exc:
        raise ConfigError(f"{where('input_preset', 'input_mapping')}: {exc}") from exc


def _default_lang(settings: Settings, *, where: str) -> str | None:
    """`settings.default_lang` as `language` reads it, where it was set named on a refusal."""
    if settings.default_lang is None:
        return None
    return language(settings.default_lang, settings, option=f"{where}: default_lang (--lang)")


def language(code: str, settings: Settings, *, option: str, adding: bool = False) -> str:
    """The language `code`, given as `option`, names (transforms.text.language_code: `eng` is
    `en`); a language of the markers of `settings` (shipped and the user's) that posts are
    never identified in is accepted with a warning that says so, and with `adding` (the
    command writes markers in that language) so is any other code of 2 or 3 letters. Raises
    ConfigError naming `option` on any other code."""
    from transforms.markers import load_markers
    from transforms.text import language_code

    try:
        return language_code(code)
    except ValueError:
        user = [settings.user_markers_dir] if settings.user_markers_dir.is_dir() else []
        marked = {lang for marker in load_markers(*user).values() for lang in marker.languages}
    try:
        found = language_code(code, marked=marked, adding=adding)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from exc
    log.warning(
        "%s %r: posts are never identified in %s (py3langid does not know it), so only posts "
        "that state it and those given it by --lang reach its markers",
        option,
        found,
        found,
    )
    return found


def _check_guards(settings: Settings, *, where: Callable[..., str]) -> None:
    """The privacy and plausibility settings: k, the region rule, the date window. A refusal
    names where the setting was made (`where` of its names: config.toml or the command line)."""
    if not isinstance(settings.k, int) or settings.k < 1:
        raise ConfigError(
            f"{where('k')}: k must be a whole number of at least 1, got {settings.k!r}"
        )
    if settings.k < DEFAULT_K and settings.allow_small_k is not True:
        raise ConfigError(
            f"{where('k')}: k = {settings.k} publishes cells of fewer than {DEFAULT_K} people, "
            f"which can identify them. Use k = {DEFAULT_K} or more, or, for an internal release only, set "
            f"allow_small_k = true in config.toml (or pass --allow-small-k)."
        )
    if not isinstance(settings.earliest_date, date):
        raise ConfigError(
            f"{where('earliest_date')}: earliest_date must be a TOML date such as 2000-01-01"
        )
    if not isinstance(settings.regions, list | tuple) or not all(
        isinstance(r, str) and r.strip() for r in settings.regions
    ):
        raise ConfigError(
            f'{where("regions")}: regions must be a list of region names, e.g. regions = ["ES-MD"]'
        )
    try:
        re.compile(settings.region_pattern)
    except (re.error, TypeError) as exc:
        raise ConfigError(
            f"{where('region_pattern')}: region_pattern is not a regular expression: {exc}"
        ) from exc


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "k": (lambda v: v >= 1, "a whole number of at least 1, e.g. k = 11"),
    "history_days": (lambda v: v >= 1, "a whole number of days of at least 1, e.g. 365"),
    "horizon_days": (lambda v: v >= 1, "a whole number of days of at least 1, e.g. 14"),
    "forecast_jobs": (lambda v: v >= 1, "a whole number of processes of at least 1, e.g. 2"),
    "min_posts_per_day": (lambda v: v >= 0, "a whole number of at least 0, e.g. 20"),
    "volume_change_factor": (lambda v: v > 1, "above 1, e.g. 2.0"),
    "model_sample_rate": (lambda v: 0 < v <= 1, "above 0 and at most 1, e.g. 0.5"),
    "model_backend": (lambda v: v in BACKENDS, f"one of {', '.join(BACKENDS)}"),
    "max_text_chars": (lambda v: v >= 1, "a whole number of characters, e.g. 40000"),
}
"""Allowed values beyond the type: key → (test, the form to write)."""

_EXAMPLES = {
    "markers_dir": 'markers_dir = "markers"',
    "input_preset": 'input_preset = "reddit"',
    "input_mapping": 'input_mapping = "mapping.toml"',
    "default_lang": 'default_lang = "en"',
}
"""How to write settings whose default is none (every other example is its default)."""


def _typed(name: str, value: Any, *, where: str) -> Any:
    """`value` as the type of Settings field `name` (`_conform`); ConfigError naming `name`,
    `where` and an example otherwise."""
    hint = get_type_hints(Settings)[name]
    ok, value = _conform(hint, value)
    if ok:
        return value
    if get_origin(hint) in (Union, UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    origin = get_origin(hint)
    form = (
        "one of " + ", ".join(json.dumps(a) for a in get_args(hint))
        if origin is Literal
        else _FORMS.get(origin or hint, str(hint))
    )
    raise ConfigError(f"{where}: {name} must be {form}, e.g. {_example(name)}; got {_shown(value)}")


def _conform(hint: Any, value: Any) -> tuple[bool, Any]:
    """Whether `value` (as TOML or an option gives it) fits the type `hint`, and the value as
    that type: a list becomes a tuple where a tuple is wanted, a string a Path, an integer a
    float. Optional types accept None; a Literal its values; other types are not checked."""
    if get_origin(hint) in (Union, UnionType) and type(None) in get_args(hint):
        if value is None:
            return True, None
        hint = next(a for a in get_args(hint) if a is not type(None))
    origin = get_origin(hint)
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    if hint is Path:
        ok = isinstance(value, str | os.PathLike)
        return ok, Path(value) if ok else value
    if origin is Literal:
        return value in get_args(hint), value
    if origin in (tuple, list):
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return ok, origin(value) if ok else value
    if origin in (Mapping, dict):
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
        return ok, value
    return True, value


_FORMS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a quoted string",
    Path: "a quoted path",
    tuple: "a list of quoted names",
    list: "a list of quoted names",
    Mapping: "a table of quoted values",
    dict: "a table of quoted values",
}


def _example(name: str) -> str:
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    default = next(f for f in fields(Settings) if f.name == name)
    value = default.default_factory() if default.default_factory is not MISSING else default.default
    if isinstance(value, Mapping):
        return f"[{name}] " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
    return f"{name} = {json.dumps(list(value) if isinstance(value, tuple) else value)}"


def _shown(value: Any) -> str:
    kind = {str: "the string", bool: "the boolean", int: "the number", float: "the number"}
    kind |= {list: "the list", dict: "a table"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


def _alert_methods(methods: tuple[str, ...], *, where: str) -> tuple[str, ...]:
    """The alert methods, checked against forecasting's registry (imported here, when settings
    are loaded, so that importing this module loads no forecasting code). A run alerts day
    series with the methods that run on days and week series with those that run on weeks,
    so weekly-only methods are welcome beside at least one that runs on days."""
    from forecasting.methods import build_method, check_methods

    try:
        methods = check_methods(methods)
    except ValueError as exc:
        raise ConfigError(f"{where}: alert_methods: {exc}") from exc
    if methods and not any("day" in build_method(m).frequencies for m in methods):
        raise ConfigError(
            f"{where}: alert_methods: {', '.join(methods)} run on weekly series only, so a run "
            'would alert no day series; add a method that runs on days, e.g. "early"'
        )
    return methods


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

    `$MOODCAST_SECRET` when set (at least MIN_SECRET_BYTES bytes). Otherwise, on a local runner,
    a random per-installation key kept in `<data dir>/author-key.secret` (created on first use,
    mode 0600) with a loud warning; that file must stay readable by its owner only and hold a
    key of at least MIN_SECRET_BYTES bytes. A remote runner refuses to start without the
    environment variable, since workers elsewhere cannot read that file. Raises ConfigError.
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
    key = path.read_text().strip().encode("utf-8")
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
