"""A realistic synthetic corpus of public posts, with planted waves of known size and date.

`generate_sample` backs `moodcast sample`: it writes `posts.jsonl` (the DESIGN.md Post contract,
one JSON object a line, mixed field formats, some malformed records) and `waves.csv`
(`marker,region,lang,start,peak,end,factor,shape`, days inclusive in the analysis time zone:
step and gradual epidemic-shaped waves, a yearly cycle and a return-to-school bump; see
`moodcast.sample_waves`). Same
arguments, same bytes. Texts come from the hand-written `moodcast.sample_phrases`; this module
never reads the marker files. It draws who posts what and when; `moodcast.sample_lines` writes
those posts as lines (field formats, reposts, repeats, malformed variants).

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

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from moodcast import sample_phrases as phrases
from moodcast.sample_lines import MALFORMED_KINDS, PLATFORMS, write_posts
from moodcast.sample_waves import Wave, plan_waves, write_waves

REGIONS = ("us-ca", "us-tx", "us-fl")
REGION_SHARES = (0.55, 0.30, 0.15)
ENGLISH_SHARES = (0.62, 0.70, 0.74)

MISSING_REGION_SHARE = 0.05
MISSING_LANG_SHARE = 0.03
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
LAST_DAY = date(9998, 12, 31)
"""The last day a sample can hold: its yearly cycle's high may fall in the year after, and
Python's dates end with 9999."""
BYTES_PER_POST = 300
"""About what one post of a sample takes, in posts.jsonl (286 bytes measured on the default
profile, 250 on the forum one) and in memory while the sample is drawn (about 220)."""
VOLUME_WEEKLY = (1.0, 1.02, 1.03, 1.01, 0.98, 0.94, 0.97)
VOLUME_HOURLY = (2.0, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 2.8, 3.8, 4.2, 4.3, 4.5,
                 5.0, 5.0, 4.6, 4.4, 4.5, 4.8, 5.3, 5.8, 6.0, 5.6, 4.4, 3.0)  # fmt: skip

PLATFORM_SHARES = (0.4, 0.2, 0.2, 0.15, 0.05)

PROLIFIC_SHARES = (0.006, 0.004, 0.003, 0.003, 0.002, 0.002)


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
    called after every `moodcast.sample_lines.CHUNK_POSTS` posts. The same arguments give
    byte-identical files. `malformed_share` is honoured as long as enough valid lines remain
    to be repeated.
    `profile` names one of PROFILES; `authors_per_day`, when given, replaces `posts` by the
    number that gives about that many distinct authors a day (POSTS_PER_AUTHOR_DAY).

    Raises ValueError, naming the argument, when `posts`, `days` or `authors_per_day` is below
    1, `malformed_share` is outside [0, 1], `profile` is unknown or `tz` is not an IANA time
    zone.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    if authors_per_day is not None and authors_per_day < 1:
        raise ValueError(f"authors_per_day must be at least 1, got {authors_per_day}")
    posts = planned_posts(posts, days=days, authors_per_day=authors_per_day)
    zone = _check_arguments(posts=posts, days=days, malformed_share=malformed_share, tz=tz)
    people = PROFILES[profile]
    waves = _profile_waves(people, start, days)
    rng = np.random.default_rng(seed)
    drawn = _draw_posts(
        rng, posts, people=people, waves=waves, days=days, start=start, zone=zone,
        malformed_share=malformed_share,
    )  # fmt: skip
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = _summarise(drawn, out_dir=out_dir, posts=posts, waves=waves)
    write_posts(
        summary.posts_path, rng, drawn.millis, drawn.plan, markers=MARKERS,
        regions=people.regions, waves=waves, dup_after=drawn.dup_after, progress=progress,
    )  # fmt: skip
    write_waves(summary.waves_path, waves)
    return summary


def planned_posts(posts: int, *, days: int, authors_per_day: int | None) -> int:
    """How many posts generate_sample writes: `posts`, or with `authors_per_day` the number
    that gives about that many distinct authors a day (POSTS_PER_AUTHOR_DAY)."""
    if authors_per_day is None:
        return posts
    return round(authors_per_day * days * POSTS_PER_AUTHOR_DAY)


def room_problem(out_dir: Path, posts: int) -> str | None:
    """Why a sample of `posts` posts cannot be written into `out_dir` here, at BYTES_PER_POST
    each: more than the free space of its filesystem, or more than this machine's memory; None
    when it fits."""
    needed = posts * BYTES_PER_POST
    folder = Path(out_dir).resolve()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for room, where in (
        (shutil.disk_usage(existing).free, f"the free space on {existing}"),
        (memory, "this machine's memory"),
    ):
        if needed > room:
            return (
                f"{posts:,} posts need about {size_words(needed)}, more than {where} "
                f"({size_words(room)}); ask for fewer"
            )
    return None


