"""The per-platform rules of the input presets (transforms.presets.PRESETS): X retweets and
replies, Reddit things and placeholders, Mastodon reblogs and HTML, Bluesky reposts and ids.

A rule takes the source record and the Post fields mapped so far and returns new fields; like
the rest of the mapping, it never raises on odd data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from html.parser import HTMLParser

DELETED = frozenset({"[deleted]", "[removed]"})
"""Reddit's placeholders for a deleted or removed author or text."""
BLUESKY_REPOST = "app.bsky.feed.defs#reasonRepost"
RETWEET_PREFIX = "RT @"
"""How a retweet's text starts in exports without `referenced_tweets` (API v1.1, scraped sets)."""


def x_references(record: Mapping, out: dict) -> dict:
    """A retweet (`referenced_tweets` of type `retweeted`) is a repost of that tweet; otherwise
    the tweet replied to, if any, is the parent."""
    refs = record.get("referenced_tweets")
    by_type = {}
    if isinstance(refs, list):
        by_type = {
            r.get("type"): r.get("id")
            for r in refs
            if isinstance(r, Mapping) and isinstance(r.get("type"), str)
        }
    if by_type.get("retweeted") is not None:
        return {**out, "is_repost": True, "parent_id": by_type["retweeted"]}
    text = out.get("text")
    old_style = not refs and isinstance(text, str) and text.startswith(RETWEET_PREFIX)
    return {**out, "is_repost": old_style, "parent_id": by_type.get("replied_to")}


def _undeleted(value):
    return None if isinstance(value, str) and value.strip() in DELETED else value


def reddit_text_and_author(record: Mapping, out: dict) -> dict:
    """A comment's `body`, or a submission's `title` and `selftext` (a paragraph apart); the
    `[deleted]`/`[removed]` placeholders count as no text and no author. Ids are Reddit's
    fullnames (`name`, else `t1_` + a comment's id, `t3_` + a submission's), as `parent_id`
    already is: comments and submissions are numbered separately."""
    comment = "body" in record
    if comment:
        text = _undeleted(record.get("body"))
    else:
        parts = [_undeleted(record.get(name)) for name in ("title", "selftext")]
        text = "\n\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip()) or None
    name, bare = record.get("name"), out.get("id")
    if isinstance(name, str) and name:
        fullname = name
    elif isinstance(bare, str) and bare and not bare.startswith(("t1_", "t3_")):
        fullname = ("t1_" if comment else "t3_") + bare
    else:
        fullname = bare
    return {
        **out,
        "id": fullname,
        "text": text,
        "author_id": _undeleted(out.get("author_id")),
    }


def reddit_things(line: object) -> list[Mapping]:
    """Every post of a Reddit line, nested comment trees flattened in reading order: a bare
    comment or submission; a thing (`{"kind": "t1", "data": {...}}`); a Listing; the list of
    Listings a thread's `.json` page is; and, inside any of them, `replies` (a Listing, or a
    list of comments as some dumps nest them). `more` stubs and other kinds are skipped; a
    line with no post gives one empty record, for validation to refuse."""
    found: list[Mapping] = []
    stack = [line]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, Mapping):
            kind, data = node.get("kind"), node.get("data")
            if kind == "Listing" and isinstance(data, Mapping):
                stack.append(data.get("children"))
            elif isinstance(kind, str) and isinstance(data, Mapping):
                if kind in ("t1", "t3"):
                    stack.append(data)
            elif kind is None:
                replies = node.get("replies")
                found.append({k: v for k, v in node.items() if k != "replies"})
                stack.append(replies)
    return found or [{}]


def mastodon_status(record: Mapping, out: dict) -> dict:
    """A reblog (`reblog` not null) is a repost of the reblogged status, whose content and
    language it carries; the HTML `content` becomes plain text."""
    reblog = record.get("reblog")
    if isinstance(reblog, Mapping):
        out = {
            **out,
            "is_repost": True,
            "parent_id": reblog.get("id"),
            "text": out.get("text") or reblog.get("content"),
            "lang": out.get("lang") or reblog.get("language"),
        }
    else:
        out = {**out, "is_repost": False}
    text = out.get("text")
    return {**out, "text": html_to_text(text) if isinstance(text, str) else text}


def bluesky_repost(record: Mapping, out: dict) -> dict:
    """A feed item whose `reason` is a repost is a repost of `post.uri`, by `reason.by.did` at
    `reason.indexedAt`; its id is the repost record's `reason.uri` (else the post's uri with
    `#repost/<did>`), so it never collides with the original post's id."""
    reason = record.get("reason")
    if not (isinstance(reason, Mapping) and reason.get("$type") == BLUESKY_REPOST):
        return _bluesky_ids({**out, "is_repost": False})
    post_uri = out.get("id")
    by = reason.get("by")
    by = by.get("did") if isinstance(by, Mapping) else None
    return _bluesky_ids(
        {
            **out,
            "id": reason.get("uri") or (f"{post_uri}#repost/{by}" if post_uri and by else post_uri),
            "is_repost": True,
            "parent_id": post_uri,
            "author_id": by,
            "created_at": reason.get("indexedAt") or out.get("created_at"),
        }
    )


def _bluesky_ids(out: dict) -> dict:
    """`id` and `parent_id` as `bsky:` + a SHA-256 prefix of the AT URI: the URI names its
    author's DID, an author id that must not reach per-post output; equal URIs stay equal."""
    return {
        **out,
        **{
            name: "bsky:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
            for name in ("id", "parent_id")
            if isinstance(value := out.get(name), str) and value.startswith("at://")
        },
    }


# --- HTML -----------------------------------------------------------------------------------

_BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5"})


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities unescaped, `<br>` and block
    elements (`<p>`, …) become line breaks; runs of spaces collapse, blank lines are dropped."""
    if "<" not in html and "&" not in html:
        return html
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
