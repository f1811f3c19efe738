"""Published export sets (warehouse.export_versions.publish): versions behind one link,
swapped whole, pruned without deleting what moodcast did not write, and raw exports refused
inside them. The exports' content is tested in test_exports.py."""

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest

from benchmarks.kills import read_set, torn
from warehouse.errors import WarehouseError
from warehouse.export_versions import KEEP_VERSIONS, publish
from warehouse.exports import export, versions_dir


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
