"""A realistic synthetic corpus of public posts, with planted waves of known size and date.

`generate_sample` backs `moodcast sample`: it writes `posts.jsonl` (the DESIGN.md Post contract,
one JSON object a line, mixed field formats, some malformed records) and `waves.csv`
(`marker,region,lang,start,peak,end,factor,shape`, days inclusive in the analysis time zone:
step and gradual epidemic-shaped waves, a yearly cycle and a return-to-school bump; see
`moodcast.sample_waves`). Same
arguments, same bytes. Texts come from the hand-written `moodcast.sample_phrases`; this module
never reads the marker files.

With the defaults (200,000 lines over 365 days, ≈ 548 a day):

- regions `us-ca` 55 %, `us-tx` 30 %, `us-fl` 15 %, 5 % of posts without `region`; English
  62 / 70 / 74 % there (≈ 65 % overall, 4 % of posts in the author's other language); 3 %
  without `lang` (at least two sentences of text), 10 % tagged like `en-US`;
- ≈ 33,000 authors, log-normal activity plus six accounts of 400–1,200 posts; 1 % of posts
  without `author_id`;
- `created_at` as ISO-8601 with `Z` (± milliseconds), with an offset, naive (UTC wall clock),
  epoch seconds or epoch milliseconds; a diurnal and a mild weekly rhythm, no trend, a yearly
  cycle of sadness (±12 %, highest mid-January) and stress ×1.3 for the three weeks after
  each return to school (April, September);
- 8 % reposts (`RT @handle: …` with `parent_id`), 1 % repeated lines (written again up to
  5,000 lines later), `malformed_share` malformed records evenly over MALFORMED_KINDS;
- marker phrasing (both languages) at base rates joy 20 %, anxiety 14 %, stress 14 %, sadness
  13 %, anger 8 %, fear 5 %, depression 5 %, suicide_risk 0.5 %; negative markers co-occur
  inside a latent 36 % negative-affect share, leaving ≈ 55 % plain chatter. Stress runs ×1.15
  on Mondays to ×0.85 on Saturdays; joy peaks Friday–Saturday, anxiety Sunday–Monday.

Calibration against the privacy rule (suppress when 0 < marked authors < 11 or authors < 11):
≈ 475 valid, unique, non-repost posts a day carry a region: us-ca/en ≈ 162, us-ca/es ≈ 102,
us-tx/en ≈ 97, us-fl/en ≈ 49, us-tx/es ≈ 44, us-fl/es ≈ 19. An ordinary day thus has about
rate × cell distinct marked authors in each planted cell: anxiety and stress in us-ca/en ≈ 22,
sadness in us-ca/en ≈ 20, joy in us-ca/es ≈ 20 and in us-tx/en ≈ 19. Measured with the
built-in lexicons (seed 7): 1–5 ordinary days a year per planted series fall below 11, and
the author-prevalence ratio inside / outside each wave is within 0.1 of its factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import orjson

from moodcast import sample_phrases as phrases
from moodcast.sample_waves import Wave, plan_waves, write_waves

REGIONS = ("us-ca", "us-tx", "us-fl")
REGION_SHARES = (0.55, 0.30, 0.15)
ENGLISH_SHARES = (0.62, 0.70, 0.74)
LANG_TAGS = {"en": "en-US", "es": "es-US"}

MISSING_REGION_SHARE = 0.05
MISSING_LANG_SHARE = 0.03
TAGGED_LANG_SHARE = 0.10
MISSING_AUTHOR_SHARE = 0.01
LANG_SWITCH_SHARE = 0.04
REPOST_SHARE = 0.08
DUPLICATE_SHARE = 0.01
DUPLICATE_MAX_GAP_LINES = 5_000
REPOST_MAX_GAP_POSTS = 3_000

MARKERS = ("joy", "sadness", "anger", "fear", "anxiety", "depression", "stress", "suicide_risk")
BASE_RATES = {"joy": 0.20, "sadness": 0.13, "anger": 0.08, "fear": 0.05, "anxiety": 0.14,
              "depression": 0.05, "stress": 0.14, "suicide_risk": 0.005}  # fmt: skip
"""Share of posts whose text expresses each marker on an ordinary day."""

WEEKLY_SHAPES = {
    "joy": (0.92, 0.94, 0.96, 1.0, 1.06, 1.12, 1.0),
    "anger": (1.04, 1.0, 1.0, 1.0, 1.0, 0.96, 1.0),
    "anxiety": (1.08, 1.02, 1.0, 0.98, 0.94, 0.94, 1.04),
    "depression": (1.06, 1.0, 0.98, 0.98, 0.98, 0.98, 1.02),
    "stress": (1.15, 1.1, 1.05, 1.0, 0.95, 0.85, 0.9),
}
"""Monday-to-Sunday multipliers of a marker's base rate (normalised to a mean of 1)."""

