import hashlib
import json
import os
import threading
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from benchmarks.kills import read_set, torn
from tests.warehouse.conftest import D1, D2, cell
from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA, PERIOD_SCHEMA
from transforms.validation import HIDDEN_PART
from warehouse.errors import WarehouseError
from warehouse.export_versions import KEEP_VERSIONS, publish
from warehouse.exports import export, versions_dir
from warehouse.load import load_daily, load_periods, replace_alerts, replace_forecasts
from warehouse.queries import forecast_series

SMALL_POSTS, SMALL_MARKED, BIG_AUTHORS = 9371, 4243, 7919


@pytest.fixture
def warehouse(con, make_daily):
    """A warehouse with publishable cells, two small cells, one forecast and one alert."""
    load_daily(
        con,
        make_daily(
            cell(D1),
            cell(D2, n_marked=31, n_marked_authors=29),
            cell(
                D1,
                region="north",
                n_posts=SMALL_POSTS,
                n_scored=SMALL_POSTS,
                n_marked=SMALL_MARKED,
                n_authors=8,
                n_marked_authors=3,
            ),
            cell(
                D1,
                region="south",
                n_posts=SMALL_POSTS + 1,
                n_scored=SMALL_POSTS + 1,
                n_marked=SMALL_MARKED + 1,
                n_authors=BIG_AUTHORS,
                n_marked_authors=5,
            ),
        ),
        days=[D1, D2],
    )
    replace_forecasts(
        con,
        pl.DataFrame(
            [
                {
                    "unique_id": "sadness|all|en",
                    "ds": D2,
                    "model": "AutoETS",
                    "mean": 1 / 3,
                    "lo_80": 0.25,
                    "hi_80": 0.4,
                    "lo_95": 0.2,
                    "hi_95": 0.45,
                    "run_id": "r1",
                }
            ]
        ),
    )
    replace_alerts(
        con,
        pl.DataFrame(
            [
                {
                    "unique_id": "sadness|all|en",
                    "marker": "sadness",
                    "region": "all",
                    "lang": "en",
                    "start": D1,
                    "end": D2,
                    "peak": D2,
                    "peak_value": 0.2,
                    "threshold": 0.15,
                    "method": "level",
                    "severity": "medium",
                    "reason": "Sadness is above its usual level.",
                    "issued_on": D2,
                    "run_id": "r1",
                }
            ]
        ),
    )
    return con


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


def test_publish_swaps_the_whole_set_and_keeps_a_few_versions(warehouse, tmp_path):
    out = tmp_path / "exports"
    paths = publish(warehouse, out, formats=["csv", "parquet"], k=11, tz="UTC")
    assert out.is_symlink() and [p.name for p in paths][-1] == "manifest.json"
    assert not torn(read_set(out))
    first = os.path.realpath(out)
    assert publish(warehouse, out, formats=["csv", "parquet"], k=11, tz="UTC") == paths
    assert os.path.realpath(out) == first
    for i in range(5):
        _set_run(warehouse, f"r{i + 2}")
        publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    assert len(list(versions_dir(out).iterdir())) == KEEP_VERSIONS


def test_an_old_plain_exports_directory_is_replaced_by_the_link(warehouse, tmp_path):
    out = tmp_path / "exports"
    export(warehouse, out, formats=("csv",), k=11, tz="UTC")
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    assert out.is_symlink() and not torn(read_set(out))


def _set_run(con, run_id: str) -> None:
    con.execute("UPDATE forecasts SET run_id = ?", [run_id])
    con.execute("UPDATE alerts SET run_id = ?", [run_id])


def test_readers_polling_during_publishes_never_see_a_torn_set(warehouse, tmp_path):
    out = tmp_path / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    done = threading.Event()
    polls, torn_sets = [0], [0]

    def poll():
        while not done.is_set():
            polls[0] += 1
            torn_sets[0] += torn(read_set(out))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for i in range(40):
            _set_run(warehouse, f"run-{i}")
            publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    finally:
        done.set()
        reader.join()
    assert polls[0] >= 40 and torn_sets[0] == 0


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