def size_words(n_bytes: int) -> str:
    """`n_bytes` in the largest unit of at least 1: `512 bytes`, `1.5 MB`, `7.2 TB`."""
    value, unit = float(n_bytes), "bytes"
    for larger in ("KB", "MB", "GB", "TB", "PB"):
        if value < 1000:
            break
        value, unit = value / 1000, larger
    return f"{n_bytes} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


@dataclass(frozen=True)
class _Drawn:
    """The posts of a sample before they are lines: their UTC epoch `millis` (sorted), the
    per-post `plan` arrays that `moodcast.sample_lines.write_posts` reads, the earlier lines
    written again after each line (`dup_after`), and how many lines are malformed or repeated."""

    millis: np.ndarray
    plan: dict[str, np.ndarray]
    dup_after: dict[int, list[int]]
    n_malformed: int
    n_duplicates: int


def _profile_waves(people: Profile, start: date, days: int) -> tuple[Wave, ...]:
    """The planted waves (`plan_waves`), those in a region the profile lacks moved to its first
    region and to English."""
    return tuple(
        w
        if w.region in (*people.regions, "all")
        else replace(w, region=people.regions[0], lang="en")
        for w in plan_waves(start, days)
    )


def _draw_posts(
    rng: np.random.Generator,
    posts: int,
    *,
    people: Profile,
    waves: tuple[Wave, ...],
    days: int,
    start: date,
    zone: ZoneInfo,
    malformed_share: float,
) -> _Drawn:
    """Who posts what and when, for `posts` lines (repeated lines included): times, people,
    malformed records, reposts (which take their parent's language and express no marker),
    markers, then the repeated lines, drawn from `rng` in that order."""
    n_duplicates = min(round(posts * DUPLICATE_SHARE), posts - 1)
    n = posts - n_duplicates
    day, millis = _draw_times(rng, n, days=days, start=start, zone=zone)
    plan = _draw_people(rng, n, people)
    n_malformed = min(round(posts * malformed_share), n - n_duplicates - (n_duplicates > 0))
    kind = plan["malformed_kind"] = _draw_malformed(rng, n, n_malformed)
    parent = plan["parent"] = _draw_reposts(rng, n, round(posts * REPOST_SHARE), kind >= 0)
    repost = parent >= 0
    plan["lang"] = np.where(repost, plan["lang"][np.maximum(parent, 0)], plan["lang"])
    marks, plan["in_wave"] = _draw_markers(
        rng, day=day, start=start, plan=plan, waves=waves, people=people
    )
    marks[repost] = False
    plan["marks"] = marks
    dup_after = _draw_duplicates(rng, n, n_duplicates, kind >= 0)
    return _Drawn(millis, plan, dup_after, n_malformed=n_malformed, n_duplicates=n_duplicates)


def _summarise(
    drawn: _Drawn, *, out_dir: Path, posts: int, waves: tuple[Wave, ...]
) -> SampleSummary:
    """The SampleSummary of `drawn`, written as `posts` lines into `out_dir`."""
    plan = drawn.plan
    repost = plan["parent"] >= 0
    valid = (plan["malformed_kind"] < 0) & ~repost
    return SampleSummary(
        posts_path=out_dir / "posts.jsonl",
        waves_path=out_dir / "waves.csv",
        n_posts=posts,
        n_malformed=drawn.n_malformed,
        n_duplicates=drawn.n_duplicates,
        n_reposts=int(repost.sum()),
        n_missing_region=int((plan["region"] < 0).sum()),
        n_missing_lang=int((~plan["lang_field"]).sum()),
        n_missing_author=int((~plan["has_author"]).sum()),
        marked=tuple((m, int(plan["marks"][valid, k].sum())) for k, m in enumerate(MARKERS)),
        waves=waves,
    )


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


def _draw_malformed(rng: np.random.Generator, n: int, n_malformed: int) -> np.ndarray:
    """Each post's malformed kind (an index into MALFORMED_KINDS; -1 for a valid post):
    `n_malformed` posts at random, the kinds spread evenly over them."""
    kind = np.full(n, -1)
    malformed_at = rng.choice(n, size=n_malformed, replace=False)
    kind[malformed_at] = rng.permutation(np.arange(n_malformed) % len(MALFORMED_KINDS))
    return kind


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
