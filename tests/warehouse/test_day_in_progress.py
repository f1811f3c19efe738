"""A day is published only once it has ended: a release leaves out the days from its writer's
clock's day on (transforms.releases.Release.open_from), records nothing of them, and every
reader leaves out the same days (release_settings.open_from)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from moodcast.config import load_settings
from moodcast.stream_landing import Landed, Session, load_files
from tests.warehouse.releases import daily_row, write_release
from transforms.contracts import DAILY_SCHEMA
from warehouse import queries, release_record
from warehouse.exports import export_frames
from warehouse.panes import PaneMeta, upsert_panes
from warehouse.releases import record_release
from warehouse.store import open_published, writing

WEDNESDAY = date(2025, 3, 12)
HISTORY = 16
"""Days of history before WEDNESDAY, every one well above k."""


def _cells(marked_by_day: dict[date, tuple[int, int]]) -> pl.DataFrame:
    """One series' (`sadness`, all, en) cells: (authors, marked authors) per day."""
    rows = [daily_row(day, *counts) for day, counts in sorted(marked_by_day.items())]
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


def _history() -> dict[date, tuple[int, int]]:
    return {WEDNESDAY - timedelta(days=i + 1): (300, 40) for i in range(HISTORY)}


def _stream_load(
    data_dir, days: dict[date, tuple[int, int]], *, clock: date, index: int, timing="early"
):
    """One stream load as moodcast.stream_landing.load_files makes it, its clock at `clock`:
    each day's newest pane (accumulating: the day so far; `early` while the day is open,
    `on_time` as it ends) upserted, then the release recorded."""
    fired = datetime.combine(clock, datetime.min.time(), UTC) + timedelta(hours=index)
    panes = [
        (PaneMeta(day, "stream", datetime(2025, 1, 1, tzinfo=UTC), index, timing, fired), frame)
        for (day,), frame in _cells(days).partition_by("day", as_dict=True).items()
    ]
    with writing(data_dir) as con:
        upsert_panes(con, panes)
        record_release(
            con, k=11, week_grain="iso_week", privacy="suppress", as_of=clock, today=clock
        )


def _batch_run(data_dir, days: dict[date, tuple[int, int]], *, clock: date):
    """One batch run's load and release as moodcast.run makes them (days and their periods),
    its clock at `clock`."""
    everything = _cells({**_history(), **days})
    write_release(data_dir, _cells(days), periods=everything, as_of=clock, today=clock)


def _shown(data_dir, day: date) -> list[tuple]:
    """`day`'s published (authors, marked authors) in every reader: `published`, `daily`
    (current versions and all), the exported timelines; and its recorded counts (each set
    once, whichever releases recorded it)."""
    with open_published(data_dir) as con:
        published = queries.published(con).filter(pl.col("period_start") == day)
        daily = queries.daily(con).filter(pl.col("day") == day)
        every = queries.daily(con, all_versions=True).filter(pl.col("day") == day)
        exported = export_frames(con, k=11)["timelines"].filter(pl.col("period_start") == day)
        recorded = (
            release_record.recorded_counts(con)
            .filter(pl.col("period_start") == day)
            .drop("release", "last_release")
            .unique(maintain_order=True)
        )
    frames = (published, daily, every, exported, recorded)
    return [frame.select("n_authors", "n_marked_authors").rows() for frame in frames]


def test_a_streamed_day_is_published_once_it_has_ended_with_its_final_counts(tmp_path):
    """Before, each load published the day so far and recorded it: 13 flagged, then 25 (12
    more), and once the day ended its last 5 flagged authors held it (and its week) for good.
    After midnight the day waits for its on-time pane (its last early pane, 25, is not all of
    it)."""
    thursday = WEDNESDAY + timedelta(days=1)
    _stream_load(tmp_path, _history(), clock=WEDNESDAY, index=0, timing="on_time")
    for index, counts in enumerate([(100, 13), (200, 25)], start=1):
        _stream_load(tmp_path, {WEDNESDAY: counts}, clock=WEDNESDAY, index=index)
        assert _shown(tmp_path, WEDNESDAY) == [[]] * 5
    _stream_load(tmp_path, {thursday: (40, 4)}, clock=thursday, index=3)
    assert _shown(tmp_path, WEDNESDAY) == [[]] * 5
    _stream_load(tmp_path, {WEDNESDAY: (230, 30)}, clock=thursday, index=4, timing="on_time")
    assert _shown(tmp_path, WEDNESDAY) == [[(230, 30)]] * 5
    assert _shown(tmp_path, thursday) == [[]] * 5
    friday = thursday + timedelta(days=1)
    _stream_load(tmp_path, {thursday: (260, 35)}, clock=friday, index=5, timing="on_time")
    assert _shown(tmp_path, WEDNESDAY) == [[(230, 30)]] * 5
    assert _shown(tmp_path, thursday) == [[(260, 35)]] * 5
    with open_published(tmp_path) as con:
        week = queries.published(con).filter(
            pl.col("period_start").is_between(WEDNESDAY - timedelta(days=2), thursday)
        )
    assert week["status"].to_list() == ["published"] * 4


