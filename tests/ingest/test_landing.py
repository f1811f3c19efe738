"""Where the landing files go (ingest.landing)."""

import pytest

from ingest.landing import landing_location


def test_landing_goes_where_remote_workers_and_this_host_both_reach(tmp_path):
    assert landing_location([], local_dir=tmp_path, run_id="r") == str(tmp_path / "r")
    remote = ["--runner=DataflowRunner", "--temp_location=gs://bucket/tmp/"]
    assert (
        landing_location(remote, local_dir=tmp_path, run_id="r")
        == "gs://bucket/tmp/moodcast-landing/r"
    )
    with pytest.raises(ValueError, match="temp_location"):
        landing_location(["--runner=FlinkRunner"], local_dir=tmp_path, run_id="r")