NEGATIVE_AFFECT_SHARE = 0.36


@dataclass(frozen=True)
class Profile:
    """Who posts in a corpus: regions (the region `unknown` is written as a missing field),
    their shares and English shares, the share of posts without a region, of posts in the
    author's other language, and each marker's base rate. Waves planted in a region or language
    the profile lacks move to its first region and to English."""

    regions: tuple[str, ...] = REGIONS
    region_shares: tuple[float, ...] = REGION_SHARES
    english_shares: tuple[float, ...] = ENGLISH_SHARES
    missing_region_share: float = MISSING_REGION_SHARE
    lang_switch_share: float = LANG_SWITCH_SHARE
    base_rates: dict[str, float] = field(default_factory=lambda: dict(BASE_RATES))


FORUM_RATES = {"joy": 0.03, "sadness": 0.02, "anger": 0.015, "fear": 0.008, "anxiety": 0.025,
               "depression": 0.01, "stress": 0.03, "suicide_risk": 0.005}  # fmt: skip

PROFILES = {
    "default": Profile(),
    "forum": Profile(
        regions=("unknown",),
        region_shares=(1.0,),
        english_shares=(1.0,),
        missing_region_share=0.0,
        lang_switch_share=0.0,
        base_rates=FORUM_RATES,
    ),
}
"""`default`: the feed described above. `forum`: one discussion forum, as real Reddit
communities look — one region (no `region` field), English only, markers rare (0.5–3 % of
posts), typically run with `authors_per_day` at 100–400."""

POSTS_PER_AUTHOR_DAY = 1.38
"""Posts per distinct author-day under this module's activity model: `authors_per_day`
turns into `authors_per_day × days × POSTS_PER_AUTHOR_DAY` posts."""
VOLUME_WEEKLY = (1.0, 1.02, 1.03, 1.01, 0.98, 0.94, 0.97)
VOLUME_HOURLY = (2.0, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 2.8, 3.8, 4.2, 4.3, 4.5,
                 5.0, 5.0, 4.6, 4.4, 4.5, 4.8, 5.3, 5.8, 6.0, 5.6, 4.4, 3.0)  # fmt: skip

TIMESTAMP_FORMATS = ("iso_z", "iso_z_ms", "iso_offset", "iso_naive", "epoch_s", "epoch_ms")
TIMESTAMP_SHARES = (0.25, 0.15, 0.20, 0.15, 0.15, 0.10)
UTC_OFFSETS_MINUTES = (-480, -420, -360, -300, -240, 0, 60, 120, 330)
PLATFORMS = ("x", "mastodon", "bluesky", "reddit", "threads")
PLATFORM_SHARES = (0.4, 0.2, 0.2, 0.15, 0.05)

MALFORMED_KINDS = ("truncated_json", "not_an_object", "missing_field", "unparseable_timestamp",
                   "future_timestamp", "invalid_utf8", "oversized_text")  # fmt: skip
