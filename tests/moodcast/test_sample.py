import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import polars as pl
import pytest

from moodcast import sample_phrases as phrases
from moodcast.sample import MALFORMED_KINDS, MARKERS, REGIONS, generate_sample
from moodcast.sample_waves import plan_waves, read_waves
from transforms.contracts import MAX_TEXT_CHARS
from transforms.markers import load_markers, tag
from transforms.text import detect_language, fold

POSTS = 5_000


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A 60,000-line corpus: big enough for waves and prolific accounts to show."""
    summary = generate_sample(tmp_path_factory.mktemp("large"), posts=60_000)
    return summary, summary.posts_path.read_bytes().splitlines()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    summary = generate_sample(out, posts=POSTS, seed=11)
    lines = summary.posts_path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    return summary, lines[:-1]


def _classify(line: bytes) -> str | None:
    """The malformed kind of a line, judged from its bytes alone; None for a usable post."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "truncated_json"
    if not isinstance(obj, dict):
        return "not_an_object"
    if any(field not in obj for field in ("id", "created_at", "text")):
        return "missing_field"
    if obj["created_at"] == "yesterday-ish":
        return "unparseable_timestamp"
    if str(obj["created_at"]).startswith("2099-"):
        return "future_timestamp"
    if len(obj["text"]) > MAX_TEXT_CHARS:
        return "oversized_text"
    return None


def _posts(lines: list[bytes]) -> list[dict]:
    return [orjson.loads(line) for line in lines if _classify(line) is None]


def _instant(value: str | int) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    parsed = datetime.fromisoformat(value.replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time_format(value: str | int) -> str:
    if isinstance(value, int):
        return "epoch_ms" if value > 1e11 else "epoch_s"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value):
        return "iso_z_ms"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        return "iso_z"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value):
        return "iso_offset"
    if re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d", value):
        return "iso_naive"
    return "other"


def test_the_same_arguments_give_byte_identical_files(tmp_path):
    first = generate_sample(tmp_path / "a", posts=2_000, seed=3)
    second = generate_sample(tmp_path / "b", posts=2_000, seed=3)
    other = generate_sample(tmp_path / "c", posts=2_000, seed=4)
    assert first.posts_path.read_bytes() == second.posts_path.read_bytes()
    assert first.waves_path.read_bytes() == second.waves_path.read_bytes()
    assert first.posts_path.read_bytes() != other.posts_path.read_bytes()
    assert first.marked == second.marked


def test_waves_csv_has_the_contract_columns_and_days_inside_the_range(corpus):
    summary, _ = corpus
    header = summary.waves_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "marker,region,lang,start,peak,end,factor,shape"
    waves = read_waves(summary.waves_path)
    assert waves == summary.waves
    shapes = Counter(w.shape for w in waves)
    assert shapes == {"step": 5, "gradual": 5, "seasonal": 1, "school": 1}
    first, last = date(2025, 1, 6), date(2025, 1, 6) + timedelta(days=364)
    for wave in waves:
        assert first <= wave.start <= wave.end <= last
        assert wave.marker in MARKERS
        if wave.shape == "step":
            assert 10 <= (wave.end - wave.start).days + 1 <= 25 and wave.peak == wave.start
        if wave.shape == "gradual":
            assert (wave.peak - wave.start).days >= 14 and wave.peak < wave.end
        if wave.shape in ("step", "gradual"):
            assert 1.5 <= wave.factor <= 3.0
            assert wave.region in REGIONS and wave.lang in ("en", "es")
        else:
            assert (wave.region, wave.lang) == ("all", "all")


def test_gradual_waves_rise_smoothly_to_their_peak_and_back():
    wave = next(w for w in plan_waves(date(2025, 1, 6), 365) if w.shape == "gradual")
    factor = wave.factor_by_day(date(2025, 1, 6), 365)
    lo, top, hi = ((d - date(2025, 1, 6)).days for d in (wave.start, wave.peak, wave.end))
    assert factor[lo] == 1.0 and factor[top] == wave.factor and factor[hi] == 1.0
    assert (np.diff(factor[lo : top + 1]) > 0).all() and (np.diff(factor[top : hi + 1]) < 0).all()
    school = next(w for w in plan_waves(date(2025, 1, 6), 365) if w.shape == "school")
    bumped = np.flatnonzero(school.factor_by_day(date(2025, 1, 6), 365) > 1)
    assert {(date(2025, 1, 6) + timedelta(int(i))).month for i in bumped} == {4, 9}


