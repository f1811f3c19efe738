"""Field names of real exports → the Post contract: named presets and user mappings.

A preset or a user mapping turns one decoded record (a dict from a JSON line, a CSV row or a
Parquet row) into a dict keyed by Post field names, which then goes through
transforms.records.coerce_record and validation like any other record. Mapping never raises on
odd data: a value of the wrong type is passed on for validation to refuse with a reason.

Presets: `x` (X/Twitter API v2 tweet objects, bare, in a `{"data": …}` envelope, or a
response page `{"data": [...]}`: see `items`), `reddit`
(Pushshift-style comment and submission dumps), `mastodon` (API Status entities), `bluesky`
(app.bsky.feed.defs feedViewPost or postView). A user mapping names, per Post field, a dotted
source path (or a list of paths, the first non-empty one wins); fields it does not name are read
under their own Post names. The presets' per-platform rules are in transforms.platforms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from transforms.contracts import POST_OPTIONAL, POST_REQUIRED
from transforms.errors import ConfigError
from transforms.platforms import (
    bluesky_repost,
    mastodon_status,
    reddit_text_and_author,
    reddit_things,
    x_references,
)
from transforms.text import stated_code

POST_FIELDS = POST_REQUIRED + POST_OPTIONAL

FIELDS_KEY = "fields"
"""The key of the mapping that reads the Post field names as they are (with_default_lang)."""
LANG_KEY = "#lang="
"""Joins a mapping's key and its input's default language in the key."""

Rule = Callable[[Mapping, dict], dict]
"""A per-preset rule: (source record, mapped fields so far) → mapped fields (a new dict)."""


class MappingError(ConfigError):
    """An unknown preset, or a user mapping that names a non-Post field or a bad path."""


@dataclass(frozen=True)
class InputMapping:
    """How one source record becomes Post fields.

    `paths` maps each Post field to alternative source paths (each a dotted path, tried as a
    whole key first; digits index lists); `rules` then adjust the result in order; `platform`
    fills an empty `platform`. `key` identifies the mapping (it enters the run id). `expand`,
    when set, turns one decoded line (an object or a list) into the records it holds (a Reddit
    thread with its nested comments: `reddit_things`). `default_lang` is the input's language
    for posts that state none and are too short or unclear to identify (`--lang`; see
    transforms.text.LanguageRule): it belongs to the input, so the ledger keeps it in the key.
    """

    key: str
    paths: Mapping[str, tuple[str, ...]]
    rules: tuple[Rule, ...] = ()
    platform: str | None = None
    envelope: str | None = None
    expand: Callable[[object], list[Mapping]] | None = None
    default_lang: str | None = None

    @property
    def reads_post_fields(self) -> bool:
        """Whether records are read under the Post field names, as without any mapping (the
        mapping only carries `default_lang`)."""
        return self.key.partition(LANG_KEY)[0] == FIELDS_KEY


def items(record: Mapping | list, mapping: InputMapping) -> list[Mapping]:
    """The records one decoded line holds: what `mapping.expand` finds in it; the items of a
    response page (`mapping.envelope` holding a list, as X's search endpoint writes
    `{"data": [...], "meta": ...}`; an item that is not an object stays, to be refused by
    validation); otherwise the line itself."""
    if mapping.expand is not None:
        return mapping.expand(record)
    if not isinstance(record, Mapping):
        return [{}]
    page = record.get(mapping.envelope) if mapping.envelope else None
    if isinstance(page, list) and "id" not in record:
        return [item if isinstance(item, Mapping) else {} for item in page]
    return [record]


def map_record(record: Mapping, mapping: InputMapping) -> dict:
    """One decoded record → a dict of Post fields (values not yet coerced or validated).

    A record wrapped in `mapping.envelope` (X's `{"data": {...}}`) is unwrapped first. Datetime
    and date values (from Parquet) become ISO-8601 text. The input is not modified.
    """
    inner = record.get(mapping.envelope) if mapping.envelope else None
    if isinstance(inner, Mapping) and "id" not in record:
        record = inner
    out = {name: _first(record, paths) for name, paths in mapping.paths.items()}
    for rule in mapping.rules:
        out = rule(record, out)
    if out.get("platform") is None and mapping.platform:
        out = {**out, "platform": mapping.platform}
    return out


def _first(record: Mapping, paths: Sequence[str]):
    """The first value at `paths` that is neither missing, null nor an empty string."""
    for path in paths:
        value = lookup(record, path)
        if value is not None and value != "":
            return value.isoformat() if isinstance(value, datetime | date) else value
    return None


def lookup(record: Mapping, path: str):
    """The value at a dotted `path` (`account.id`, `record.langs.0`), or None.

    A key that itself contains dots (a flat column named `user.id`) is matched whole first.
    """
    if path in record:
        return record[path]
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


# --- presets and user mappings --------------------------------------------------------------


def _paths(**named: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every Post field read under its own name unless `named` says otherwise."""
    table = {name: (name,) for name in POST_FIELDS}
    table.update({k: (v,) if isinstance(v, str) else v for k, v in named.items()})
    return table


PRESETS: dict[str, InputMapping] = {
    "x": InputMapping(
        key="preset:x",
        paths=_paths(text=("note_tweet.text", "text"), is_repost=(), parent_id=()),
        rules=(x_references,),
        platform="x",
        envelope="data",
    ),
    "reddit": InputMapping(
        key="preset:reddit",
        paths=_paths(created_at=("created_utc", "created_at"), author_id="author", text=()),
        rules=(reddit_text_and_author,),
        platform="reddit",
        expand=reddit_things,
    ),
    "mastodon": InputMapping(
        key="preset:mastodon",
        paths=_paths(
            text="content", author_id="account.id", lang="language", parent_id="in_reply_to_id"
        ),
        rules=(mastodon_status,),
        platform="mastodon",
    ),
    "bluesky": InputMapping(
        key="preset:bluesky",
        paths=_paths(
            id=("post.uri", "uri"),
            text=("post.record.text", "record.text"),
            created_at=("post.record.createdAt", "record.createdAt"),
            author_id=("post.author.did", "author.did"),
            lang=("post.record.langs.0", "record.langs.0"),
            parent_id=("post.record.reply.parent.uri", "record.reply.parent.uri"),
            is_repost=(),
        ),
        rules=(bluesky_repost,),
        platform="bluesky",
    ),
}


PRESET_SIGNS = {
    "x": ("referenced_tweets", "public_metrics", "edit_history_tweet_ids", "note_tweet", "data"),
    "reddit": ("subreddit", "selftext", "subreddit_id", "link_id"),
    "mastodon": ("account", "reblog", "visibility", "spoiler_text", "in_reply_to_id"),
    "bluesky": ("post", "record", "uri", "cid", "indexedAt"),
}
"""Field names that only a platform's exports have: the preset `suggest_reading` names. A name
other sources use too is none (Reddit's `created_utc`, a common name for a Unix time)."""

FIELD_ALIASES = {
    "id": ("post_id", "tweet_id", "status_id", "comment_id", "message_id", "uri", "name", "uuid"),
    "created_at": ("created_utc", "timestamp", "date", "datetime", "time", "created", "createdAt",
                   "published", "posted_at", "sent_at", "date_time", "ts"),
    "text": ("body", "content", "message", "full_text", "tweet", "post", "post_text", "comment",
             "selftext", "caption", "msg"),
    "author_id": ("author", "user", "user_id", "userid", "username", "user_name", "screen_name",
                  "handle", "user_handle", "author_name", "account.id", "user.id", "author.id"),
    "region": ("country", "country_code", "state", "province", "location"),
    "lang": ("language", "lang_code", "locale"),
}  # fmt: skip
"""Common source names of the Post fields, for the mapping `suggest_reading` drafts. A name
matches a field's whole dotted path or its last part, ignoring case, `_`, `-` and spaces
(`PostID` is `post_id`, `meta.sent_at` is `sent_at`)."""


OTHER_SEPARATORS = (";", "\t", "|")
"""Separators of CSV files that moodcast, which reads commas, finds as one header field."""


def separator_advice(fields: Sequence[str]) -> str:
    """How to convert a CSV whose header was read as one field holding one of OTHER_SEPARATORS
    (a spreadsheet's export in many locales), a command that writes it comma-separated; ""
    for any other header. Runs, `tag` and the labelled-file commands all give this advice."""
    if len(fields) != 1:
        return ""
    separator = next((c for c in OTHER_SEPARATORS if c in fields[0]), None)
    if separator is None:
        return ""
    return (
        f"Its header is one field holding {separator!r} separators, but moodcast reads CSV "
        'separated by commas: convert the file first, e.g. `python3 -c "import csv, sys; '
        "csv.writer(sys.stdout).writerows(csv.reader(sys.stdin, delimiter="
        f"'{separator.encode('unicode_escape').decode()}'))\" < IN.csv > OUT.csv`."
    )


def reads(record: Mapping, mapping: InputMapping) -> bool:
    """Whether `mapping` finds every required Post field (POST_REQUIRED) of each record that
    `record` holds as a non-empty string or number, as reading it needs."""
    mapped = [map_record(item, mapping) for item in items(record, mapping)]
    return bool(mapped) and all(
        isinstance(post.get(name), str | int | float)
        and not isinstance(post.get(name), bool)
        and post.get(name) != ""
        for post in mapped
        for name in POST_REQUIRED
    )


def suggested_preset(record: Mapping) -> str | None:
    """The preset that reads `record` (`reads`) and whose platform-only field names
    (PRESET_SIGNS) it carries most, among its own fields and those of the records the preset
    finds in it (`items`: a Reddit Listing's comments); None where no preset that reads it
    carries one."""
    scores = {
        name: len(set(signs) & set(record).union(*items(record, PRESETS[name])))
        for name, signs in PRESET_SIGNS.items()
        if reads(record, PRESETS[name])
    }
    best = max(scores, key=lambda name: scores[name], default=None)
    return best if best is not None and scores[best] else None


def suggest_reading(record: Mapping, *, read_with: str | None = None) -> str:
    """One sentence on how to read a file whose first record is `record` (a JSON object, a CSV
    row keyed by its header, a Parquet row): for a header read as one field that holds another
    separator, separator_advice; else the preset that reads the record (suggested_preset:
    `--preset reddit`), or nothing ("") where that is `read_with`, the preset the file was read
    with (its record was read); else, unless the record has the required Post fields, a mapping
    file drafted from FIELD_ALIASES for the ones it lacks, matched against the dotted paths of
    its fields nested in objects too, with `author_id` (a placeholder where no field looks like
    it: without it no cell reaches k) and the `region` and `lang` it finds; else nothing to
    suggest ("")."""
    fields = list(record)
    if advice := separator_advice(fields):
        return advice
    if best := suggested_preset(record):
        return (
            ""
            if best == read_with
            else f"These look like {best} exports: read them with --preset {best}."
        )
    present = set(fields)
    if set(POST_REQUIRED) <= present:
        return ""
    paths = _leaf_paths(record)
    found = {name: _source(paths, name) for name in FIELD_ALIASES if name not in present}
    placeholder = "<the column that holds it>"
    lines = [
        f"{name} = {json.dumps(source or placeholder)}"
        for name, source in found.items()
        if source or name in (*POST_REQUIRED, "author_id")
    ]
    why = (
        " (posts without an author id count towards no cell's k, so none would be published)"
        if "author_id" in found
        else ""
    )
    return (
        "Read them with a mapping file (--mapping mapping.toml, or input_mapping in config.toml) "
        f"that names the source of each Post field, e.g.: {'; '.join(lines)}{why}."
    )


def _leaf_paths(record: Mapping, prefix: str = "") -> list[str]:
    """The dotted paths of `record`'s fields, those of nested objects instead of the object."""
    return [
        path
        for key, value in record.items()
        for path in (
            _leaf_paths(value, f"{prefix}{key}.") if isinstance(value, Mapping) and value
            else [f"{prefix}{key}"]
        )
    ]  # fmt: skip


def _source(paths: Sequence[str], name: str) -> str | None:
    """Which of the dotted `paths` holds Post field `name`: one written as `name` in another
    case (`Text`), else the least nested that one of its FIELD_ALIASES names, whole or by its
    last part (the earlier alias first); None where none does."""

    def bare(path: str) -> str:
        return re.sub(r"[_\-\s]", "", path.lower())

    named = [
        (path.count("."), rank, path)
        for rank, alias in enumerate(FIELD_ALIASES[name])
        for path in paths
        if bare(alias) in (bare(path), bare(path.rpartition(".")[2]))
    ]
    same = [path for path in paths if bare(path) == bare(name)]
    return same[0] if same else min(named)[2] if named else None


def preset_name(mapping: InputMapping | None) -> str | None:
    """The name of the preset `mapping` is (its default language aside), else None."""
    if mapping is None:
        return None
    kind, _, name = mapping.key.partition(LANG_KEY)[0].partition(":")
    return name if kind == "preset" else None


def preset(name: str) -> InputMapping:
    """The named preset. Raises MappingError listing the presets for an unknown name."""
    try:
        return PRESETS[name]
    except KeyError:
        raise MappingError(
            f"unknown input preset {name!r}; presets: {', '.join(sorted(PRESETS))}"
        ) from None


@dataclass(frozen=True)
class Constant:
    """A mapping rule: Post field `name` is `value` in every record (`lang = {const = "en"}`)."""

    name: str
    value: str | bool

    def __call__(self, record: Mapping, out: dict) -> dict:
        return {**out, self.name: self.value}


@dataclass(frozen=True)
class StartsWith:
    """A mapping rule: the flag `name` is true when the text at the first of `paths` with a
    value starts with `prefix` (`is_repost = {path = "text", prefix = "RT @"}`)."""

    name: str
    paths: tuple[str, ...]
    prefix: str

    def __call__(self, record: Mapping, out: dict) -> dict:
        value = _first(record, self.paths)
        return {**out, self.name: isinstance(value, str) and value.startswith(self.prefix)}


def mapping_from_table(table: Mapping, *, origin: str) -> InputMapping:
    """A user mapping from a decoded TOML table. Per Post field, one of:

    - a dotted source path, or a list of them (the first non-empty wins): `text = "body"`,
      `author_id = "account.id"`;
    - a constant: `lang = {const = "en"}`, `platform = {const = "forum"}` (true or false for
      `is_repost`);
    - for `is_repost`, a text prefix: `is_repost = {path = "text", prefix = "RT @"}`.

    Raises MappingError naming `origin` for a key that is not a Post field (listing them) or a
    value of none of these forms.
    """
    unknown = sorted(set(table) - set(POST_FIELDS))
    if unknown:
        raise MappingError(
            f"{origin}: {', '.join(unknown)} {'is not a Post field' if len(unknown) == 1 else 'are not Post fields'}; "
            f"Post fields: {', '.join(POST_FIELDS)}"
        )
    named: dict[str, tuple[str, ...]] = {}
    rules: list[Rule] = []
    canonical: dict[str, object] = {}
    for name, value in table.items():
        if isinstance(value, Mapping):
            rule = _table_rule(name, value, origin=origin)
            rules.append(rule)
            named[name] = ()
            canonical[name] = (
                {"const": rule.value}
                if isinstance(rule, Constant)
                else {"path": list(rule.paths), "prefix": rule.prefix}
            )
            continue
        named[name] = _source_paths(name, value, origin=origin)
    paths = _paths(**named)
    canonical = {k: list(v) for k, v in paths.items()} | canonical
    key = "mapping:" + json.dumps(canonical, sort_keys=True)
    return InputMapping(key=key, paths=paths, rules=tuple(rules))


def _source_paths(name: str, value: object, *, origin: str) -> tuple[str, ...]:
    paths = (value,) if isinstance(value, str) else value
    if (
        not isinstance(paths, list | tuple)
        or not paths
        or not all(isinstance(p, str) and p.strip() for p in paths)
    ):
        raise MappingError(
            f'{origin}: {name} must be a source path such as "body" or "account.id", a list of '
            f'them, or a constant such as {name} = {{const = "en"}}'
        )
    return tuple(p.strip() for p in paths)


def _table_rule(name: str, value: Mapping, *, origin: str) -> Constant | StartsWith:
    """The rule of an inline table: `{const = …}`, or for is_repost `{path = …, prefix = …}`."""
    wanted = bool if name == "is_repost" else str
    if set(value) == {"const"} and isinstance(value["const"], wanted):
        return Constant(name, value["const"])
    if name == "is_repost" and set(value) == {"path", "prefix"}:
        prefix = value["prefix"]
        if isinstance(prefix, str) and prefix:
            return StartsWith(name, _source_paths(name, value["path"], origin=origin), prefix)
    form = (
        'is_repost = {const = true} or is_repost = {path = "text", prefix = "RT @"}'
        if name == "is_repost"
        else f'{name} = {{const = "…"}} (a quoted string)'
    )
    raise MappingError(
        f"{origin}: {name} = {dict(value)!r} is not a form mapping knows; use {form}"
    )


def with_default_lang(mapping: InputMapping | None, lang: str | None) -> InputMapping | None:
    """`mapping` (None: the Post field names as they are) carrying its input's default language,
    in its key too; `mapping` itself when `lang` is None."""
    if lang is None:
        return mapping
    base = mapping or InputMapping(key=FIELDS_KEY, paths=_paths())
    return replace(base, key=f"{base.key}{LANG_KEY}{lang}", default_lang=lang)


def record_reading(mapping: InputMapping | None) -> InputMapping | None:
    """The mapping records are parsed with: `mapping`, or None (the Post field names read as
    they are, an empty string kept as the reader found it) where it only carries a default language
    (`reads_post_fields`), which the chunk's options take from the job's mappings instead."""
    return None if mapping is None or mapping.reads_post_fields else mapping


def from_key(key: str) -> InputMapping:
    """The preset or user mapping whose `InputMapping.key` is `key` (as the run ledger keeps
    it, so that an input is read again the way it was loaded), with its default language read
    as a post's stated code is (transforms.text.stated_code: an older run's `eng` or `EN-us` is
    `en`, as `--lang eng` is now; a code that names no language, such as `und`, as recorded).
    Raises MappingError."""
    key, _, lang = key.partition(LANG_KEY)
    if lang:
        mapping = None if key == FIELDS_KEY else from_key(key)
        return with_default_lang(mapping, stated_code(lang) or lang)
    kind, _, rest = key.partition(":")
    if kind == "preset":
        return preset(rest)
    if kind == "mapping":
        try:
            table = json.loads(rest)
        except json.JSONDecodeError:
            table = None
        if isinstance(table, dict):
            return mapping_from_table(table, origin="the ledgered input mapping")
    raise MappingError(f"not an input mapping key: {key!r}")
