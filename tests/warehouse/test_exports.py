import hashlib
import json
from datetime import date, timedelta

import polars as pl
import pytest

from tests.warehouse.conftest import BIG_AUTHORS, SMALL_MARKED, SMALL_POSTS, cell
from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA, PERIOD_SCHEMA
from transforms.validation import HIDDEN_PART
from warehouse.exports import export
from warehouse.load import load_daily, load_periods, replace_alerts, replace_forecasts
from warehouse.queries import forecast_series


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exporting_twice_gives_byte_identical_files(warehouse, tmp_path, fmt):
    first = export(warehouse, tmp_path / "a", formats=(fmt,), k=11, tz="Europe/Madrid")
    again = export(warehouse, tmp_path / "a", formats=(fmt,), k=11, tz="Europe/Madrid")
    other = export(warehouse, tmp_path / "b", formats=(fmt,), k=11, tz="Europe/Madrid")
    assert [p.name for p in first] == [
        f"timelines.{fmt}",
        f"forecasts.{fmt}",
        f"alerts.{fmt}",
        "data_dictionary.md",
        "manifest.json",
    ]
    assert first == again
    for a, b in zip(first, other, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in first)


def test_suppressed_values_never_appear_in_a_csv_export(warehouse, tmp_path):
    paths = export(warehouse, tmp_path, formats=("csv",), k=11, tz="UTC")
    text = "".join(path.read_text() for path in paths[:3])
    for secret in (SMALL_POSTS, SMALL_POSTS + 1, SMALL_MARKED, SMALL_MARKED + 1, BIG_AUTHORS):
        assert str(secret) not in text
    timelines = pl.read_csv(paths[0])
    withheld = timelines.filter(pl.col("status") == "withheld")
    assert withheld["region"].sort().to_list() == ["north", "south"]
    assert "0.333333," in (tmp_path / "forecasts.csv").read_text()


def test_suppressed_values_never_appear_in_a_parquet_export(warehouse, tmp_path):
    timelines = pl.read_parquet(
        export(warehouse, tmp_path, formats=("parquet",), k=11, tz="UTC")[0]
    )
    hidden = timelines.filter(pl.col("status") == "withheld")
    assert hidden.height == 2 and set(hidden["grain"]) == {"iso_8week"}
    numbers = hidden.select(pl.col(pl.Int64, pl.Float64))
    assert numbers.null_count().row(0) == (2,) * numbers.width
    assert timelines.filter(pl.col("status") == "published")["grain"].unique().to_list() == ["day"]


def test_the_export_contract_columns_and_dictionary(warehouse, tmp_path):
    paths = export(warehouse, tmp_path, formats=("csv",), k=13, tz="America/Bogota")
    dictionary = paths[3].read_text()
    assert pl.read_csv(paths[1]).columns == [*FORECAST_SCHEMA, "grain"]
    assert pl.read_csv(paths[2]).columns == [*ALERT_SCHEMA, "grain"]
    for path in paths[:3]:
        assert f"## {path.name}" in dictionary
        for column in pl.read_csv(path).columns:
            assert f"| `{column}` |" in dictionary, (path.name, column)
    for fact in ("America/Bogota", "k = 13", "95% Wilson", "80%", "0 to 1", "6 decimal places"):
        assert fact in dictionary