def test_default_waves_are_spread_and_the_strongest_sit_in_the_largest_cell():
    waves = plan_waves(date(2025, 1, 6), 365)
    series = Counter((w.marker, w.region, w.lang) for w in waves)
    assert max(series.values()) == 1, "two waves in one series would overlap or blur"
    steps = [w for w in waves if w.shape == "step"]
    strongest = [w for w in steps if w.factor >= 2.5]
    assert len(strongest) >= 2
    assert all((w.region, w.lang) == ("us-ca", "en") for w in strongest)
    assert all(w.marker in ("anxiety", "stress", "sadness") for w in strongest)
    starts = sorted(w.start for w in steps)
    assert all(b - a >= timedelta(days=30) for a, b in pairwise(starts))


@pytest.mark.parametrize("days", [180, 365, 730])
def test_the_strongest_step_comes_four_weeks_after_the_data_start(days):
    steps = [w for w in plan_waves(date(2025, 1, 6), days) if w.shape == "step"]
    first = min(steps, key=lambda w: w.start)
    assert first.start == date(2025, 1, 6) + timedelta(28)
    assert first.factor == max(w.factor for w in steps)


def test_short_corpora_scale_the_waves_into_their_range():
    waves = plan_waves(date(2025, 3, 1), 40)
    assert all(date(2025, 3, 1) <= w.start <= w.end <= date(2025, 4, 9) for w in waves)


def test_malformed_share_is_honoured_and_every_kind_is_present(corpus):
    summary, lines = corpus
    kinds = Counter(kind for kind in map(_classify, lines) if kind is not None)
    assert summary.n_malformed == round(POSTS * 0.002)
    assert sum(kinds.values()) == summary.n_malformed
    assert set(kinds) == set(MALFORMED_KINDS)


def test_invalid_utf8_is_really_in_the_bytes(corpus):
    _, lines = corpus
    broken = [line for line in lines if _classify(line) == "invalid_utf8"]
    assert broken
    for line in broken:
        assert b"\xff" in line
        assert isinstance(orjson.loads(line.decode("latin-1")), dict), "only the bytes are bad"


def test_oversized_texts_pass_the_default_text_limit(corpus):
    """They passed an old limit of 10,000 characters; under the default of 40,000 they were
    valid posts, and the demo's sample planted fewer malformed records than it said."""
    _, lines = corpus
    long_lines = [line for line in lines if len(line) > 5_000]
    oversized = [orjson.loads(line)["text"] for line in long_lines]
    assert oversized and all(MAX_TEXT_CHARS < len(text) < 2 * MAX_TEXT_CHARS for text in oversized)


def test_repeated_lines_are_exact_copies_written_later(corpus):
    summary, lines = corpus
    assert len(lines) == summary.n_posts == POSTS
    seen: dict[bytes, int] = {}
    repeats = 0
    for number, line in enumerate(lines):
        if line in seen:
            repeats += 1
            assert number > seen[line]
        seen.setdefault(line, number)
    assert repeats == summary.n_duplicates == round(POSTS * 0.01)


def test_every_created_at_format_is_present_and_lands_inside_the_range(corpus):
    _, lines = corpus
    posts = _posts(lines)
    formats = Counter(_time_format(post["created_at"]) for post in posts)
    assert set(formats) == {"iso_z", "iso_z_ms", "iso_offset", "iso_naive", "epoch_s", "epoch_ms"}
    assert any(" " in str(post["created_at"]) for post in posts)
    days = {_instant(post["created_at"]).date() for post in posts}
    assert min(days) >= date(2025, 1, 6) and max(days) <= date(2026, 1, 5)


def test_local_days_stay_inside_the_range_across_daylight_saving(tmp_path):
    zone = ZoneInfo("America/Los_Angeles")
    summary = generate_sample(
        tmp_path, posts=3_000, days=20, start=date(2025, 3, 1), tz="America/Los_Angeles"
    )
    lines = summary.posts_path.read_bytes().splitlines()
    days = Counter(_instant(p["created_at"]).astimezone(zone).date() for p in _posts(lines))
    assert min(days) == date(2025, 3, 1) and max(days) == date(2025, 3, 20)
    assert len(days) == 20


