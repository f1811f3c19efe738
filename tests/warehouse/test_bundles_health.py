"""Export bundles (one view and its dictionary, zipped) and the data-health reads."""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl
import pytest

from tests.warehouse.conftest import D1, D2, cell
from warehouse import queries
from warehouse.bundles import export_bundle
from warehouse.health import first_day, latest_day, suppressed_cells, table_names
from warehouse.load import load_daily


def _load(con, make_daily):
    daily = make_daily(cell(D1), cell(D2), cell(D2, region="es-md", n_marked_authors=3))
    load_daily(con, daily, days=[D1, D2])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_bundle_holds_the_view_and_its_dictionary(con, make_daily, fmt):
    _load(con, make_daily)
    frame = queries.daily(con, k=11)
    archive = zipfile.ZipFile(
        io.BytesIO(export_bundle("timelines", frame, fmt=fmt, k=11, tz="UTC"))
    )
    assert archive.namelist() == [f"timelines.{fmt}", "data_dictionary.md"]
    data = archive.read(f"timelines.{fmt}")
    back = pl.read_csv(data) if fmt == "csv" else pl.read_parquet(data)
    suppressed = back.filter(pl.col("suppressed"))
    assert "es-md" in suppressed.get_column("region").to_list()
    assert suppressed.get_column("prevalence").is_null().all()
    assert "k = 11" in archive.read("data_dictionary.md").decode()


def test_a_bundles_dictionary_describes_the_day_rows_it_holds_not_the_exports_shape(
    con, make_daily
):
    """Regression: the dashboard's download (one row per day, `suppressed`) came with the
    export's description (`withheld` rows, `status`)."""
    _load(con, make_daily)
    archive = zipfile.ZipFile(
        io.BytesIO(export_bundle("timelines", queries.daily(con, k=11), fmt="csv", k=11, tz="UTC"))
    )
    header = archive.read("timelines.csv").decode().splitlines()[0].split(",")
    dictionary = archive.read("data_dictionary.md").decode()
    section = dictionary.partition("## timelines.csv")[2]
    about = section.split("\n\n")[1]
    assert re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE) == header
    assert set(re.findall(r"`(\w+)`", about)) <= set(header), about
    assert "withheld` row" not in dictionary and "`status`" not in dictionary
    assert "given only where `validation` is `validated` or `validated in part`" in dictionary


def test_bundles_are_deterministic_and_refuse_unknown_views(con, make_daily):
    _load(con, make_daily)
    frame = queries.daily(con, k=11)
    assert export_bundle("timelines", frame, fmt="csv", k=11, tz="UTC") == export_bundle(
        "timelines", frame.reverse(), fmt="csv", k=11, tz="UTC"
    )
    with pytest.raises(ValueError, match="view must be"):
        export_bundle("runs", frame, fmt="csv", k=11, tz="UTC")


def test_health_reads(con, make_daily):
    assert latest_day(con) is None and first_day(con) is None
    _load(con, make_daily)
    assert (first_day(con), latest_day(con)) == (D1, D2)
    assert {"daily_aggregates", "runs", "forecasts", "alerts"} <= table_names(con)
    cells = suppressed_cells(con, k=11)
    assert cells.rows() == [("sadness", "es-md", 1, 1, 1.0), ("sadness", "all", 2, 0, 0.0)]
