"""A real `moodcast run` carries a period cell's CLUSTER_SUMS from the Beam job through the
landing Parquet into the warehouse, and publishes the week's interval over its authors as
clusters (transforms.prevalence.effective_trials)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest

import warehouse
from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.run import daily_run
from transforms.contracts import CLUSTER_SUMS, POST_CLUSTER_SUMS, POST_CLUSTERS
from transforms.prevalence import Z_95
from warehouse import queries

MONDAY = date(2025, 1, 6)
"""An ISO week, and the first day of an ISO 8-week period."""


def _posts() -> list[dict]:
    """12 authors flagged for sadness on each of Monday to Saturday (6 days each); 20 never
    flagged, one day each (3 of them on Sunday, whose cell is then under k, so the week is
    published whole); one flagged on Monday and not on Tuesday; one who writes in English and
    in Spanish on Monday (one author-day in the `lang = all` roll-up, two in its languages)."""
    posts = []

    def post(author: str, day: date, text: str, lang: str = "en") -> None:
        posts.append({"id": f"p{len(posts)}", "created_at": f"{day}T12:00:00Z", "text": text,
                      "author_id": author, "lang": lang, "region": "north"})  # fmt: skip

    for a in range(12):
        for d in range(6):
            post(f"a{a}", MONDAY + timedelta(days=d), "I feel so sad today")
    for b in range(20):
        post(f"b{b}", MONDAY + timedelta(days=6 if b < 3 else b % 6), "a lovely walk in the park")
    post("c", MONDAY, "so sad this morning")
    post("c", MONDAY + timedelta(days=1), "a lovely walk in the park")
    post("e", MONDAY, "a lovely walk in the park")
    post("e", MONDAY, "un buen paseo por el parque", lang="es")
    return posts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("clusters")
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    corpus = data_dir / "posts.jsonl"
    corpus.write_text("".join(json.dumps(p) + "\n" for p in _posts()), encoding="utf-8")
    settings = load_settings(data_dir)
    daily_run([str(corpus)], settings=settings, as_of=date(2025, 1, 20), beam_args=[])
    return data_dir


def _sums(periods, grain: str, lang: str) -> tuple[int, ...]:
    row = periods.filter(grain=grain, period_start=MONDAY, region="north", lang=lang,
                         marker="sadness")  # fmt: skip
    assert row.height == 1
    return tuple(
        row.select("n_authors", "n_author_days", "n_marked_author_days", *CLUSTER_SUMS).row(0)
    )


def test_a_run_counts_each_period_cells_cluster_sums_and_publishes_the_clustered_interval(run_dir):
    con = warehouse.open_published(run_dir)
    try:
        periods = queries.current_periods(con)
        published = queries.published(con)
    finally:
        con.close()
    # a: d = f = 6 (x12); b: d = 1, f = 0 (x20); c: d = 2, f = 1; e: d = 1, f = 0
    english = (34, 95, 73, 12 * 36 + 20 + 4 + 1, 12 * 36 + 1, 12 * 36 + 2)
    for grain in ("iso_week", "iso_8week"):
        assert _sums(periods, grain, "en") == english
        assert _sums(periods, grain, "all") == english  # e's two languages: one day
        assert _sums(periods, grain, "es")[3:] == (1, 0, 0)

    n, days, marked, d2, f2, fd = english
    p = marked / days
    variance = n / (n - 1) * (f2 - 2 * p * fd + p * p * d2) / days**2
    trials = p * (1 - p) / variance
    z2 = Z_95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2)) / (1 + z2 / trials)
    # the language rows are withheld (Spanish is one author), the roll-up is published
    week = published.filter(grain="iso_week", period_start=MONDAY, region="north", lang="all",
                            marker="sadness")  # fmt: skip
    assert week.height == 1 and week["status"][0] == "published"
    assert week["prevalence"][0] == pytest.approx(p)
    assert week["effective_trials"][0] == pytest.approx(trials)
    assert trials < days / 2  # 12 authors flagged on every day they post weigh as 12, not 72
    assert week["prevalence_lo"][0] == pytest.approx(centre - half)
    assert week["prevalence_hi"][0] == pytest.approx(centre + half)


def test_a_run_counts_each_period_cells_post_sums_and_publishes_the_clustered_post_interval(
    run_dir,
):
    """The same run's POST_CLUSTER_SUMS (an author's scored and marked posts in the cell) reach
    the warehouse, and the week's published post share has its Wilson interval over the
    effective posts of its authors as clusters (test fails before: over its 96 posts)."""
    con = warehouse.open_published(run_dir)
    try:
        periods = queries.current_periods(con)
        published = queries.published(con)
    finally:
        con.close()
    # one post a day each, but e's two on Monday are two posts of one author in `lang = all`
    english = (95, 73, 12 * 36 + 20 + 4 + 1, 12 * 36 + 1, 12 * 36 + 2, 34)
    rollup = (96, 73, 12 * 36 + 20 + 4 + 4, 12 * 36 + 1, 12 * 36 + 2, 34)
    for grain in ("iso_week", "iso_8week"):
        for lang, expected in (("en", english), ("all", rollup)):
            row = periods.filter(grain=grain, period_start=MONDAY, region="north", lang=lang,
                                 marker="sadness")  # fmt: skip
            counts = row.select("n_scored", "n_marked", *POST_CLUSTER_SUMS, POST_CLUSTERS)
            assert counts.row(0) == expected

    n = 34
    posts, marked, s2, m2, ms, _ = rollup
    p = marked / posts
    variance = n / (n - 1) * (m2 - 2 * p * ms + p * p * s2) / posts**2
    trials = p * (1 - p) / variance
    z2 = Z_95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z_95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2)) / (1 + z2 / trials)
    week = published.filter(grain="iso_week", period_start=MONDAY, region="north", lang="all",
                            marker="sadness")  # fmt: skip
    assert week["post_prevalence"][0] == pytest.approx(p)
    assert trials < posts / 2
    assert week["post_prevalence_lo"][0] == pytest.approx(centre - half)
    assert week["post_prevalence_hi"][0] == pytest.approx(centre + half)