def test_optional_fields_are_sometimes_missing(corpus):
    summary, lines = corpus
    posts = [p for p in _posts(lines) if not p.get("is_repost")]
    share = {
        field: sum(field not in p for p in posts) / len(posts)
        for field in ("region", "lang", "author_id", "platform")
    }
    assert 0.03 < share["region"] < 0.07
    assert 0.015 < share["lang"] < 0.05
    assert 0.003 < share["author_id"] < 0.02
    assert 0.2 < share["platform"] < 0.4
    assert summary.n_missing_region and summary.n_missing_lang and summary.n_missing_author


def test_regions_languages_and_authors_look_like_a_real_feed(corpus):
    _, lines = corpus
    posts = _posts(lines)
    regions = Counter(p.get("region") for p in posts)
    assert regions["us-ca"] > regions["us-tx"] > regions["us-fl"] > regions[None]
    langs = Counter(p["lang"][:2] for p in posts if "lang" in p)
    assert 0.60 < langs["en"] / (langs["en"] + langs["es"]) < 0.71
    assert any("-" in p["lang"] for p in posts if "lang" in p)
    authors = Counter(p["author_id"] for p in posts if "author_id" in p)
    counts = sorted(authors.values(), reverse=True)
    assert counts[0] >= 10 * np.median(counts), "activity should be heavy-tailed"


def test_texts_have_realistic_lengths_and_social_media_extras(corpus):
    _, lines = corpus
    originals = [p["text"] for p in _posts(lines) if not p.get("is_repost")]
    words = [len(text.split()) for text in originals]
    assert min(words) >= 5 and max(words) <= 70
    assert 10 < np.mean(words) < 40
    assert any("#" in t for t in originals) and any("https://" in t for t in originals)
    assert any(t.startswith("@") for t in originals)
    assert any(e in t for t in originals for e in phrases.NEUTRAL_EMOJI)


def test_reposts_name_an_earlier_post(corpus):
    summary, lines = corpus
    posts = _posts(lines)
    position = {}
    for number, post in enumerate(posts):
        position.setdefault(post["id"], number)
    reposts = [(n, p) for n, p in enumerate(posts) if p.get("is_repost")]
    assert len(reposts) == pytest.approx(POSTS * 0.08, rel=0.1)
    assert summary.n_reposts == pytest.approx(POSTS * 0.08, rel=0.1)
    for number, post in reposts:
        assert post["text"].startswith("RT @")
        assert position[post["parent_id"]] < number
    assert any(p.get("is_repost") is False for p in posts)


def test_every_marker_is_planted_in_both_languages(corpus):
    summary, lines = corpus
    assert all(count > 0 for _, count in summary.marked)
    planted = dict(summary.marked)
    originals = len(_posts(lines)) - summary.n_reposts - summary.n_duplicates
    assert planted["joy"] / originals == pytest.approx(0.20, abs=0.03)
    assert planted["suicide_risk"] / originals < 0.01
    for marker in MARKERS:
        for lang in phrases.LANGS:
            assert len(phrases.MARKER_PHRASES[marker][lang]) >= 10


def _tagged(texts: list[str], langs: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"text": texts, "lang": langs})
    return tag(frame.with_columns(fold(pl.col("text")).alias("text_folded")), load_markers())


def test_the_builtin_lexicons_catch_the_marker_sentences_and_not_the_chatter():
    texts, langs, wanted = [], [], []
    for lang in phrases.LANGS:
        for marker in MARKERS:
            for sentence in phrases.MARKER_PHRASES[marker][lang]:
                texts.append(sentence)
                langs.append(lang)
                wanted.append(marker)
        for sentence in phrases.NEUTRAL[lang]:
            texts.append(
                sentence.format(food="pizza", place="the park", day="x", show="y", team="z")
            )
            langs.append(lang)
            wanted.append(None)
    tagged = _tagged(texts, langs).with_columns(pl.Series("wanted", wanted))
    for marker in MARKERS:
        recall = tagged.filter(pl.col("wanted") == marker)[marker].mean()
        assert recall >= 0.95, marker
    chatter = tagged.filter(pl.col("wanted").is_null())
    assert not chatter.select(pl.any_horizontal(MARKERS)).to_series().any()