def _publish_changed(con, out, times: int) -> None:
    for i in range(times):
        _set_run(con, f"later-{i}")
        publish(con, out, formats=["csv"], k=11, tz="UTC")


def test_files_an_analyst_kept_in_an_old_plain_exports_directory_are_never_deleted(
    warehouse, tmp_path
):
    """The plain `exports` directory of an older moodcast was moved among the versions and
    deleted whole three publishes later, with the analyst's own files in it."""
    out = tmp_path / "exports"
    export(warehouse, out, formats=("csv",), k=11, tz="UTC")
    (out / "my_notes.md").write_text("the analyst's\n")
    (out / "old.csv").write_text("written by a moodcast without manifests\n")
    _publish_changed(warehouse, out, KEEP_VERSIONS + 2)
    kept = sorted(p.relative_to(versions_dir(out)) for p in versions_dir(out).rglob("*.*"))
    legacy = [p for p in kept if p.parts[0].startswith("legacy-")]
    assert sorted(p.name for p in legacy) == ["my_notes.md", "old.csv"]
    assert (versions_dir(out) / legacy[0]).read_text() == "the analyst's\n"


def test_a_file_named_like_the_exports_link_is_kept(warehouse, tmp_path):
    """A plain file at the `exports` path was replaced by the link."""
    out = tmp_path / "exports"
    out.write_text("the analyst's file\n")
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    assert out.is_symlink() and not torn(read_set(out))
    (legacy,) = versions_dir(out).glob("legacy-*")
    assert legacy.read_text() == "the analyst's file\n"


def test_a_file_written_into_a_published_version_outlives_the_version(warehouse, tmp_path):
    """A file saved through the `exports` link lands in a version directory, which was deleted
    whole once KEEP_VERSIONS newer versions existed."""
    out = tmp_path / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    (out / "chart.png").write_bytes(b"the analyst's chart")
    (out / "alerts.csv").write_text("the analyst's own alerts table\n")
    version = Path(os.path.realpath(out))
    _publish_changed(warehouse, out, KEEP_VERSIONS + 1)
    assert sorted(p.name for p in version.iterdir()) == ["alerts.csv", "chart.png"]
    versions = [p for p in versions_dir(out).iterdir() if (p / "manifest.json").exists()]
    assert len(versions) == KEEP_VERSIONS


def test_a_damaged_version_is_not_served_again_as_the_same_hash(warehouse, tmp_path):
    """An unchanged publish reused the version directory of the same hash as it found it: a file
    edited or deleted there was served under a manifest that no longer describes it."""
    out = tmp_path / "exports"
    paths = publish(warehouse, out, formats=["csv", "parquet"], k=11, tz="UTC")
    good = read_set(out)
    (out / "timelines.csv").write_text("hand-edited\n")
    (out / "alerts.parquet").unlink()
    (out / "extra.txt").write_text("the analyst's\n")
    assert publish(warehouse, out, formats=["csv", "parquet"], k=11, tz="UTC") == paths
    assert read_set(out) == good
    aside = [p for p in versions_dir(out).iterdir() if p != Path(os.path.realpath(out))]
    assert [sorted(q.name for q in p.iterdir()) for p in aside] == [
        sorted([*good.keys() - {"alerts.parquet"}, "extra.txt"])
    ]
    assert (aside[0] / "timelines.csv").read_text() == "hand-edited\n"


@pytest.mark.parametrize("inside", ["", "sub"])
def test_a_raw_export_into_a_published_set_is_refused(warehouse, tmp_path, inside):
    """`warehouse.export` into a data directory's `exports` link (or below it) rewrote the
    published version behind its manifest."""
    out = tmp_path / "other-data" / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    before = read_set(out)
    with pytest.raises(WarehouseError, match="published"):
        export(warehouse, out / inside, formats=("parquet",), k=11, tz="UTC")
    assert read_set(out) == before and not torn(before)


def test_a_raw_export_into_an_older_version_of_a_published_set_is_refused(warehouse, tmp_path):
    out = tmp_path / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    older = out.resolve()
    publish(warehouse, out, formats=["parquet"], k=11, tz="UTC")
    assert out.resolve() != older
    with pytest.raises(WarehouseError, match="published"):
        export(warehouse, older, formats=("parquet",), k=11, tz="UTC")


