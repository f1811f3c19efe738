"""The clock changes benchmarks/dst_gaps.py reads from the tzdata package's TZif files."""

from datetime import datetime, timedelta
from importlib import resources

from benchmarks.dst_gaps import transitions


def test_transitions_read_lord_howes_half_hour_and_apias_skipped_day():
    def changes(zone: str) -> list:
        return transitions(resources.files("tzdata.zoneinfo").joinpath(zone).read_bytes())

    hours = timedelta(hours=1)
    assert (datetime(2007, 10, 27, 15, 30), 10.5 * hours, 11 * hours) in changes(
        "Australia/Lord_Howe"
    )
    assert (datetime(2011, 12, 30, 10), -10 * hours, 14 * hours) in changes("Pacific/Apia")