def test_texts_without_lang_are_detectable():
    composer = phrases.Composer(MARKERS, [], max_words=55)
    rng = np.random.default_rng(0)
    wrong = 0
    for lang in (0, 1):
        for _ in range(200):
            draws = rng.integers(0, 2**31 - 1, size=6).tolist()
            text = composer.text(draws, [False] * 7, lang, 0, 2, -1)
            wrong += detect_language(text) != phrases.LANGS[lang]
    assert wrong <= 4


def test_a_few_accounts_post_hundreds_of_times(large):
    _, lines = large
    authors = Counter(p.get("author_id") for p in _posts(lines))
    authors.pop(None)
    top = [count for _, count in authors.most_common(2)]
    assert top[-1] >= 200
    assert np.median(list(authors.values())) <= 5


def test_the_strongest_wave_shows_in_its_cell(large):
    summary, lines = large
    wave = max(summary.waves, key=lambda w: w.factor)
    posts = [
        p
        for p in _posts(lines)
        if not p.get("is_repost") and p.get("region") == wave.region
        and p.get("lang", "")[:2] == wave.lang
    ]  # fmt: skip
    inside = [wave.start <= _instant(p["created_at"]).date() <= wave.end for p in posts]
    tagged = _tagged([p["text"] for p in posts], [wave.lang] * len(posts)).with_columns(
        pl.Series("inside", inside)
    )
    rate = tagged.group_by("inside").agg(pl.col(wave.marker).mean())
    rates = dict(zip(rate["inside"], rate[wave.marker], strict=True))
    assert rates[True] / rates[False] == pytest.approx(wave.factor, rel=0.25)


def test_progress_reports_every_line(tmp_path):
    calls = []
    generate_sample(tmp_path, posts=25_000, progress=lambda done, total: calls.append(done))
    assert calls[-1] == 25_000 and calls == sorted(calls) and len(calls) >= 3


@pytest.mark.parametrize(
    ("posts", "malformed_share"), [(1, 0.002), (7, 0.002), (50, 0.0), (40, 1.0), (300, 1.0)]
)
def test_tiny_and_extreme_corpora_still_work(tmp_path, posts, malformed_share):
    summary = generate_sample(tmp_path, posts=posts, days=3, malformed_share=malformed_share)
    lines = summary.posts_path.read_bytes().splitlines()
    assert len(lines) == posts
    assert sum(_classify(line) is not None for line in lines) == summary.n_malformed
    assert len(set(lines)) == posts - summary.n_duplicates


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"posts": 0}, "posts must be"),
        ({"days": 0}, "days must be"),
        ({"malformed_share": 1.5}, "malformed_share"),
        ({"tz": "Mars/Olympus"}, "IANA"),
    ],
)
def test_bad_arguments_say_what_to_fix(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_sample(Path(tmp_path), **kwargs)


def test_the_forum_profile_is_sparse_like_a_real_forum(tmp_path):
    summary = generate_sample(tmp_path, days=40, profile="forum", authors_per_day=300)
    posts = [p for p in _posts(summary.posts_path.read_bytes().splitlines()) if "author_id" in p]
    days = Counter()
    for day, authors in _group_authors_by_day(posts).items():
        days[day] = len(authors)
    inner = [n for day, n in days.items() if n > 100]
    assert 260 <= np.mean(inner) <= 340
    assert not any("region" in p for p in posts)
    assert {str(p.get("lang", "en"))[:2] for p in posts} == {"en"}
    valid = sum(1 for p in posts if not p.get("is_repost"))
    shares = {marker: n / valid for marker, n in summary.marked}
    assert all(0.003 <= share <= 0.05 for share in shares.values()), shares  # seasonal cycle on top
    assert {w.region for w in summary.waves} == {"unknown", "all"}


def _group_authors_by_day(posts: list[dict]) -> dict[date, set[str]]:
    days: dict[date, set[str]] = {}
    for post in posts:
        days.setdefault(_instant(post["created_at"]).date(), set()).add(post["author_id"])
    return days


def test_an_unknown_profile_says_which_exist(tmp_path):
    with pytest.raises(ValueError, match="default, forum"):
        generate_sample(tmp_path, posts=100, profile="city")