def test_a_batch_run_during_a_day_then_the_next_day_publishes_the_day_once(tmp_path):
    """Before, the run at noon published Wednesday's 15 flagged authors and recorded them; the
    next day's run, 7 more, held Wednesday's week for good."""
    thursday = WEDNESDAY + timedelta(days=1)
    _batch_run(tmp_path, {**_history(), WEDNESDAY: (150, 15)}, clock=WEDNESDAY)
    assert _shown(tmp_path, WEDNESDAY) == [[]] * 5
    with open_published(tmp_path) as con:
        week = queries.published(con).filter(pl.col("period_start") >= WEDNESDAY - timedelta(2))
        grains = release_record.published_record(con)
    assert week.select("grain", "status").rows() == [("day", "published")] * 2
    assert grains.filter(pl.col("period_start") == WEDNESDAY - timedelta(days=2)).height == 1
    _batch_run(tmp_path, {WEDNESDAY: (200, 22), thursday: (90, 9)}, clock=thursday)
    assert _shown(tmp_path, WEDNESDAY) == [[(200, 22)]] * 5
    assert _shown(tmp_path, thursday) == [[]] * 5


def test_a_run_as_of_a_later_day_than_its_clock_publishes_no_day_from_the_clock_on(tmp_path):
    """`moodcast run --as-of` a day after the clock's: its release leaves out the clock's day
    and after, and holds the week of the clock's day in progress (not whole with a partial
    day), where `as_of` alone would have ended it."""
    sunday = WEDNESDAY + timedelta(days=4)
    days = {**_history(), **{WEDNESDAY + timedelta(days=i): (300, 40) for i in range(5)}}
    write_release(tmp_path, _cells(days), as_of=sunday + timedelta(days=2), today=sunday)
    with open_published(tmp_path) as con:
        week = queries.published(con).filter(pl.col("period_start") >= WEDNESDAY - timedelta(2))
        recorded = release_record.recorded_counts(con)
    assert week.select("grain", "period_start").rows() == [
        ("day", WEDNESDAY + timedelta(days=i)) for i in range(-2, 4)
    ]
    assert recorded["period_start"].max() == sunday - timedelta(days=1)


def test_a_release_whose_clock_is_past_its_data_is_the_release_without_a_clock(tmp_path):
    """A run `--as-of` a past day (the demo's) publishes what it did before the rule."""
    days = {**_history(), WEDNESDAY: (300, 40)}
    shown = {}
    for name, today in (("none", None), ("later", date(2026, 12, 6))):
        data_dir = tmp_path / name
        write_release(data_dir, _cells(days), as_of=WEDNESDAY, today=today)
        with open_published(data_dir) as con:
            shown[name] = (queries.published(con), release_record.published_record(con))
    assert shown["none"][0].equals(shown["later"][0])
    assert shown["none"][1].equals(shown["later"][1])


def test_a_stream_load_on_the_clock_publishes_and_records_nothing_of_today(tmp_path):
    """moodcast.stream_landing.load_files, on the real clock, with today's early pane and
    yesterday's last: before, today's partial counts were published and recorded."""
    settings = load_settings(tmp_path)
    today = datetime.now(ZoneInfo(settings.tz)).date()
    yesterday = today - timedelta(days=1)
    landing = tmp_path / "landing"
    for index, (day, timing) in enumerate(((yesterday, "on_time"), (today, "early"))):
        folder = landing / "panes" / day.isoformat()
        folder.mkdir(parents=True)
        fired = int(datetime.now(UTC).timestamp() * 1_000_000)
        _cells({day: (300, 40)}).write_parquet(folder / f"{index:06d}-{timing}-{fired}-300.parquet")
    session = Session(settings, "stream-today", datetime.now(UTC), str(landing), {})
    with writing(tmp_path) as con:
        load_files(con, session, Landed.found(str(landing)))
    if datetime.now(ZoneInfo(settings.tz)).date() != today:
        pytest.skip("midnight passed during the load: today has ended, and may be published")
    assert _shown(tmp_path, today) == [[]] * 5
    assert _shown(tmp_path, yesterday) == [[(300, 40)]] * 5


def test_a_series_whose_only_days_are_open_has_no_row_in_the_release(tmp_path):
    """A new series (French) whose first posts are today's: before, its week in progress was a
    `withheld` row in every reader (a period holding no ended day, which an earlier release
    never offered), a withheld cell in its line for complementary suppression."""
    english = _cells({**_history(), WEDNESDAY: (300, 40)})
    days = pl.concat([english, _cells({WEDNESDAY: (300, 40)}).with_columns(lang=pl.lit("fr"))])
    write_release(tmp_path, days, as_of=WEDNESDAY, today=WEDNESDAY)
    with open_published(tmp_path) as con:
        published = queries.published(con)
        exported = export_frames(con, k=11)["timelines"]
    assert published.filter(pl.col("lang") == "fr").is_empty()
    assert exported.filter(pl.col("lang") == "fr").is_empty()
    assert published.filter(pl.col("lang") == "en", pl.col("status") == "withheld").is_empty()
