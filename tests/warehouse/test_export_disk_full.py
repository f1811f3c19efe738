"""An export that runs out of room names the file it was writing and says the disk is full
(exit 9), leaving no file of it behind. Before, polars' error named no file: `Error: No space
left on device (os error 28)`."""

from __future__ import annotations

from tests.mounts import moodcast_on_tmpfs
from tests.warehouse.conftest import publish, series_cells


def test_an_export_onto_a_full_disk_names_the_file_and_the_want_of_room(tmp_path):
    data_dir = tmp_path / "data"
    publish(data_dir, series_cells(60))
    mount = tmp_path / "small"
    mount.mkdir()
    out = mount / "out"
    run = moodcast_on_tmpfs(
        mount,
        ["export", "-o", str(out), "--data-dir", str(data_dir)],
        options="size=8k",
        listed=out,
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 9, run.stderr
    assert run.stdout.splitlines() == ["[]"], run.stdout
    message = " ".join(run.stderr.split())
    assert f"Error: {out / 'timelines.csv'}: the disk holding {out} is full" in message
