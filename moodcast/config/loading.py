"""Loading settings: a data directory's config.toml, then the command line's overrides, each
value typed and checked (moodcast.config.values), then the refusals (moodcast.config.checks)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields, replace
from pathlib import Path

from moodcast.config.checks import (
    NOT_UTF8,
    check_choices,
    check_guards,
    check_markers_dir,
    checked_alert_methods,
    checked_default_lang,
    checked_models,
    checked_record_mapping,
)
from moodcast.config.settings import Settings, resolve_data_dir
from moodcast.config.values import RULES, typed
from transforms.errors import ConfigError


def load_settings(
    data_dir: str | os.PathLike | None,
    *,
    reads_posts: bool = True,
    reads_markers: bool | None = None,
    writes_markers: bool = False,
    **overrides,
) -> Settings:
    """Settings for `data_dir` from its `config.toml` (if any), then `overrides` that are not None.

    Every value is checked against its field's type and allowed range (`RULES`); a
    ConfigError names the key, where it was set (the file, or the command line) and the form
    it needs, e.g. `k = 11`. config.toml is UTF-8 (a byte-order mark allowed). Also refused: a
    config.toml link to nothing, an unknown key, an unknown time zone or alert method, an
    unusable input preset or mapping, a key of `models` that names no language
    (`checked_models`, which reads `eng` as `en` and a relative model directory from the data
    directory), and, for a command that reads posts, a `default_lang` that names no language
    (`language`, which also warns of one posts are never identified in) and a `models`
    directory without a sentence model; for a command that `reads_markers` (by default, one
    that reads posts), a `markers_dir` that is not a directory (`check_markers_dir`; one not
    there yet is let be where the command `writes_markers` there: `markers train` creates it).
    A command that reads no posts (`export`, `dashboard`, `markers list`) passes
    `reads_posts=False`: `default_lang` is then neither checked nor kept (None), so a code that
    a later version refuses stops only the commands that use it, and the warning is given
    once, by the command's own reading. An `input_preset` or `input_mapping` override replaces
    both of config.toml's.
    """
    root = resolve_data_dir(data_dir)
    values: dict = {}
    config = root / "config.toml"
    if config.is_symlink() and not config.exists():
        raise ConfigError(
            f"{config} links to {os.readlink(config)}, which does not exist: restore the file "
            "it names, or remove the link to run on the defaults"
        )
    if config.exists():
        try:
            values = tomllib.loads(config.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{config} {NOT_UTF8} ({exc.reason} at byte {exc.start})") from exc
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
    checked = {k: typed(k, v, where=str(config)) for k, v in values.items()}
    if isinstance(checked.get("input_mapping"), Path):
        checked["input_mapping"] = root / checked["input_mapping"].expanduser()
    checked |= {k: typed(k, v, where="the command line") for k, v in overrides.items()}
    for name, value in checked.items():
        rule = RULES.get(name)
        if rule is not None and not rule[0](value):
            place = "the command line" if name in overrides else str(config)
            raise ConfigError(f"{place}: {name} must be {rule[1]}, got {value!r}")

    def where(*names: str) -> str:
        return "the command line" if set(names) & set(overrides) else str(config)

    settings = Settings(data_dir=root, **checked)
    methods = checked_alert_methods(settings.alert_methods, where=where("alert_methods"))
    check_choices(settings, where=where)
    check_guards(settings, where=where)
    settings = replace(
        settings,
        alert_methods=methods,
        models=checked_models(settings, where=where("models"), reads_posts=reads_posts),
        regions=tuple(settings.regions),
        default_lang=checked_default_lang(settings, where=where("default_lang"))
        if reads_posts
        else None,
    )
    if reads_posts if reads_markers is None else reads_markers:
        check_markers_dir(settings, where=where("markers_dir"), writes=writes_markers)
    try:
        return replace(settings, record_mapping=checked_record_mapping(settings))
    except ConfigError as exc:
        raise ConfigError(f"{where('input_preset', 'input_mapping')}: {exc}") from exc
