"""Refusals of loaded settings beyond one value's type and range: the privacy mode, week grain,
time zones, privacy and plausibility guards, alert methods, input mapping, languages, the models
table and the markers directory. Each raises ConfigError naming where the setting was made."""

from __future__ import annotations

import logging
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable
from datetime import date
from pathlib import Path

from moodcast.config.settings import Settings
from transforms.dp import Budget
from transforms.embedding import DEFAULT_MODEL, resolve_model_path
from transforms.errors import ConfigError, ModelError
from transforms.presets import InputMapping, MappingError, mapping_from_table, preset
from transforms.privacy import DEFAULT_K

log = logging.getLogger("moodcast.config")  # its log lines keep their name on stderr

NOT_UTF8 = "is not UTF-8 text: save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
"""What a settings file (config.toml, a mapping file) that does not decode is told."""


def checked_default_lang(settings: Settings, *, where: str) -> str | None:
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


def checked_models(settings: Settings, *, where: str, reads_posts: bool) -> dict[str, str]:
    """The `models` table with each key read as the language it names (`language`: `eng` is
    `en`), and each model directory given relative to the data directory made absolute. A key
    that names no language is refused: it is most often a setting written below `[models]`,
    which TOML reads as part of that table. For a command that reads posts (`reads_posts`), a
    directory that holds no sentence-transformers model is refused too (ConfigError, naming
    `models.<lang>` and `where`)."""
    models: dict[str, str] = {}
    for key, spec in settings.models.items():
        try:
            lang = language(key, settings, option=f"{where}: models.{key}")
        except ConfigError as exc:
            raise ConfigError(
                f"{exc}. Each key of [models] is a language code; a top-level setting written "
                "below [models] belongs to that table in TOML: move it above the [models] line"
            ) from exc
        if lang in models:
            raise ConfigError(f"{where}: models names the language {lang!r} twice ({key!r})")
        if spec != DEFAULT_MODEL and not Path(spec).expanduser().is_absolute():
            spec = str(settings.data_dir / spec)
        if reads_posts and spec != DEFAULT_MODEL:
            try:
                resolve_model_path(spec)
            except ModelError as exc:
                raise ConfigError(
                    f"{where}: models.{key}: {exc}; name a local sentence-transformers model "
                    'directory (relative paths start from the data directory), or "default"'
                ) from exc
        models[lang] = spec
    return models


def check_markers_dir(settings: Settings, *, where: str, writes: bool = False) -> None:
    """A `markers_dir` that settings name must be a directory (ConfigError naming `where`),
    except for a command that `writes` marker files there, which creates it; one that holds
    neither a marker file (`*.toml`) nor a head file (`*.head.json`) is warned of, since nothing
    of it would be read."""
    if settings.markers_dir is None:
        return
    folder = settings.user_markers_dir
    if writes and not folder.exists():
        return
    if not folder.is_dir():
        raise ConfigError(
            f"{where}: markers_dir: {folder} is not a directory, so no marker of yours would be "
            "read; create it, or correct the path (a relative path starts from the data directory)"
        )
    if not any(folder.glob("*.toml")) and not any(folder.glob("*.head.json")):
        log.warning(
            "markers_dir %s holds no marker file (*.toml) and no head file (*.head.json): only "
            "the shipped markers are read",
            folder,
        )


def check_choices(settings: Settings, *, where: Callable[..., str]) -> None:
    """The privacy mode, the DP budget (in either mode, so that it is right the day the mode
    changes), the week grain and the time zones; warns
    of an unprotected release (suppress mode with k = 1). A refusal names where the setting
    was made (`where` of its names: config.toml or the command line)."""
    if settings.privacy not in ("suppress", "dp"):
        raise ConfigError(
            f"{where('privacy')}: privacy must be 'suppress' or 'dp', got {settings.privacy!r}"
        )
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


def check_guards(settings: Settings, *, where: Callable[..., str]) -> None:
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


def checked_alert_methods(methods: tuple[str, ...], *, where: str) -> tuple[str, ...]:
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


def checked_record_mapping(settings: Settings) -> InputMapping | None:
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
        table = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"input_mapping: cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"input_mapping: {path} {NOT_UTF8} ({exc.reason} at byte {exc.start})"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"input_mapping: {path}: {exc}") from exc
    try:
        return mapping_from_table(table, origin=str(path))
    except MappingError as exc:
        raise ConfigError(f"input_mapping: {exc}") from exc
