"""From valid posts to tagged, pseudonymous, filtered posts, ready to aggregate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from transforms.contracts import ALL, UNKNOWN_REGION
from transforms.markers import Marker, tag
from transforms.model_markers import (
    ModelConfig,
    in_sample,
    language_rule,
    modelled_markers,
    needs_model,
    reads_model_text,
)
from transforms.model_scoring import model_texts
from transforms.privacy import RegionRule, pseudonyms
from transforms.text import UNDETERMINED, LanguageRule, complete_languages, stated_languages
from transforms.timestamp_parsing import local_day

FILTER_REASONS = (
    "future timestamp",
    "repost",
    "unsupported language",
    "reserved region name",
    "too late",
    "undetermined language",
)


@dataclass(frozen=True)
class PostOptions:
    """What a run keeps. `as_of` is the run's date: posts dated after `as_of` + 1 day (in `tz`,
    the analysis time zone) are filtered as future timestamps, and posts dated before
    `earliest` (when set: the lateness horizon of follow mode and of the streaming job) as too
    late. `models` says which languages have a sentence model and which share of posts the model
    sources score. `regions` says which region values may be published (others become
    `unknown`). A post without a stated language gets one by transforms.text.LanguageRule among
    the markers' languages, with `default_lang` (the input's `--lang`) for short or uncertain
    texts."""

    tz: str = "UTC"
    as_of: date | None = None
    include_reposts: bool = False
    models: ModelConfig = field(default_factory=ModelConfig)
    earliest: date | None = None
    regions: RegionRule = field(default_factory=RegionRule)
    default_lang: str | None = None


def lateness_horizon(as_of: date, allowed_lateness: timedelta) -> date:
    """The earliest local day still open to late posts on `as_of`: a day stays open until
    `allowed_lateness` after it ends, counted in whole days (rounded up)."""
    whole_days = -(-allowed_lateness // timedelta(days=1))
    return as_of - timedelta(days=whole_days)


def published_region(region: pl.Expr, rule: RegionRule) -> pl.Expr:
    """The region a post is counted under: its trimmed `region` when `rule` allows it, else
    `unknown` (also for a missing or blank one)."""
    trimmed = region.str.strip_chars()
    keep = (trimmed != "") & rule.allows(trimmed)
    return pl.when(keep.fill_null(False)).then(trimmed).otherwise(pl.lit(UNKNOWN_REGION))


def refused_regions(valid: pl.DataFrame, rule: RegionRule) -> int:
    """How many posts of `valid` state a region that `rule` does not allow (counted under
    `unknown` instead)."""
    trimmed = pl.col("region").str.strip_chars()
    return int(valid.select(((trimmed != "") & ~rule.allows(trimmed)).sum()).item() or 0)


def prepare(
    valid: pl.DataFrame, *, markers: Mapping[str, Marker], key: bytes, options: PostOptions
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Filter, complete and lexicon-tag valid posts, and pick the texts the model must score.

    Returns `(posts, filtered, texts)`. `posts` has `id, source, line, day, region, lang,
    author` (the HMAC pseudonym; null where the author id is missing, empty or whitespace
    alone), `key` (model_texts' key; null where the post needs no model score), `in_sample` (the model sample) and each marker's lexicon hit as a Boolean
    column; raw text and author ids are gone. `filtered` has one row per filtered post with its
    `reason` (one of FILTER_REASONS). `texts` (model_texts: `lang, key, text`; `text` is the
    post's model_text where a model reads it, reads_model_text, else its text as it is) holds
    the posts whose decisions need the model (transforms.model_markers.decide makes the
    decisions). A missing `lang` is identified from the text (PostOptions), except in posts
    already filtered as future or reposts; a missing region, or one `options.regions` does not
    allow, becomes `unknown`.
    """
    rule = language_rule(markers, options.models, default=options.default_lang)
    posts = valid.with_columns(
        local_day(pl.col("created_utc"), tz=options.tz).alias("day"),
        published_region(pl.col("region"), options.regions).alias("region"),
        stated_languages(valid.get_column("lang")).alias("lang"),
    )
    latest = options.as_of + timedelta(days=1) if options.as_of else None
    future = pl.lit(latest is not None) & (pl.col("day") > pl.lit(latest, pl.Date))
    repost = pl.lit(not options.include_reposts) & pl.col("is_repost").fill_null(False)
    posts = posts.with_columns(_detect_where(posts, ~(future | repost), rule))
    reason = (
        pl.when(future)
        .then(pl.lit(FILTER_REASONS[0]))
        .when(repost)
        .then(pl.lit(FILTER_REASONS[1]))
        .when(pl.col("lang") == UNDETERMINED)
        .then(pl.lit(FILTER_REASONS[5]))
        .when(~pl.col("lang").is_in(rule.languages))
        .then(pl.lit(FILTER_REASONS[2]))
        .when(pl.col("region").str.to_lowercase() == ALL)
        .then(pl.lit(FILTER_REASONS[3]))
        .when(pl.lit(options.earliest is not None) & (pl.col("day") < pl.lit(options.earliest)))
        .then(pl.lit(FILTER_REASONS[4]))
    )
    posts = posts.with_columns(reason.alias("_reason"))
    filtered = posts.filter(pl.col("_reason").is_not_null()).select(
        pl.col("_reason").alias("reason")
    )
    kept = posts.filter(pl.col("_reason").is_null())
    author_id = kept.select(_stated(pl.col("author_id"))).to_series()
    kept = kept.with_columns(pseudonyms(author_id, key=key).alias("author"))
    tagged = tag(kept, markers).with_columns(
        in_sample(kept.get_column("id"), key=key, rate=options.models.sample_rate)
    )
    needed = tagged.select(needs_model(markers, options.models, None)).to_series().arg_true()
    langs = tagged.get_column("lang").gather(needed).unique().to_list()
    read = reads_model_text(modelled_markers(markers, options.models, None), options.models, langs)
    texts = model_texts(tagged[needed], normalise=read)
    keys = pl.repeat(None, tagged.height, dtype=pl.UInt64, eager=True)
    tagged = tagged.with_columns(keys.scatter(needed, texts.get_column("key")).alias("key"))
    columns = ("id", "source", "line", "day", "region", "lang", "author", "key", "in_sample")
    return tagged.select(*columns, *markers), filtered, texts


