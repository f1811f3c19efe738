"""Forecasts and alerts read the days that have ended: the run's forecast step fits its models
on the days its release holds as ended (`release_settings.open_from`,
transforms.releases.Release.ended), takes no period in progress as a whole one, and its
forecasts start the day (week, 8-week period) after the last one that has ended."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.run import daily_run
from moodcast.sample import generate_sample
from tests.moodcast.forecast_steps import release_and_forecast
from tests.warehouse.releases import daily_row
from transforms.contracts import DAILY_SCHEMA
from warehouse import forecast_queries
from warehouse.exports import export_frames
from warehouse.load import load_daily
from warehouse.queries import forecast_basis
from warehouse.releases import record_release
from warehouse.store import open_published, writing

SUNDAY = date(2025, 3, 2)
"""The writer's clock's day: the last day of an ISO week and of an ISO 8-week period."""
WEEK = SUNDAY - timedelta(days=6)
EIGHT_WEEK = SUNDAY - timedelta(days=55)
FIRST = SUNDAY - timedelta(days=56 * 12)

ENDED = {"sadness": (300, 40), "anxiety": (300, 6), "loneliness": (300, 1), "stress": (300, 40)}
"""(authors, marked authors) of each series on every ended day: sadness meets k every day (a
day series; 0-2 more marked authors by the day, stress too), anxiety every week (days below k:
a week series), loneliness every 8-week period (weeks below k too: an 8-week series); stress
as sadness but on WITHHELD days, a day series with MAX_WITHHELD_SHARE of its days withheld."""
SO_FAR = {"sadness": (30, 25), "anxiety": (300, 200), "loneliness": (300, 150), "stress": (5, 2)}
"""The clock's day so far: shares far above every ended day's; stress's withheld (5 authors),
one withheld day too many for a day series (transforms.series.MAX_WITHHELD_SHARE)."""
WITHHELD = (300, 5)
"""stress on 13 of its 672 ended days (13/672 <= 2% < 14/673)."""


VARY = ("sadness", "stress")


def _cell(marker: str, day: date) -> tuple[int, int]:
    if day == SUNDAY:
        return SO_FAR[marker]
    if marker == "stress" and (day - FIRST).days % 50 == 7 and day < SUNDAY - timedelta(days=60):
        return WITHHELD
    return ENDED[marker]


def _cells() -> pl.DataFrame:
    days = [FIRST + timedelta(days=i) for i in range((SUNDAY - FIRST).days + 1)]
    rows = [
        daily_row(
            day, authors, marked + (day.toordinal() % 3 if marker in VARY else 0), marker=marker
        )
        for marker in ENDED
        for day in days
        for authors, marked in [_cell(marker, day)]
    ]
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    """A warehouse whose last day is the writer's day in progress, released and forecast as
    moodcast.run does on the clock's day; what the step gave forecasting, per grain, its
    forecasts and alerts."""
    data_dir = tmp_path_factory.mktemp("data")
    fitted = release_and_forecast(data_dir, _cells(), today=SUNDAY)
    with open_published(data_dir) as con:
        forecasts = forecast_queries.forecasts(con)
        alerts = forecast_queries.alerts(con)
        exported = export_frames(con, k=11)
        basis = forecast_basis(con, marker="stress", region="all", lang="en", k=11)
    return fitted, forecasts, alerts, exported, basis


@pytest.mark.parametrize(
    ("freq", "unique_id", "in_progress", "days"),
    [
        ("day", "sadness|all|en", SUNDAY, 1),
        ("week", "anxiety|all|en", WEEK, 7),
        ("8week", "loneliness|all|en", EIGHT_WEEK, 56),
    ],
)
def test_a_period_in_progress_is_not_fitted_and_the_forecast_starts_with_it(
    forecast_run, freq, unique_id, in_progress, days
):
    """Before, the day in progress (30 authors, 25 marked) was fitted as a day, and its week
    and 8-week period as whole ones (the clock's day ends both); the forecasts started the day
    after it."""
    fitted, forecasts, *_ = forecast_run
    series = fitted[freq].filter(pl.col("unique_id") == unique_id)
    assert series["ds"].max() == in_progress - timedelta(days=days)
    assert forecasts.filter(pl.col("unique_id") == unique_id)["ds"].min() == in_progress


def test_no_alert_is_raised_on_a_period_in_progress(forecast_run):
    """Before, the week in progress, whole with its partial Sunday, raised a week alert."""
    _, _, alerts, *_ = forecast_run
    assert alerts.filter(pl.col("end") >= WEEK).is_empty()


def test_the_export_and_the_dashboard_give_the_grain_the_run_forecast_at(forecast_run):
    """The exported `grain` and the dashboard's forecast basis read the days the run read:
    before, they read the day in progress too, which made stress (withheld so far today) one
    withheld day too many for a day series, so its day forecasts and alerts were exported
    with a null grain (`iso_week` on Mondays) and the dashboard showed its week series."""
    fitted, _, _, exported, (series, grain, _) = forecast_run
    run = {"day": "day", "week": "iso_week", "8week": "iso_8week"}
    ran = pl.concat(
        frame.select("unique_id", pl.lit(run[freq]).alias("grain")).unique()
        for freq, frame in fitted.items()
    )
    assert ran.filter(pl.col("unique_id") == "stress|all|en")["grain"].to_list() == ["day"]
    for stem in ("forecasts", "alerts"):
        got = exported[stem].select("unique_id", "grain").unique().sort("unique_id")
        assert got.equals(ran.join(got, on="unique_id", how="semi").sort("unique_id")), stem
    assert grain == "day"
    assert series.equals(fitted["day"].filter(pl.col("unique_id") == "stress|all|en"))


def test_a_run_on_the_clock_forecasts_from_its_day_in_progress(tmp_path):
    """moodcast.run.daily_run on the real clock, at noon in its time zone, with the posts of
    the morning: its day series are forecast from today (the day after the last ended day),
    not from tomorrow, as the step read its own release's `open_from`."""
    hours = 12 - datetime.now(UTC).hour
    tz = f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY + f'tz = "{tz}"\n')
    settings = load_settings(data)
    today = datetime.now(ZoneInfo(tz)).date()
    generate_sample(tmp_path, posts=4000, days=10, start=today - timedelta(days=9), tz=tz)
    daily_run([str(tmp_path / "posts.jsonl")], settings=settings, as_of=None, beam_args=[])
    with open_published(data) as con:
        spans = (
            forecast_queries.forecasts(con)
            .group_by("unique_id")
            .agg(
                pl.col("ds").min().alias("first"),
                (pl.col("ds").max() - pl.col("ds").min()).alias("span"),
            )
        )
    by_day = spans.filter(pl.col("span") == timedelta(days=settings.horizon_days - 1))
    assert by_day.height
    assert by_day["first"].unique().to_list() == [today]