MAX_PROSE_WORDS = 55
PROLIFIC_SHARES = (0.006, 0.004, 0.003, 0.003, 0.002, 0.002)
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
_BAD_BYTES_TOKEN = "QQBADBYTESQQ"
CHUNK_POSTS = 10_000
_PLAN_COLUMNS = ("author", "region", "lang", "lang_field", "has_author", "parent", "malformed_kind")


@dataclass(frozen=True)
class SampleSummary:
    """What `generate_sample` wrote. `n_posts` counts every line of posts.jsonl, malformed
    records and repeated lines included; the `n_missing_*` counts are over distinct records;
    `marked` counts, per marker, the valid non-repost posts written to express it."""

    posts_path: Path
    waves_path: Path
    n_posts: int
    n_malformed: int
    n_duplicates: int
    n_reposts: int
    n_missing_region: int
    n_missing_lang: int
    n_missing_author: int
    marked: tuple[tuple[str, int], ...]
    waves: tuple[Wave, ...]


def generate_sample(
    out_dir: Path,
    *,
    posts: int = 200_000,
    days: int = 365,
    seed: int = 7,
    start: date = date(2025, 1, 6),
    malformed_share: float = 0.002,
    tz: str = "UTC",
    progress: Callable[[int, int], None] | None = None,
    profile: str = "default",
    authors_per_day: int | None = None,
) -> SampleSummary:
    """Write `out_dir/posts.jsonl` (`posts` lines) and `out_dir/waves.csv`; return a summary.

    Posts fall on the `days` local days from `start` in time zone `tz` (the analysis time
    zone); naive timestamps are UTC wall-clock times. `progress(lines_written, total_lines)` is
    called after every CHUNK_POSTS posts. The same arguments give byte-identical files.
    `malformed_share` is honoured as long as enough valid lines remain to be repeated.
    `profile` names one of PROFILES; `authors_per_day`, when given, replaces `posts` by the
    number that gives about that many distinct authors a day (POSTS_PER_AUTHOR_DAY).

    Raises ValueError, naming the argument, when `posts`, `days` or `authors_per_day` is below
    1, `malformed_share` is outside [0, 1], `profile` is unknown or `tz` is not an IANA time
    zone.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    if authors_per_day is not None:
        if authors_per_day < 1:
            raise ValueError(f"authors_per_day must be at least 1, got {authors_per_day}")
        posts = round(authors_per_day * days * POSTS_PER_AUTHOR_DAY)
    people = PROFILES[profile]
    zone = _check_arguments(posts=posts, days=days, malformed_share=malformed_share, tz=tz)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    waves = tuple(
        w
        if w.region in (*people.regions, "all")
        else replace(w, region=people.regions[0], lang="en")
        for w in plan_waves(start, days)
    )

    n_duplicates = min(round(posts * DUPLICATE_SHARE), posts - 1)
    n = posts - n_duplicates
    day, millis = _draw_times(rng, n, days=days, start=start, zone=zone)
    plan = _draw_people(rng, n, people)
    kind = plan["malformed_kind"] = np.full(n, -1)
    n_malformed = min(round(posts * malformed_share), n - n_duplicates - (n_duplicates > 0))
    malformed_at = rng.choice(n, size=n_malformed, replace=False)
    kind[malformed_at] = rng.permutation(np.arange(n_malformed) % len(MALFORMED_KINDS))
    parent = plan["parent"] = _draw_reposts(rng, n, round(posts * REPOST_SHARE), kind >= 0)
    repost = parent >= 0
    plan["lang"] = np.where(repost, plan["lang"][np.maximum(parent, 0)], plan["lang"])
    marks, plan["in_wave"] = _draw_markers(
        rng, day=day, start=start, plan=plan, waves=waves, people=people
    )
    marks[repost] = False
    plan["marks"] = marks
    dup_after = _draw_duplicates(rng, n, n_duplicates, kind >= 0)
    valid = (kind < 0) & ~repost
    summary = SampleSummary(
        posts_path=out_dir / "posts.jsonl",
        waves_path=out_dir / "waves.csv",
        n_posts=posts,
        n_malformed=n_malformed,
        n_duplicates=n_duplicates,
        n_reposts=int(repost.sum()),
        n_missing_region=int((plan["region"] < 0).sum()),
        n_missing_lang=int((~plan["lang_field"]).sum()),
        n_missing_author=int((~plan["has_author"]).sum()),
        marked=tuple((m, int(marks[valid, k].sum())) for k, m in enumerate(MARKERS)),
        waves=waves,
    )
    _write_posts(summary.posts_path, rng, millis, plan, waves, dup_after, progress, people)
    write_waves(summary.waves_path, waves)
    return summary


def _check_arguments(*, posts: int, days: int, malformed_share: float, tz: str) -> ZoneInfo:
    if posts < 1:
        raise ValueError(f"posts must be at least 1, got {posts}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 0 <= malformed_share <= 1:
        raise ValueError(f"malformed_share must be between 0 and 1, got {malformed_share}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA name such as 'UTC' or 'America/Chicago'"
        ) from exc


def _draw_times(
    rng: np.random.Generator, n: int, *, days: int, start: date, zone: ZoneInfo
) -> tuple[np.ndarray, np.ndarray]:
    """Local day index and UTC epoch milliseconds of `n` posts, sorted by time.

    Each post's instant is placed inside its local day's true span (23, 24 or 25 hours), so
    its local calendar day is right on daylight-saving days."""
    midnights = np.array(
        [
            datetime.combine(start + timedelta(d), time(0), tzinfo=zone).timestamp()
            for d in range(days + 1)
        ]
    )
    weekday = (np.arange(days) + start.weekday()) % 7
    volume = np.asarray(VOLUME_WEEKLY)[weekday]
    day = rng.choice(days, size=n, p=volume / volume.sum())
    hourly = np.asarray(VOLUME_HOURLY)
    hour = rng.choice(24, size=n, p=hourly / hourly.sum())
    fraction = (hour + rng.random(n)) / 24
    seconds = midnights[day] + fraction * (midnights[day + 1] - midnights[day])
    millis = np.floor(seconds * 1000).astype(np.int64)
    order = np.argsort(millis, kind="stable")
    return day[order], millis[order]


def _draw_people(rng: np.random.Generator, n: int, people: Profile) -> dict[str, np.ndarray]:
    """Author, region, language and field-presence flags of `n` posts."""
    n_authors = max(50, n // 6)
    activity = rng.lognormal(0.0, 1.1, n_authors)
    prolific = np.asarray(PROLIFIC_SHARES[: n_authors // 10])
    activity[: len(prolific)] = 0
    activity *= (1 - prolific.sum()) / activity.sum()
    activity[: len(prolific)] = prolific
    author = rng.choice(n_authors, size=n, p=activity)
    home = rng.choice(len(people.regions), size=n_authors, p=people.region_shares)
    speaks_es = rng.random(n_authors) >= np.asarray(people.english_shares)[home]
    switch = rng.random(n) < people.lang_switch_share
    return {
        "author": author,
        "author_id": rng.choice(9_000_000_000, size=n_authors, replace=False) + 1_000_000_000,
        "platform": rng.choice(len(PLATFORMS), size=n_authors, p=PLATFORM_SHARES),
        "region": np.where(rng.random(n) < people.missing_region_share, -1, home[author]),
        "lang": (speaks_es[author] ^ switch).astype(np.int8),
        "lang_field": rng.random(n) >= MISSING_LANG_SHARE,
        "has_author": rng.random(n) >= MISSING_AUTHOR_SHARE,
    }


def _draw_reposts(
    rng: np.random.Generator, n: int, n_reposts: int, malformed: np.ndarray
) -> np.ndarray:
    """Parent index of each post (-1 for an original). Parents are earlier, valid originals."""
    parent = np.full(n, -1)
    candidates = np.flatnonzero(~malformed[1:]) + 1
    chosen = np.sort(rng.choice(candidates, size=min(n_reposts, len(candidates)), replace=False))
    eligible = ~malformed
    eligible[chosen] = False
    last_eligible = np.maximum.accumulate(np.where(eligible, np.arange(n), -1))
    gap = rng.integers(1, REPOST_MAX_GAP_POSTS, size=len(chosen))
    parent[chosen] = last_eligible[np.maximum(chosen - gap, 0)]
    return parent


def _draw_markers(
    rng: np.random.Generator,
    *,
    day: np.ndarray,
    start: date,
    plan: dict[str, np.ndarray],
    waves: tuple[Wave, ...],
    people: Profile,
) -> tuple[np.ndarray, np.ndarray]:
    """Which markers each post expresses (n × len(MARKERS)), and the wave (or -1) it is in.

    Joy is drawn on its own; the negative markers are drawn inside a latent negative-affect
    share so that they co-occur. A post in a wave's region, language and days draws that
    marker independently with its probability multiplied by the wave's factor that day; the
    seasonal cycle and the school bump multiply the probability of every post."""
    n = len(day)
    weekday = (day + start.weekday()) % 7
    rate = np.empty((n, len(MARKERS)))
    for k, marker in enumerate(MARKERS):
        shape = np.asarray(WEEKLY_SHAPES.get(marker, (1.0,) * 7))
        rate[:, k] = people.base_rates[marker] * (shape / shape.mean())[weekday]
    n_days = int(day.max()) + 1 if n else 0
    for wave in waves:
        if wave.region == "all":
            rate[:, MARKERS.index(wave.marker)] *= wave.factor_by_day(start, n_days)[day]
    negative = rng.random(n) < NEGATIVE_AFFECT_SHARE
    draws = rng.random((n, len(MARKERS)))
    marks = negative[:, None] & (draws < rate / NEGATIVE_AFFECT_SHARE)
    marks[:, 0] = draws[:, 0] < rate[:, 0]
    in_wave = np.full(n, -1)
    wave_draws = rng.random(n)
    for w, wave in enumerate(waves):
        if wave.region == "all":
            continue
        first, last = (wave.start - start).days, (wave.end - start).days
        inside = (
            (plan["region"] == people.regions.index(wave.region))
            & (plan["lang"] == phrases.LANGS.index(wave.lang))
            & (day >= first)
            & (day <= last)
        )
        k = MARKERS.index(wave.marker)
        factor = wave.factor_by_day(start, n_days)[day[inside]]
        marks[inside, k] = wave_draws[inside] < rate[inside, k] * factor
        in_wave[inside] = w
    return marks, in_wave


def _draw_duplicates(
    rng: np.random.Generator, n: int, n_duplicates: int, malformed: np.ndarray
) -> dict[int, list[int]]:
    """Line index → earlier valid lines to write again right after it."""
    candidates = np.flatnonzero(~malformed[:-1])
    sources = rng.choice(candidates, size=min(n_duplicates, len(candidates)), replace=False)
    targets = np.minimum(sources + rng.integers(1, DUPLICATE_MAX_GAP_LINES, len(sources)), n - 1)
    dup_after: dict[int, list[int]] = {}
    for source, target in sorted(zip(sources.tolist(), targets.tolist(), strict=True)):
        dup_after.setdefault(target, []).append(source)
    return dup_after


def _timestamps(
    millis: np.ndarray, kind: np.ndarray, offset: np.ndarray, spaced: np.ndarray
) -> list[str | int]:
    """`created_at` values: `kind` indexes TIMESTAMP_FORMATS, `offset` is the minutes east of
    UTC used by `iso_offset`, `spaced` writes a naive time with a space instead of `T`."""
    utc = millis.astype("datetime64[ms]")
    seconds = np.datetime_as_string(utc.astype("datetime64[s]"), unit="s").tolist()
    with_ms = np.datetime_as_string(utc, unit="ms").tolist()
    local = (utc + offset.astype("timedelta64[m]")).astype("datetime64[s]")
    shifted = np.datetime_as_string(local, unit="s").tolist()
    millis_list, offsets, spaced_list = millis.tolist(), offset.tolist(), spaced.tolist()
    values: list[str | int] = []
    for i, k in enumerate(kind.tolist()):
        if k == 0:
            values.append(seconds[i] + "Z")
        elif k == 1:
            values.append(with_ms[i] + "Z")
        elif k == 2:
            sign, minutes = "-" if offsets[i] < 0 else "+", abs(offsets[i])
            values.append(f"{shifted[i]}{sign}{minutes // 60:02d}:{minutes % 60:02d}")
        elif k == 3:
            values.append(seconds[i].replace("T", " ") if spaced_list[i] else seconds[i])
        elif k == 4:
            values.append(millis_list[i] // 1000)
        else:
            values.append(millis_list[i])
    return values


def _write_posts(
    path: Path,
    rng: np.random.Generator,
    millis: np.ndarray,
    plan: dict[str, np.ndarray],
    waves: tuple[Wave, ...],
    dup_after: dict[int, list[int]],
    progress: Callable[[int, int], None] | None,
    people: Profile,
) -> None:
    """Compose every post's text and write posts.jsonl, repeated lines included. `plan` holds
    the per-post arrays drawn by `generate_sample`.

    All random draws are made up front as arrays; posts are then written in chunks of
    CHUNK_POSTS so that memory stays flat however many posts are asked for."""
    n = len(millis)
    total = n + sum(len(sources) for sources in dup_after.values())
    epoch = _SNOWFLAKE_EPOCH_MS if millis[0] > _SNOWFLAKE_EPOCH_MS else int(millis[0])
    ids = ((millis - epoch) << 22) | (np.arange(n) & 0x3FFFFF)
    parent, in_wave = plan["parent"], plan["in_wave"]
    mask = plan["marks"].astype(np.int64) @ (1 << np.arange(len(MARKERS)))
    n_neutral = np.where(
        mask > 0,
        rng.choice(3, size=n, p=(0.3, 0.5, 0.2)),
        rng.choice(4, size=n, p=(0.45, 0.30, 0.17, 0.08)) + 1,
    )
    n_neutral = np.where(plan["lang_field"], n_neutral, np.maximum(n_neutral, 2 - (mask > 0)))
    wave_bit = np.asarray([MARKERS.index(w.marker) for w in waves] + [0])[in_wave]
    context = np.where((in_wave >= 0) & ((mask >> wave_bit) & 1 == 1), in_wave, -1)
    columns = {
        "id": ids,
        "draws": rng.integers(0, 2**31 - 1, size=(n, 6), dtype=np.int64),
        "flags": rng.random((n, 7)) < np.asarray(phrases.Composer.FLAG_SHARES),
        "time_kind": rng.choice(len(TIMESTAMP_FORMATS), size=n, p=TIMESTAMP_SHARES),
        "offset": np.asarray(UTC_OFFSETS_MINUTES)[rng.integers(0, len(UTC_OFFSETS_MINUTES), n)],
        "spaced": rng.random(n) < 0.3,
        "platform_field": rng.random(n) < 0.7,
        "repost_false": rng.random(n) < 0.35,
        "lang_tag": rng.random(n) < TAGGED_LANG_SHARE,
        "mask": mask,
        "n_neutral": n_neutral,
        "context": context,
    }
    columns |= {name: plan[name] for name in _PLAN_COLUMNS}
    author_ids = [str(a) for a in plan["author_id"].tolist()]
    platforms = [PLATFORMS[p] for p in plan["platform"].tolist()]
    composer = phrases.Composer(
        MARKERS,
        [phrases.WAVE_CONTEXT.get((w.marker, w.lang), ()) for w in waves],
        max_words=MAX_PROSE_WORDS,
    )
    columns["keep_text"] = np.isin(np.arange(n), parent[parent >= 0])
    columns["keep_line"] = np.isin(np.arange(n), [s for group in dup_after.values() for s in group])
    texts: dict[int, tuple[str, int]] = {}
    lines: dict[int, bytes] = {}
    written = 0
    with path.open("wb") as handle:
        for lo in range(0, n, CHUNK_POSTS):
            hi = min(n, lo + CHUNK_POSTS)
            c = {name: values[lo:hi].tolist() for name, values in columns.items()}
            created = _timestamps(
                millis[lo:hi], columns["time_kind"][lo:hi], columns["offset"][lo:hi],
                columns["spaced"][lo:hi],
            )  # fmt: skip
            buffer: list[bytes] = []
            for j in range(hi - lo):
                i = lo + j
                p = c["parent"][j]
                if p >= 0:
                    text_of_parent, author_of_parent = texts[p]
                    prefix = phrases.RETWEET_PREFIX.format(handle=phrases.handle(author_of_parent))
                    text = prefix + text_of_parent
                else:
                    text = composer.text(
                        c["draws"][j], c["flags"][j], c["lang"][j], c["mask"][j],
                        c["n_neutral"][j], c["context"][j],
                    )  # fmt: skip
                record: dict = {"id": str(c["id"][j]), "created_at": created[j], "text": text}
                if c["has_author"][j]:
                    record["author_id"] = author_ids[c["author"][j]]
                if c["lang_field"][j]:
                    code = phrases.LANGS[c["lang"][j]]
                    record["lang"] = LANG_TAGS[code] if c["lang_tag"][j] else code
                if c["region"][j] >= 0 and people.regions[c["region"][j]] != "unknown":
                    record["region"] = people.regions[c["region"][j]]
                if c["platform_field"][j]:
                    record["platform"] = platforms[c["author"][j]]
                if p >= 0:
                    record["is_repost"], record["parent_id"] = True, str(ids[p])
                elif c["repost_false"][j]:
                    record["is_repost"] = False
                line = orjson.dumps(record)
                if c["malformed_kind"][j] >= 0:
                    line = _corrupt(MALFORMED_KINDS[c["malformed_kind"][j]], record, line, i)
                buffer.append(line)
                if c["keep_text"][j]:
                    texts[i] = (text, c["author"][j])
                if c["keep_line"][j]:
                    lines[i] = line
                buffer.extend(lines.pop(source) for source in dup_after.get(i, ()))
            handle.write(b"\n".join(buffer) + b"\n")
            written += len(buffer)
            if progress is not None:
                progress(written, total)


def _corrupt(kind: str, record: dict, line: bytes, i: int) -> bytes:
    """A malformed variant of a valid record's line."""
    broken = dict(record)
    if kind == "truncated_json":
        decoded = line.decode("utf-8")
        return decoded[: max(8, len(decoded) // 2)].encode("utf-8")
    if kind == "not_an_object":
        return orjson.dumps(list(record.values()) if i % 2 else record["text"])
    if kind == "missing_field":
        del broken[("id", "created_at", "text")[i % 3]]
    elif kind == "unparseable_timestamp":
        broken["created_at"] = "yesterday-ish"
    elif kind == "future_timestamp":
        broken["created_at"] = f"2099-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:30:00Z"
    elif kind == "invalid_utf8":
        words = record["text"].split(" ")
        words.insert(len(words) // 2, _BAD_BYTES_TOKEN)
        broken["text"] = " ".join(words)
        return orjson.dumps(broken).replace(_BAD_BYTES_TOKEN.encode(), b"caf\xe9 \xff\xfe")
    elif kind == "oversized_text":
        text = record["text"]
        broken["text"] = " ".join([text] * (10_001 // (len(text) + 1) + 2))
    return orjson.dumps(broken)
