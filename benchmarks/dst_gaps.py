"""Naive wall times at every clock change of every zone: `transforms.timestamp_parsing.wall_time_in`
against zoneinfo (PEP 495, fold=0), with the one-hour rule it replaced as the peer.

    .venv/bin/python benchmarks/dst_gaps.py [--first-year 1901] [--last-year 2040]

Reads each zone's transitions from the tzdata package's TZif files (their 64-bit block, then,
past the last one listed, its footer rule through zoneinfo) and, at every transition in the
years asked, takes three wall times inside the gap or the repeated
hour (its start, middle and last microsecond). zoneinfo, built from the same file, gives the
reference instant. Transitions where polars' own zone data give other offsets on either side
are counted and left out (the two databases differ there, not the rule). Also times both
rules on 1M wall times in Europe/Madrid (CPU s, one process). Writes the `dst-gaps` section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from transforms.timestamp_parsing import wall_time_in  # noqa: E402

EPOCH = datetime(1970, 1, 1)


def one_hour_rule(naive: pl.Expr, *, source_tz: str) -> pl.Expr:
    """The peer: wall_time_in before, which moved a time in any gap forward one hour."""
    local = naive.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
    shifted = (naive + pl.duration(hours=1)).dt.replace_time_zone(
        source_tz, ambiguous="earliest", non_existent="null"
    )
    return pl.coalesce(local, shifted).dt.convert_time_zone("UTC")


def transitions(data: bytes) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each transition a TZif file lists."""
    counts = struct.unpack(">6l", data[20:44])
    isut, isstd, leap, times, types, chars = counts
    v1 = times * 5 + types * 6 + chars + leap * 8 + isstd + isut
    header = 44 + v1
    isut, isstd, leap, times, types, chars = struct.unpack(">6l", data[header + 20 : header + 44])
    at = header + 44
    instants = struct.unpack(f">{times}q", data[at : at + 8 * times])
    index = data[at + 8 * times : at + 9 * times]
    infos = at + 9 * times
    offsets = [
        struct.unpack(">lBB", data[infos + 6 * i : infos + 6 * i + 6])[0] for i in range(types)
    ]
    out, before = [], offsets[0]
    for instant, kind in zip(instants, index, strict=True):
        after = offsets[kind]
        if after != before:
            when = EPOCH + timedelta(seconds=instant)
            out.append((when, timedelta(seconds=before), timedelta(seconds=after)))
        before = after
    return out


def rule_transitions(
    zone: ZoneInfo, after: datetime, last: int
) -> list[tuple[datetime, timedelta, timedelta]]:
    """The transitions of `zone` from `after` (UTC) to the end of year `last` that its file's
    footer rule makes (a slim TZif file lists none past the rule's first year): found day by
    day with zoneinfo, then to the second."""

    def offset(instant: datetime) -> timedelta:
        return instant.replace(tzinfo=UTC).astimezone(zone).utcoffset()

    out, day, end = [], after, datetime(last + 1, 1, 1)
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != offset(day):
            lo, hi = day, following
            while hi - lo > timedelta(seconds=1):
                middle = lo + (hi - lo) / 2
                lo, hi = (middle, hi) if offset(middle) == offset(day) else (lo, middle)
            out.append((hi, offset(lo), offset(hi)))
        day = following
    return out


def probes(first: int, last: int) -> tuple[dict[str, tuple[ZoneInfo, dict]], int]:
    """Zone name → (its zoneinfo, {"gap": wall times, "fold": wall times} at its transitions in
    [first, last]), and the number of transitions left out where polars' zone data differ."""
    found, differ = {}, 0
    for name in sorted(available_timezones()):
        try:
            data = resources.files("tzdata.zoneinfo").joinpath(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            continue
        zone = ZoneInfo.from_file(io.BytesIO(data), key=name)
        listed = transitions(data)
        start = max(listed[-1][0], datetime(first, 1, 1)) if listed else datetime(first, 1, 1)
        changes = [c for c in listed if first <= c[0].year <= last]
        changes += rule_transitions(zone, start + timedelta(days=1), last)
        if not changes:
            continue
        edges = pl.Series(
            [t + d for t, *_ in changes for d in (-timedelta(seconds=1), timedelta())]
        )
        local = edges.dt.replace_time_zone("UTC").dt.convert_time_zone(name)
        seen = (local.dt.replace_time_zone(None) - edges).to_list()
        walls: dict[str, list[datetime]] = {"gap": [], "fold": []}
        for i, (when, before, after) in enumerate(changes):
            if (seen[2 * i], seen[2 * i + 1]) != (before, after):
                differ += 1
                continue
            start, width = when + min(before, after), abs(after - before)
            inside = [start, start + width / 2, start + width - timedelta(microseconds=1)]
            walls["gap" if after > before else "fold"].extend(inside)
        found[name] = (zone, walls)
    return found, differ


def wrong(rule, walls: list[datetime], name: str, zone: ZoneInfo) -> tuple[int, int]:
    """(instants other than `zone`'s, of which nulls: dead letters) of `rule` on `walls`."""
    if not walls:
        return 0, 0
    expected = [w.replace(tzinfo=zone).astimezone(UTC) for w in walls]
    got = pl.select(rule(pl.lit(pl.Series(walls, dtype=pl.Datetime("us"))), source_tz=name))
    got = got.to_series().to_list()
    return sum(g != e for g, e in zip(got, expected, strict=True)), got.count(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-year", type=int, default=1901)
    parser.add_argument("--last-year", type=int, default=2040)
    args = parser.parse_args()
    found, differ = probes(args.first_year, args.last_year)
    rules = {
        "one hour (before)": one_hour_rule,
        "transforms.timestamp_parsing.wall_time_in": wall_time_in,
    }
    rows = []
    for label, rule in rules.items():
        tally = {kind: [0, 0, 0] for kind in ("gap", "fold")}
        for name, (zone, walls) in found.items():
            for kind, times in walls.items():
                off, dead = wrong(rule, times, name, zone)
                tally[kind][0] += len(times)
                tally[kind][1] += off
                tally[kind][2] += dead
        rows.append((label, tally))
    micros = np.random.default_rng(0).integers(1_500_000_000_000_000, 1_800_000_000_000_000, 10**6)
    walls = pl.Series(micros).cast(pl.Datetime("us"))
    seconds = {}
    for label, rule in [*rules.items(), *rules.items()]:
        start = time.process_time()
        pl.select(rule(pl.lit(walls), source_tz="Europe/Madrid"))
        seconds[label] = min(seconds.get(label, float("inf")), time.process_time() - start)
    lines = [
        f"`.venv/bin/python benchmarks/dst_gaps.py --first-year {args.first_year} --last-year "
        f"{args.last_year}`: three wall times (start, middle, last µs) inside every gap and "
        f"every repeated hour of {len(found)} zones of the tzdata package, against zoneinfo "
        f"(fold=0) on the same file; {differ} transitions left out where polars' zone data "
        f"differ. CPU s on 1M Europe/Madrid wall times, best of 2, load {os.getloadavg()[0]:.1f}.",
        "",
        "| rule | gap times | not zoneinfo's | of them dead letters | fold times | not "
        "zoneinfo's | CPU s per 1M |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {label} | {t['gap'][0]:,} | {t['gap'][1]:,} | {t['gap'][2]:,} | "
            f"{t['fold'][0]:,} | {t['fold'][1]:,} | {seconds[label]:.3f} |"
            for label, t in rows
        ),
    ]
    write_section("dst-gaps", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