def _stated(author_id: pl.Expr) -> pl.Expr:
    """`author_id`, null where it is empty or whitespace alone: no author, in every reader (a
    plain record's `""` as a mapped one's), so such posts count towards no cell's k."""
    return pl.when(author_id.str.strip_chars() != "").then(author_id)


def _detect_where(posts: pl.DataFrame, wanted: pl.Expr, rule: LanguageRule) -> pl.Series:
    """`lang` with the nulls of the rows where `wanted` holds filled from their text under
    `rule` (transforms.text.complete_languages, all of them in one batch)."""
    lang = posts.get_column("lang")
    chosen = posts.select(pl.col("lang").is_null() & wanted).to_series().arg_true()
    if chosen.is_empty():
        return lang
    found = complete_languages(lang.gather(chosen), posts.get_column("text").gather(chosen), rule)
    return lang.scatter(chosen, found)


def repeated_ids(posts: pl.DataFrame) -> pl.DataFrame:
    """The `source, line` of every post of `posts` (`id, source, line`) whose `id` a post
    before it in (`source`, `line`) order has: the copies a run drops, keeping the first."""
    ordered = posts.sort("source", "line")
    return ordered.filter(~pl.col("id").is_first_distinct()).select("source", "line")


def drop_repeated_ids(posts: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Keep the first post of each `id` in (`source`, `line`) order (repeated_ids); return it
    and how many repeats were dropped. The result is sorted by `source`, `line`."""
    repeats = repeated_ids(posts)
    kept = posts.join(repeats, on=["source", "line"], how="anti").sort("source", "line")
    return kept, repeats.height
