"""The exported data dictionary says what a `marker_version` covers: the marker's definition and,
where a zero-shot source decides it, the sentence model and the cut it decides at
(transforms.model_versions.model_versioned), so an analyst who finds two versions of one marker
whose files did not change reads why."""

import polars as pl

from warehouse.dictionary import data_dictionary


def test_the_marker_version_is_said_to_change_with_the_sentence_model():
    text = data_dictionary(
        {"timelines": {"marker": pl.String, "marker_version": pl.String}}, ext="csv", k=11, tz="UTC"
    )
    (row,) = [line for line in text.splitlines() if line.startswith("| `marker_version` |")]
    assert "sentence model" in row