def test_forecasts_and_alerts_say_whether_each_series_is_taken_by_day_or_by_week(
    con, make_daily, tmp_path
):
    """A series whose days fall below k is forecast and alerted on its weeks: its forecast and
    alert rows say so (an alert's `start` is then a week's first day, not a day)."""
    monday = date(2025, 3, 3)
    days = [monday + timedelta(days=i) for i in range(14)]
    rows, weeks = [], []
    for marker, per_day in (("sadness", 45), ("fear", 3)):
        rows += [cell(day, marker=marker, n_marked_authors=per_day) for day in days]
        weeks += [
            {**{k: v for k, v in cell(marker=marker).items() if k != "day"},
             "grain": "iso_week", "period_start": start, "period_end": start + timedelta(6),
             "n_authors": 2100, "n_marked_authors": 7 * per_day, "n_author_days": 2100,
             "n_marked_author_days": 7 * per_day}
            for start in days[::7]
        ]  # fmt: skip
    load_daily(con, make_daily(*rows), days=days)
    load_periods(con, pl.DataFrame(weeks, schema=PERIOD_SCHEMA), days=days)
    ahead = {"model": "AutoETS", "mean": 0.1, "lo_80": 0.05, "hi_80": 0.15, "lo_95": 0.0,
             "hi_95": 0.2, "run_id": "r1"}  # fmt: skip
    replace_forecasts(
        con,
        pl.DataFrame(
            [{"unique_id": "sadness|all|en", "ds": days[-1] + timedelta(1), **ahead}]
            + [
                {"unique_id": "fear|all|en", "ds": monday + timedelta(weeks=w), **ahead}
                for w in (2, 3)
            ]
        ),
    )
    replace_alerts(
        con,
        pl.DataFrame(
            [
                {"unique_id": f"{m}|all|en", "marker": m, "region": "all", "lang": "en",
                 "start": start, "end": start, "peak": start, "peak_value": 0.2,
                 "threshold": 0.1, "method": "early", "severity": "low", "reason": "Rose.",
                 "issued_on": start, "run_id": "r1"}
                for m, start in (("sadness", days[9]), ("fear", days[7]))
            ],
            schema=ALERT_SCHEMA,
        ),
    )  # fmt: skip
    paths = export(con, tmp_path, formats=("csv",), k=11, tz="UTC")
    for path in paths[1:3]:
        grains = dict(pl.read_csv(path).select("unique_id", "grain").unique().iter_rows())
        assert grains == {"sadness|all|en": "day", "fear|all|en": "iso_week"}, path.name
    epi = [{**week, "grain": "epi_week", "period_start": week["period_start"] - timedelta(1),
            "period_end": week["period_end"] - timedelta(1)} for week in weeks]  # fmt: skip
    load_periods(con, pl.DataFrame(epi, schema=PERIOD_SCHEMA), days=days)
    basis = forecast_series(con, week_grain="epi_week")[1]
    assert dict(basis.iter_rows())["fear|all|en"] == "epi_week"  # but the rows are ISO weeks'
    paths = export(con, tmp_path / "epi", formats=("csv",), k=11, tz="UTC", week_grain="epi_week")
    for path in paths[1:3]:
        grains = dict(pl.read_csv(path).select("unique_id", "grain").unique().iter_rows())
        assert grains == {"sadness|all|en": "day", "fear|all|en": None}, path.name


def test_the_dictionary_states_the_shares_that_move_a_series_to_coarser_cells(warehouse, tmp_path):
    dictionary = export(warehouse, tmp_path, formats=("csv",), k=11, tz="UTC")[3].read_text()
    privacy = dictionary.split("## Privacy")[1].split("## timelines")[0]
    assert "more than 2% of its weeks" in privacy and "more than 25% of those" in privacy
    assert "published whole only once it has ended" in privacy
    assert "UNPROTECTED" not in dictionary


def test_the_dictionary_says_a_rollup_with_no_language_of_its_period_is_hidden(warehouse, tmp_path):
    """transforms.quantify gives a roll-up with no language row of its own period HIDDEN_PART
    where the rows have a `grain`; the dictionary said so only of a roll-up with some."""
    dictionary = export(warehouse, tmp_path, formats=("csv",), k=11, tz="UTC")[3].read_text()
    validation = next(line for line in dictionary.splitlines() if line.startswith("| `validation`"))
    assert "no language row of its own period" in validation
    assert f"is that same `{HIDDEN_PART}`" in " ".join(validation.split())


