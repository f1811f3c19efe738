"""A setting's value, as config.toml or a command-line option gives it, turned into the type of
its `Settings` field and checked against the field's allowed range (`RULES`); a refusal names the
key, where it was set and the form it needs, e.g. `k = 11`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from moodcast.config.settings import Settings
from transforms.embedding import BACKENDS
from transforms.errors import ConfigError

RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
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


def typed(name: str, value: Any, *, where: str) -> Any:
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
    that type: a list becomes a tuple where a tuple is wanted, a string a Path (an empty one,
    which would name the current directory, fits no Path), an integer a float. Optional types
    accept None; a Literal its values; other types are not checked."""
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
        ok = isinstance(value, str | os.PathLike) and bool(str(value).strip())
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
    Path: "a quoted path, not empty",
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
