"""Analysts' event annotations: their own file, atomic, safe under concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from warehouse.annotations import (
    MAX_LABEL_CHARS,
    AnnotationError,
    add_annotation,
    annotations_path,
    read_annotations,
    remove_annotation,
)


def test_no_file_reads_as_no_annotations(tmp_path):
    assert read_annotations(tmp_path).is_empty()


def test_added_events_read_back_sorted_and_by_region(tmp_path):
    add_annotation(tmp_path, day=date(2025, 3, 2), label="Lockdown  announced ", region="es-md")
    add_annotation(tmp_path, day=date(2025, 3, 1), label="Storm warning")
    events = read_annotations(tmp_path)
    assert events.select("day", "region", "label").rows() == [
        (date(2025, 3, 1), "all", "Storm warning"),
        (date(2025, 3, 2), "es-md", "Lockdown announced"),
    ]
    assert read_annotations(tmp_path, region="us-ca").get_column("label").to_list() == [
        "Storm warning"
    ]


def test_adding_the_same_event_twice_keeps_one(tmp_path):
    first = add_annotation(tmp_path, day=date(2025, 3, 1), label="Storm warning")
    assert add_annotation(tmp_path, day=date(2025, 3, 1), label="Storm warning") == first
    assert read_annotations(tmp_path).height == 1


@pytest.mark.parametrize("label", ["", "   ", "x" * (MAX_LABEL_CHARS + 1)])
def test_empty_or_overlong_labels_are_refused(tmp_path, label):
    with pytest.raises(AnnotationError, match="characters"):
        add_annotation(tmp_path, day=date(2025, 3, 1), label=label)
    assert not annotations_path(tmp_path).exists()


def test_remove_deletes_only_that_event(tmp_path):
    gone = add_annotation(tmp_path, day=date(2025, 3, 1), label="A")
    add_annotation(tmp_path, day=date(2025, 3, 1), label="B")
    assert remove_annotation(tmp_path, gone)
    assert not remove_annotation(tmp_path, gone)
    assert read_annotations(tmp_path).get_column("label").to_list() == ["B"]


def test_concurrent_writers_lose_no_event(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: add_annotation(tmp_path, day=date(2025, 3, 1), label=f"event {i}"),
                range(40),
            )
        )
    assert read_annotations(tmp_path).height == 40
    assert not list(tmp_path.glob(".*.tmp"))