def test_an_export_at_k_of_one_opens_with_a_loud_warning(warehouse, tmp_path):
    """k = 1 is an unprotected internal release: the files that leave the run say so first."""
    dictionary = export(warehouse, tmp_path, formats=("parquet",), k=1, tz="UTC")[3].read_text()
    assert dictionary.splitlines()[2].startswith("**UNPROTECTED RELEASE: k = 1")


def test_an_unknown_format_is_refused(warehouse, tmp_path):
    with pytest.raises(ValueError, match="csv"):
        export(warehouse, tmp_path, formats=("csv", "xlsx"), k=11, tz="UTC")
    assert not (tmp_path / "timelines.csv").exists()


def test_an_export_deletes_only_plain_names_its_earlier_manifest_listed(warehouse, tmp_path):
    out, outside = tmp_path / "out", tmp_path / "outside.csv"
    out.mkdir()
    outside.write_text("not in the export directory\n")
    (out / "timelines.parquet").write_text("stale\n")
    (out / "mine.txt").write_text("the analyst's\n")
    stale = hashlib.sha256(b"stale\n").hexdigest()
    listed = {"timelines.parquet": stale, "../outside.csv": stale, "/etc/hosts": stale}
    (out / "manifest.json").write_text(
        json.dumps({"files": listed}, indent=1, sort_keys=True) + "\n"
    )
    paths = export(warehouse, out, formats=("csv",), k=11, tz="UTC")
    assert sorted(p.name for p in out.iterdir()) == sorted([*(p.name for p in paths), "mine.txt"])
    assert outside.exists()


def test_an_export_keeps_a_file_its_earlier_export_wrote_that_the_analyst_has_changed(
    warehouse, tmp_path
):
    """A CSV export's timelines.csv, overwritten by the analyst with their own table under the
    same name, was deleted by the next export in Parquet, and a directory given a listed name
    made it fail; a listed file that still holds what moodcast wrote is deleted."""
    out = tmp_path / "out"
    export(warehouse, out, formats=("csv",), k=11, tz="UTC")
    (out / "timelines.csv").write_text("the analyst's own table\n")
    (out / "alerts.csv").unlink()
    (out / "alerts.csv").mkdir()
    paths = export(warehouse, out, formats=("parquet",), k=11, tz="UTC")
    assert (out / "timelines.csv").read_text() == "the analyst's own table\n"
    assert (out / "alerts.csv").is_dir()
    assert not (out / "forecasts.csv").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(p.name for p in paths), "timelines.csv", "alerts.csv"]
    )


def test_a_both_formats_export_has_one_dictionary_that_describes_both(warehouse, tmp_path):
    """The dictionary was written once per format, so a directory of CSV and Parquet files
    (every published export) was described as Parquet only: full precision, null, only the
    .parquet names, while its CSV files are rounded and leave missing values empty."""
    both = export(warehouse, tmp_path, formats=("csv", "parquet"), k=11, tz="UTC")
    dictionary = (tmp_path / "data_dictionary.md").read_text()
    assert [p.name for p in both].count("data_dictionary.md") == 1
    for stem in ("timelines", "forecasts", "alerts"):
        assert f"## {stem}.csv, {stem}.parquet" in dictionary
    for fact in ("6 decimal places in the .csv files", "full double precision in the .parquet"):
        assert fact in dictionary
    assert "an empty field in the .csv files and null in the .parquet files" in dictionary
    alone = export(warehouse, tmp_path / "csv", formats=("csv",), k=11, tz="UTC")
    assert "## timelines.csv\n" in alone[-2].read_text()


def test_an_export_that_fails_leaves_no_temporary_file(warehouse, tmp_path):
    (tmp_path / "forecasts.csv").mkdir()
    with pytest.raises(IsADirectoryError):
        export(warehouse, tmp_path, formats=("csv",), k=11, tz="UTC")
    assert list(tmp_path.glob(".*.tmp")) == []
    (tmp_path / "forecasts.csv").rmdir()
    paths = export(warehouse, tmp_path, formats=("parquet",), k=11, tz="UTC")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