@pytest.mark.parametrize("through", ["link", "versions"])
def test_a_raw_export_into_a_set_whose_versions_directory_is_a_link_is_refused(
    warehouse, tmp_path, through
):
    """A versions directory moved to another disk and linked back: tidy9's check resolved the
    path to the other disk, found no `exports` link beside it there, and let a raw export
    rewrite the published version behind its manifest, through the `exports` link itself."""
    disk = tmp_path / "disk" / ".exports.versions"
    disk.mkdir(parents=True)
    out = tmp_path / "data" / "exports"
    out.parent.mkdir()
    versions_dir(out).symlink_to(disk, target_is_directory=True)
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    before = read_set(out)
    inside = out if through == "link" else versions_dir(out) / Path(os.readlink(out)).name
    with pytest.raises(WarehouseError, match="published"):
        export(warehouse, inside, formats=("parquet",), k=11, tz="UTC")
    assert read_set(out) == before and not torn(before)


def test_a_directory_only_named_like_a_versions_directory_takes_a_raw_export(warehouse, tmp_path):
    """A folder `.<name>.versions` with no link `<name>` to one of its versions beside it is
    the analyst's own, not a published set."""
    out = tmp_path / ".notes.versions" / "out"
    (tmp_path / "notes").mkdir()
    written = export(warehouse, out, formats=("csv",), k=11, tz="UTC")
    assert [p.name for p in written] == [
        "timelines.csv", "forecasts.csv", "alerts.csv", "data_dictionary.md", "manifest.json"
    ]  # fmt: skip


def test_a_manifest_json_moodcast_did_not_write_is_never_deleted(warehouse, tmp_path):
    """A plain `exports` directory holding the analyst's own `manifest.json` (another tool's)
    was taken for a version once moved aside, and pruning deleted that file."""
    out = tmp_path / "exports"
    out.mkdir()
    theirs = '{"dataset": "regional moods", "files": {"notes.md": "draft"}}\n'
    (out / "manifest.json").write_text(theirs)
    (out / "notes.md").write_text("the analyst's\n")
    _publish_changed(warehouse, out, KEEP_VERSIONS + 2)
    (legacy,) = versions_dir(out).glob("legacy-*")
    assert (legacy / "manifest.json").read_text() == theirs
    assert (legacy / "notes.md").read_text() == "the analyst's\n"


def test_a_hand_edited_manifest_of_an_old_version_is_kept_with_the_files(warehouse, tmp_path):
    """A version whose manifest.json was edited by hand lost it when pruned (a file moodcast
    no longer wrote as it is), and the files it listed were deleted by the edited digests."""
    out = tmp_path / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    version = Path(os.path.realpath(out))
    listed = json.loads((out / "manifest.json").read_text())["files"]
    edited = json.dumps({"files": listed, "reviewed_by": "analyst"}) + "\n"
    (out / "manifest.json").write_text(edited)
    _publish_changed(warehouse, out, KEEP_VERSIONS + 1)
    assert (version / "manifest.json").read_text() == edited
    assert sorted(p.name for p in version.iterdir()) == sorted([*listed, "manifest.json"])


def test_a_file_an_analyst_listed_in_a_version_manifest_is_not_deleted(warehouse, tmp_path):
    """A file the analyst saved into a version and added to its manifest (in moodcast's own
    format, as a script that keeps the set verifiable would) was deleted with the version."""
    out = tmp_path / "exports"
    publish(warehouse, out, formats=["csv"], k=11, tz="UTC")
    version = Path(os.path.realpath(out))
    (out / "chart.png").write_bytes(b"the analyst's chart")
    listed = json.loads((out / "manifest.json").read_text())["files"]
    listed["chart.png"] = hashlib.sha256(b"the analyst's chart").hexdigest()
    (out / "manifest.json").write_text(
        json.dumps({"files": listed}, indent=1, sort_keys=True) + "\n"
    )
    _publish_changed(warehouse, out, KEEP_VERSIONS + 1)
    assert sorted(p.name for p in version.iterdir()) == ["chart.png"]