def test_the_warehouse_selection_backtests_the_days_that_have_ended(tmp_path):
    """`moodcast backtest --warehouse` backtests the series the run forecasts, on the days the
    last write held as ended. Before, it read the day in progress too: a series whose only
    posts are today's (stress) was backtested and given a model choice, and every series'
    last test day was its partial one."""
    from forecasting.backtest import BacktestConfig
    from moodcast.backtest import select_warehouse_models
    from tests.warehouse.conftest import run_record
    from warehouse.ledger import record_run

    data_dir = tmp_path / "data"
    daily = _cells().filter(
        (pl.col("marker") == "sadness") & (pl.col("day") >= SUNDAY - timedelta(days=60))
        | (pl.col("marker") == "stress") & (pl.col("day") == SUNDAY)
    )
    with writing(data_dir) as con:
        load_daily(con, daily, days=daily["day"].unique().to_list())
        record_run(con, run_record())
        record_release(
            con, k=11, week_grain="iso_week", privacy="suppress", as_of=SUNDAY, today=SUNDAY
        )
    config = BacktestConfig(windows=("7",), history=28, test_periods=14, refit_every=7)
    summary = select_warehouse_models(load_settings(data_dir), config=config)
    with open_published(data_dir) as con:
        chosen = forecast_queries.model_choice(con)
    assert summary.series == 1
    assert chosen["unique_id"].to_list() == ["sadness|all|en"]
