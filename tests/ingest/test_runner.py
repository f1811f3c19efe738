"""Beam options from the flags after `--`, and which runners are remote (ingest.runner)."""

from ingest.runner import is_remote, pipeline_options


def test_runner_defaults_to_fnapi_and_beam_flags_pass_through():
    options = pipeline_options(["--runner=DataflowRunner", "--project=p", "--region=europe-west1"])
    assert options.get_all_options()["project"] == "p"
    assert pipeline_options([]).get_all_options()["runner"] == "FnApiRunner"
    assert (
        is_remote(["--runner=DataflowRunner"])
        and not is_remote([])
        and not is_remote(["--runner=DirectRunner"])
    )
